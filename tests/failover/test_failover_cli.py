"""`gates failover plan|apply|revert|status` through the real CLI.

Provider health comes from a real `gates providers status` against fake providers on loopback
(cached, then read with `--from-cache`); the clock is pinned with SPINE_GATES_NOW.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from pathlib import Path

import pytest

from tests.failover.cli_setup import NOW, Armed, arm, cache_health
from tests.health.fakes import closed_port
from tests.helpers import run_gates

ROUTE = "openrouter,anthropic/claude-sonnet-4-5"
REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def armed(tmp_path: Path) -> Armed:
    return arm(tmp_path)


def _status(armed: Armed) -> dict:
    proc = armed.failover("status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _applied(armed: Armed, *extra: str) -> dict:
    proc = armed.failover("apply", "--from-cache", "--yes", *extra, **armed.signed())
    assert proc.returncode == 0, proc.stderr
    return _status(armed)


def test_plan_proposes_moving_the_unreachable_slots_and_exits_1(armed: Armed) -> None:
    proc = armed.failover("plan", "--from-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "changes_proposed"
    assert set(data) == {"schema_version", "tool", "version", "status", "checked_at", "changes",
                         "stuck", "reverts", "warnings", "predicted"}
    default = next(c for c in data["changes"] if c["slot"] == "default")
    assert (default["replaces"], default["route"], default["state"]) == \
        ("openai,o4-mini", ROUTE, "unreachable")
    predicted = next(p for p in data["predicted"] if p["slot"] == "default")
    assert predicted["answered_by"] == "openrouter/anthropic/claude-sonnet-4-5"


def test_plan_with_every_provider_healthy_has_nothing_to_do_and_exits_0(armed: Armed) -> None:
    cache_health(armed.spine, armed.env, "healthy")
    proc = armed.failover("plan", "--from-cache")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout


def test_plan_from_cache_without_a_cached_status_is_exit_3(tmp_path: Path,
                                                             armed: Armed) -> None:
    other = arm(tmp_path / "other")
    from spine_gates.health import state_store

    state_store.db_path().unlink()
    proc = other.failover("plan", "--from-cache")
    assert proc.returncode == 3
    assert "run `gates providers status` first" in proc.stderr


def test_apply_without_yes_and_without_a_terminal_exits_3_and_writes_nothing(
        armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", **armed.signed())
    assert proc.returncode == 3
    assert "pass --yes" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert _status(armed)["overrides"] == []


def test_apply_without_a_signing_key_fails_as_run_receipt_does(armed: Armed) -> None:
    run = armed.gates("run", "registry-policy", "--root", str(armed.spine), "--receipt")
    proc = armed.failover("apply", "--from-cache", "--yes")
    assert proc.returncode == run.returncode == 3
    assert proc.stderr == run.stderr
    assert _status(armed)["overrides"] == []


def test_apply_with_no_receipt_needs_no_key(armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", "--no-receipt")
    assert proc.returncode == 0, proc.stderr
    assert [o["receipt"] for o in _status(armed)["overrides"]] == [None, None]


def test_apply_writes_the_override_with_the_pinned_expiry_and_a_receipt(armed: Armed) -> None:
    status = _applied(armed, "--ttl", "10m")
    default = next(o for o in status["overrides"] if o["slot"] == "default")
    assert (default["route"], default["replaces"]) == (ROUTE, "openai,o4-mini")
    assert (default["created_at"], default["expires_at"]) == (NOW, "2026-12-03T09:10:00Z")
    assert default["receipt"].startswith("sha256:") and default["state"] == "active"
    assert status["router_module"] == "installed"


def test_apply_ttl_over_the_maximum_is_exit_3(armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", "--ttl", "5h", **armed.signed())
    assert proc.returncode == 3 and "max_ttl" in proc.stderr
    assert _status(armed)["overrides"] == []


def test_status_lists_an_override_as_expired_once_the_clock_passes_it(armed: Armed) -> None:
    _applied(armed, "--ttl", "10m")
    later = armed.failover("status", SPINE_GATES_NOW="2026-12-03T09:10:00Z")
    assert "[expired]" in later.stdout and "[active]" not in later.stdout


def test_a_second_apply_has_nothing_to_do(armed: Armed) -> None:
    _applied(armed)
    proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
    assert proc.returncode == 0 and "nothing to apply" in proc.stdout


def test_revert_removes_the_overrides_and_signs_a_receipt(armed: Armed) -> None:
    ids = [o["id"] for o in _applied(armed)["overrides"]]
    proc = armed.failover("revert", ids[0], **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert f"reverted {ids[0]}" in proc.stdout and "receipt sha256:" in proc.stdout
    assert [o["id"] for o in _status(armed)["overrides"]] == ids[1:]
    assert armed.failover("revert", "--all", **armed.signed()).returncode == 0
    assert _status(armed)["overrides"] == []


def test_revert_of_an_unknown_id_is_exit_3_and_removes_nothing(armed: Armed) -> None:
    _applied(armed)
    proc = armed.failover("revert", "fo-nope", **armed.signed())
    assert proc.returncode == 3 and "fo-nope" in proc.stderr
    assert len(_status(armed)["overrides"]) == 2


def test_receipts_verify_passes_with_the_failover_chain(armed: Armed) -> None:
    _applied(armed)
    armed.failover("revert", "--all", **armed.signed())
    proc = armed.gates("receipts", "verify", "--root", str(armed.spine), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["receipts"] == 0  # the spine's own chain is untouched
    assert (data["failover"]["ok"], data["failover"]["verified"]) == (True, 2)
    assert not (armed.spine / "receipts" / "index.jsonl").exists()


def test_receipts_verify_fails_when_a_failover_receipt_is_tampered_with(armed: Armed) -> None:
    _applied(armed)
    directory = Path(_verify_json(armed)["failover"]["directory"])
    envelope = next(directory.glob("*/*/*.dsse.json"))
    envelope.write_bytes(envelope.read_bytes().replace(b'"payload":"', b'"payload":"eyJ'))
    proc = armed.gates("receipts", "verify", "--root", str(armed.spine))
    assert proc.returncode == 1
    assert str(directory) in proc.stdout


def _verify_json(armed: Armed) -> dict:
    proc = armed.gates("receipts", "verify", "--root", str(armed.spine), "--format", "json")
    return json.loads(proc.stdout)


def test_the_audit_shows_failover_actions_in_their_own_section(armed: Armed) -> None:
    _applied(armed)
    proc = armed.gates("receipts", "audit", "--root", str(armed.spine), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    audit = json.loads(proc.stdout)
    assert audit["timeline"] == []
    [action] = audit["failover"]["actions"]
    assert action["action"] == "apply"
    assert {o["slot"] for o in action["overrides"]} == {"default", "webSearch"}
    markdown = armed.gates("receipts", "audit", "--root", str(armed.spine)).stdout
    assert "## Failover actions" in markdown


def test_a_corrupted_override_file_is_exit_3_in_one_line_and_nothing_is_applied(
        armed: Armed, state_home: Path) -> None:
    state_home.mkdir(parents=True, exist_ok=True)
    broken = '{"version": 1, "overrides": [{"slot": "def'
    (state_home / "overrides.json").write_text(broken)
    for proc in (armed.failover("apply", "--from-cache", "--yes", **armed.signed()),
                 armed.failover("plan", "--from-cache"), armed.failover("status")):
        assert proc.returncode == 3
        assert len(proc.stderr.splitlines()) == 1
        assert proc.stderr.startswith("gates: error: ") and "overrides.json" in proc.stderr
    assert (state_home / "overrides.json").read_text() == broken


def test_apply_refuses_without_the_router_module(tmp_path: Path) -> None:
    bare = arm(tmp_path, module=False)
    proc = bare.failover("apply", "--from-cache", "--yes", **bare.signed())
    assert proc.returncode == 3
    assert "failover.router_module: true" in proc.stderr and "gates sync" in proc.stderr
    assert _status(bare)["overrides"] == []


def test_apply_never_acts_on_the_bundled_reference_spine(armed: Armed) -> None:
    proc = armed.gates("failover", "apply", "--reference", "--yes", "--from-cache",
                       "--live", str(armed.live))
    assert proc.returncode == 3 and "reference spine" in proc.stderr


def test_apply_goes_ahead_despite_a_stale_review_and_records_the_finding(armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", SPINE_GATES_TODAY="2027-06-01",
                          **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert "recorded" in proc.stdout and "SSOT-004" in proc.stdout


def test_an_apply_stopped_before_signing_is_unreceipted_and_a_rerun_signs_it(
        armed: Armed) -> None:
    # what a kill between writing the override and signing leaves behind
    armed.failover("apply", "--from-cache", "--yes", "--no-receipt")
    assert "active, unreceipted" in armed.failover("status").stdout
    proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert "receipted" in proc.stdout
    assert all(o["receipt"] for o in _status(armed)["overrides"])
    assert _verify_json(armed)["failover"]["verified"] == 1


def test_route_explain_live_state_starts_from_the_active_override(armed: Armed,
                                                                  tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))

    def explain() -> dict:
        proc = armed.gates("route", "explain", str(request), "--root", str(armed.spine),
                           "--ccr-config", str(armed.live), "--live-state", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    before = explain()
    assert before["outcome"]["model"] is None  # openai refuses: no fallback after a network error
    _applied(armed)
    after = explain()
    assert (after["rule"], after["scenario"]) == ("custom", "default")
    assert after["outcome"]["model"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert any("failover override" in note for note in after["notes"])


def test_route_resilience_live_state_starts_from_the_active_override(armed: Armed) -> None:
    def executor() -> dict:
        proc = armed.gates("route", "resilience", "--root", str(armed.spine), "--ccr-config",
                           str(armed.live), "--live-state", "--format", "json")
        return json.loads(proc.stdout)["roles"]["executor"]

    assert executor()["status"] == "down"
    _applied(armed)
    assert executor()["status"] == "healthy"


def test_apply_outside_a_spine_is_exit_3(tmp_path: Path, armed: Armed) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_gates("failover", "apply", "--yes", "--from-cache", cwd=elsewhere,
                     env=armed.env)
    assert proc.returncode == 3


# --- integration of the two halves: faults and freshness ------------------------------------

class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _router_port(armed: Armed, port: int) -> None:
    config = json.loads(armed.live.read_text())
    config["PORT"] = port
    armed.live.write_text(json.dumps(config, indent=2) + "\n")


def test_apply_with_the_router_not_running_records_the_override_and_says_to_start_it(
        armed: Armed) -> None:
    _router_port(armed, closed_port())
    proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert "the router is not running" in proc.stdout and "ccr start" in proc.stdout
    assert "no restart" not in proc.stdout
    assert {o["state"] for o in _status(armed)["overrides"]} == {"active"}


def test_apply_with_the_router_running_says_the_next_request_uses_it(armed: Armed) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _router_port(armed, server.server_address[1])
        proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    assert "the router module reads the override on the next request; no restart" \
        in proc.stdout
    assert "not running" not in proc.stdout


def test_a_corrupted_override_file_stops_drift_and_sync_with_exit_3_naming_it(
        armed: Armed, state_home: Path) -> None:
    state_home.mkdir(parents=True, exist_ok=True)
    broken = '{"version": 1, "overrides": [{"slot": "def'
    (state_home / "overrides.json").write_text(broken)
    live = ("--root", str(armed.spine), "--live", str(armed.live))
    before = armed.live.read_bytes()
    for proc in (armed.gates("run", "provider-drift", *live, "--no-receipt"),
                 armed.gates("sync", *live), armed.gates("sync", *live, "--clear-overrides")):
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert len(proc.stderr.splitlines()) == 1
        assert proc.stderr.startswith("gates: error: ") and "overrides.json" in proc.stderr
        assert "fix or remove the file" in proc.stderr
    assert (state_home / "overrides.json").read_text() == broken
    assert armed.live.read_bytes() == before


def test_plan_from_cache_says_how_old_the_health_is(armed: Armed) -> None:
    proc = armed.failover("plan", "--from-cache")
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"^  health: cached at \S+Z, under a minute old \(fresh for 5m\)$",
                     proc.stdout, re.M), proc.stdout


def test_plan_and_apply_from_a_stale_cache_are_exit_3_and_apply_writes_nothing(
        armed: Armed) -> None:
    time.sleep(1.1)
    stale = {"SPINE_GATES_HEALTH_TTL": "1"}  # as `session check` reads it
    for proc in (armed.failover("plan", "--from-cache", **stale),
                 armed.failover("apply", "--from-cache", "--yes", **stale, **armed.signed())):
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert len(proc.stderr.splitlines()) == 1
        assert "the cached provider health is " in proc.stderr
        assert "run `gates providers status`" in proc.stderr
    assert _status(armed)["overrides"] == []
