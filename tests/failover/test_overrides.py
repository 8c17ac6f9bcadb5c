"""The override state file: validated on read, written atomically under a lock, expiring."""

from __future__ import annotations

import datetime as _dt
import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from spine_gates import clock
from spine_gates.errors import EXIT_BAD_INPUT, InputError
from spine_gates.failover import overrides
from spine_gates.failover.plan import plan
from spine_gates.failover.settings import FailoverSettings
from tests.failover.helpers import NOW, healthy, hung, load

TTL = _dt.timedelta(minutes=30)


def _apply_hung_openai(root: Path, ttl: _dt.timedelta = TTL,
                       now: _dt.datetime = NOW) -> list[overrides.Override]:
    model, live = load(root)
    return overrides.apply(plan(model, healthy(openai=hung()), live, FailoverSettings(), now),
                           ttl, now)


def test_apply_records_one_entry_per_slot_with_expiry(spine: Path, state_home: Path) -> None:
    added = _apply_hung_openai(spine)
    data = json.loads((state_home / "overrides.json").read_text())
    assert data["version"] == 1
    assert {(e["slot"], e["route"], e["replaces"]) for e in data["overrides"]} == {
        ("default", "openrouter,anthropic/claude-sonnet-4-5", "openai,o4-mini"),
        ("webSearch", "openrouter,anthropic/claude-sonnet-4-5", "openai,o4-mini")}
    assert {e["expires_at"] for e in data["overrides"]} == {"2026-12-03T08:30:00Z"}
    assert [e.id for e in added] == [e["id"] for e in data["overrides"]]
    assert stat.S_IMODE(os.stat(state_home / "overrides.json").st_mode) == 0o644


def test_corrupted_file_is_exit_3_naming_the_file(state_home: Path) -> None:
    state_home.mkdir(parents=True)
    path = state_home / "overrides.json"
    path.write_text('{"version": 1, "overrides": [{"slot": "default", "route": "a,b"')
    with pytest.raises(InputError) as caught:
        overrides.read()
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert str(caught.value).startswith(f"{path}: corrupted failover state: not JSON")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content, what", [
    ('[]', 'expected {"version": 1'),
    ('{"version": 2, "overrides": []}', 'expected {"version": 1'),
    ('{"version": 1, "overrides": [{"id": "x"}]}', "overrides[0] lacks slot"),
    ('{"version": 1, "overrides": [{"id": "x", "slot": "nope", "route": "a,b", "replaces": '
     '"c,d", "created_at": "2026-12-03T08:00:00Z", "expires_at": "2026-12-03T09:00:00Z", '
     '"reason": "", "evidence": null, "receipt": null}]}', "slot 'nope' is not a router slot"),
    ('{"version": 1, "overrides": [{"id": "x", "slot": "think", "route": "a,b", "replaces": '
     '"c,d", "created_at": "2026-12-03T08:00:00Z", "expires_at": "tomorrow", '
     '"reason": "", "evidence": null, "receipt": null}]}', "expires_at is not an ISO-8601"),
])
def test_wrong_shaped_file_is_exit_3(state_home: Path, content: str, what: str) -> None:
    state_home.mkdir(parents=True)
    (state_home / "overrides.json").write_text(content)
    with pytest.raises(InputError, match="corrupted failover state") as caught:
        overrides.active(NOW)
    assert what in str(caught.value)


def test_corrupted_file_is_never_overwritten_by_apply(spine: Path, state_home: Path) -> None:
    state_home.mkdir(parents=True)
    (state_home / "overrides.json").write_text("{torn")
    with pytest.raises(InputError):
        _apply_hung_openai(spine)
    assert (state_home / "overrides.json").read_text() == "{torn"


def test_expiry_is_exclusive_at_the_boundary(spine: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_hung_openai(spine, ttl=_dt.timedelta(seconds=90))
    monkeypatch.setenv("SPINE_GATES_NOW", "2026-12-03T08:01:29Z")
    assert len(overrides.active(clock.now())) == 2
    monkeypatch.setenv("SPINE_GATES_NOW", "2026-12-03T08:01:30Z")
    assert overrides.active(clock.now()) == []
    assert len(overrides.read()) == 2  # expired, still on record: drift reports it


def test_a_clock_pinned_badly_is_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINE_GATES_NOW", "half past eight")
    with pytest.raises(InputError, match="SPINE_GATES_NOW='half past eight'"):
        clock.now()


def test_a_clock_that_jumps_back_revives_nothing_it_did_not_record(
        spine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_hung_openai(spine)
    monkeypatch.setenv("SPINE_GATES_NOW", "2026-12-03T07:00:00+00:00")
    assert len(overrides.active(clock.now())) == 2  # created in its future, still in force
    monkeypatch.setenv("SPINE_GATES_NOW", "2026-12-04T08:00:00")
    assert overrides.active(clock.now()) == []


def test_reapply_replaces_the_active_override_of_a_slot(spine: Path) -> None:
    first = _apply_hung_openai(spine)
    second = _apply_hung_openai(spine, now=NOW + _dt.timedelta(minutes=5))
    recorded = overrides.read()
    assert {e.id for e in recorded} == {e.id for e in second}
    assert not {e.id for e in first} & {e.id for e in recorded}


def test_ttl_over_the_maximum_is_refused_and_nothing_written(spine: Path,
                                                             state_home: Path) -> None:
    model, live = load(spine)
    proposed = plan(model, healthy(openai=hung()), live, FailoverSettings(), NOW)
    with pytest.raises(InputError, match="max_ttl"):
        overrides.apply(proposed, _dt.timedelta(hours=5), NOW, max_ttl=_dt.timedelta(hours=4))
    assert not (state_home / "overrides.json").exists()


def test_pre_override_config_is_kept_apart_and_dropped_on_full_revert(
        spine: Path, state_home: Path, tmp_path: Path) -> None:
    live_path = tmp_path / "home" / ".claude-code-router" / "config.json"
    live_path.parent.mkdir(parents=True)
    live_path.write_text('{"Router": {"default": "openai,o4-mini"}}\n')
    model, live = load(spine)
    proposed = plan(model, healthy(openai=hung()), live, FailoverSettings(), NOW)
    overrides.apply(proposed, TTL, NOW, live_path=live_path)
    kept = state_home / "pre-override" / "config.json"
    assert kept.read_bytes() == live_path.read_bytes()
    live_path.write_text("{}\n")  # a later apply while one is active keeps the first copy
    overrides.apply(proposed, TTL, NOW, live_path=live_path)
    assert kept.read_text().startswith('{"Router"')
    removed = overrides.revert(None, NOW)
    assert len(removed) == 2 and overrides.read() == [] and not kept.exists()


def test_revert_by_id_and_unknown_id(spine: Path) -> None:
    added = _apply_hung_openai(spine)
    with pytest.raises(InputError, match="no override with id 'fo-nope'"):
        overrides.revert(["fo-nope"], NOW)
    assert len(overrides.read()) == 2  # nothing removed
    overrides.revert([added[0].id], NOW)
    assert [e.id for e in overrides.read()] == [added[1].id]


def test_reason_and_evidence_are_redacted(spine: Path) -> None:
    from spine_gates.secrets.redact import register_secret

    key = "sk-proj-" + "Q" * 40
    register_secret(key)
    model, live = load(spine)
    states = healthy(openai=hung().with_(reason=f"no answer; upstream said key {key}"))
    overrides.apply(plan(model, states, live, FailoverSettings(), NOW), TTL, NOW)
    text = overrides.overrides_path().read_text()
    assert key not in text and "sha256:" in text


def _apply_in_child(root: str, minute: int, state: str) -> None:
    os.environ["XDG_STATE_HOME"] = state
    model, live = load(Path(root))
    when = NOW + _dt.timedelta(minutes=minute)
    states = healthy(openai=hung()) if minute % 2 else healthy(anthropic=hung())
    overrides.apply(plan(model, states, live, FailoverSettings(), when), TTL, when)


def test_concurrent_applies_lose_no_entry(spine: Path, state_home: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=_apply_in_child,
                            args=(str(spine), minute, str(state_home.parent)))
                for minute in range(8)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    slots = sorted(e.slot for e in overrides.read())
    # each apply replaces the active override of its own slots: one entry per slot survives
    assert slots == ["default", "longContext", "think", "webSearch"]


def test_a_kill_mid_write_leaves_the_old_file(spine: Path, state_home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _apply_hung_openai(spine)
    before = (state_home / "overrides.json").read_bytes()

    def killed(*_: object) -> None:
        raise KeyboardInterrupt  # stands in for a signal between the temp write and the rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _apply_hung_openai(spine, now=NOW + _dt.timedelta(minutes=1))
    assert (state_home / "overrides.json").read_bytes() == before
    assert [p.name for p in state_home.iterdir() if p.name.endswith(".tmp")] == []
