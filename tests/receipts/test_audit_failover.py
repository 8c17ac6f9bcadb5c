"""`gates receipts audit` shows failovers on the timeline: when each override began, why (its
trigger and reason), how long it lasted (apply -> revert, replacement or expiry) and who applied
and ended it (the receipt's `actor`: `user@host` or `watcher:<host>:<pid>`, else "unknown").

The failover chain is written by the real `gates failover apply|revert` (spine armed as in
tests/failover/cli_setup.py), or, for the actors, signed in-process with an `actor` in the
predicate.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.failover.cli_setup import NOW, Armed, arm


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SPINE_GATES_NOW", raising=False)
    return state / "spine-gates"


def audit(armed: Armed, now: str, fmt: str = "json") -> Any:
    proc = armed.gates("receipts", "audit", "--root", str(armed.spine), "--format", fmt,
                       SPINE_GATES_NOW=now)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if fmt == "json" else proc.stdout


def applied(armed: Armed) -> list[str]:
    proc = armed.failover("apply", "--from-cache", "--yes", "--ttl", "30m", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    status = json.loads(armed.failover("status", "--format", "json").stdout)
    return sorted(o["id"] for o in status["overrides"])


def actors(armed: Armed) -> list[str]:
    """What each receipt of the failover chain says about who acted (W1 records it)."""
    from spine_gates.failover.receipt import chain_dir

    out = []
    for path in sorted(chain_dir(armed.spine).rglob("*.dsse.json")):
        import base64

        envelope = json.loads(path.read_text())
        predicate = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
        out.append(predicate.get("actor") or "unknown")
    return out


def test_an_applied_then_reverted_failover_shows_when_why_how_long_and_who(tmp_path):
    armed = arm(tmp_path)
    ids = applied(armed)
    assert ids
    reverted = armed.failover("revert", "--all", **armed.signed(),
                              SPINE_GATES_NOW="2026-12-03T09:20:00Z")
    assert reverted.returncode == 0, reverted.stderr
    by_apply, by_revert = actors(armed)
    data = audit(armed, "2026-12-03T10:00:00Z")
    rows = data["failover"]["failovers"]
    assert [r["id"] for r in rows] == ids
    for row in rows:
        assert row["replaces"] == "openai,o4-mini"
        assert row["applied"]["time"] == NOW and row["applied"]["actor"] == by_apply
        assert row["trigger"] == "unreachable"
        assert row["reason"] == "connection refused"
        assert row["expires_at"] == "2026-12-03T09:30:00Z"
        assert row["ended"]["how"] == "reverted"
        assert row["ended"]["time"] == "2026-12-03T09:20:00Z"
        assert row["ended"]["actor"] == by_revert
        assert row["duration_s"] == 1200
    markdown = audit(armed, "2026-12-03T10:00:00Z", "markdown")
    assert "## Failovers" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith(f"| {ids[0]} "))
    assert f"| {NOW} by {by_apply} |" in row
    assert f"| reverted 2026-12-03T09:20:00Z by {by_revert} | 20m |" in row
    assert "unreachable: connection refused" in row


def test_a_failover_left_in_place_ends_at_its_expiry(tmp_path):
    armed = arm(tmp_path)
    applied(armed)
    rows = audit(armed, "2026-12-03T12:00:00Z")["failover"]["failovers"]
    assert rows and all(r["ended"] == {"how": "expired", "time": "2026-12-03T09:30:00Z",
                                       "actor": None, "runKey": None} for r in rows)
    assert all(r["duration_s"] == 1800 for r in rows)


def test_a_failover_still_in_force_is_active_until_its_expiry(tmp_path):
    armed = arm(tmp_path)
    applied(armed)
    rows = audit(armed, "2026-12-03T09:10:00Z")["failover"]["failovers"]
    assert rows and all(r["ended"]["how"] == "active" for r in rows)
    assert all(r["duration_s"] is None for r in rows)
    html = audit(armed, "2026-12-03T09:10:00Z", "html")
    assert "<h2>Failovers</h2>" in html and "active until 2026-12-03T09:30:00Z" in html


def _sign(armed: Armed, monkeypatch: pytest.MonkeyPatch, actor: str, action: str,
          entries: list[Any], at: str) -> None:
    """A failover receipt whose predicate names `actor`, as the watcher's and W1's apply do."""
    from spine_gates.failover.receipt import emit_failover_receipt
    from spine_gates.receipts import store
    from spine_gates.receipts.keys import load_signing_key

    original = store.write_receipt

    def with_actor(root: Path, key: Any, gate: str, build: Any, moment: Any,
                   directory: Path | None = None) -> Any:
        def build_with_actor(run_key: str, when: Any, previous: str | None) -> Any:
            statement = build(run_key, when, previous)
            statement["predicate"]["actor"] = actor
            return statement

        return original(root, key, gate, build_with_actor, moment, directory=directory)

    monkeypatch.setattr(store, "write_receipt", with_actor)
    key = load_signing_key(str(armed.key))
    assert key is not None
    moment = _dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    after = {o.slot: o.route if action == "apply" else o.replaces for o in entries}
    emit_failover_receipt(armed.spine, key, action=action, overrides=entries, before={},
                          after=after, findings=[], live_digest=None, when=moment)
    monkeypatch.setattr(store, "write_receipt", original)


def _override(ident: str, created: str, expires: str) -> Any:
    from spine_gates.failover.record import Override

    def moment(text: str) -> _dt.datetime:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    return Override(ident, "think", "openrouter,anthropic/claude-opus-4-5",
                    "anthropic,claude-opus-4-5", moment(created), moment(expires),
                    "quota_exhausted until 2026-12-04T00:00:00Z",
                    {"route": "anthropic,claude-opus-4-5", "state": "quota_exhausted"})


def test_the_watcher_and_the_person_are_named_and_a_renewal_ends_the_override_it_replaces(
        tmp_path, monkeypatch):
    armed = arm(tmp_path)
    first = _override("fo-1111111111", "2026-12-03T09:00:00Z", "2026-12-03T09:30:00Z")
    renewed = _override("fo-2222222222", "2026-12-03T09:25:00Z", "2026-12-03T09:55:00Z")
    _sign(armed, monkeypatch, "watcher:ws1:4242", "apply", [first], "2026-12-03T09:00:00Z")
    _sign(armed, monkeypatch, "watcher:ws1:4242", "apply", [renewed], "2026-12-03T09:25:00Z")
    _sign(armed, monkeypatch, "ronny@ws1", "revert", [renewed], "2026-12-03T09:40:00Z")
    rows = {r["id"]: r for r in audit(armed, "2026-12-03T11:00:00Z")["failover"]["failovers"]}
    assert rows["fo-1111111111"]["applied"]["actor"] == "watcher:ws1:4242"
    assert rows["fo-1111111111"]["trigger"] == "quota_exhausted"
    assert rows["fo-1111111111"]["ended"]["how"] == "replaced"
    assert rows["fo-1111111111"]["ended"]["by_override"] == "fo-2222222222"
    assert rows["fo-1111111111"]["ended"]["actor"] == "watcher:ws1:4242"
    assert rows["fo-1111111111"]["duration_s"] == 1500
    assert rows["fo-2222222222"]["ended"]["how"] == "reverted"
    assert rows["fo-2222222222"]["ended"]["actor"] == "ronny@ws1"
    assert rows["fo-2222222222"]["duration_s"] == 900
