"""Router-log signals folded into the status, and `gates session check` on the cached state."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import time
from pathlib import Path

from tests.health.health_helpers import assert_no_keys, provider, role
from tests.helpers import run_gates

SPEND = {"type": "error", "error": {"type": "rate_limit_error", "details": {
    "error_code": "enforced_spend_limit_reached"}}}


def _log(home: Path, *records: dict) -> None:
    logs = home / ".claude-code-router" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "ccr-20261125180000.log").open("a") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def _failed(provider_id: str, model: str, status: int, body: dict, age_s: float = 5) -> dict:
    return {"level": 50, "time": int((time.time() - age_s) * 1000), "reqId": "req-1",
            "msg": f"Error from provider({provider_id},{model}: {status}): {json.dumps(body)}"}


# passive ---------------------------------------------------------------------------------------

def test_router_log_quota_error_overrides_a_healthy_catalogue_probe(status, health_env):
    _log(Path(health_env["HOME"]),
         {"level": 30, "time": int(time.time() * 1000), "msg": "request completed"},
         _failed("openai", "o4-mini", 429, {"error": {"code": "insufficient_quota"}}))
    proc = status()
    p = provider(proc, "openai")
    assert p["state"] == "quota_exhausted"
    assert p["reason"].startswith("router traffic: 429 insufficient_quota")
    assert role(proc, "executor")["status"] == "degraded"


def test_recent_router_429s_mark_rate_limited(status, health_env):
    _log(Path(health_env["HOME"]), *[
        _failed("nvidia_nim", "z-ai/glm5", 429, {"status": 429, "title": "Too Many Requests"},
                age_s=age) for age in (50, 30, 10)])
    p = provider(status(), "nvidia_nim")
    assert p["state"] == "rate_limited"
    assert p["reason"].startswith("router traffic: 3× 429")
    assert p["source"] == "router log"



def test_a_router_429_counts_as_recent_for_60_seconds_not_at_60():
    from spine_gates.health.passive import RECENT_429_S, Tally, fold
    from spine_gates.health.state import Health, State

    at = _dt.datetime(2026, 11, 25, 18, 0, tzinfo=_dt.UTC)
    tally = Tally(count_429=1, last_429=at, worst=Health(State.RATE_LIMITED, "429"))
    just_before = fold(tally, at + _dt.timedelta(seconds=RECENT_429_S, microseconds=-1))
    assert just_before is not None and just_before.state == State.RATE_LIMITED
    assert fold(tally, at + _dt.timedelta(seconds=RECENT_429_S)) is None

def test_old_router_errors_and_unknown_providers_are_ignored(status, health_env):
    _log(Path(health_env["HOME"]),
         _failed("openai", "o4-mini", 429, {"error": {"code": "insufficient_quota"}},
                 age_s=3600),
         _failed("someoneelse", "m", 429, {}),
         {"level": 50, "time": "not a time", "msg": "Error from provider(openai,o4-mini: 429)"})
    (Path(health_env["HOME"]) / ".claude-code-router" / "logs" / "ccr-20261125180000.log"
     ).open("a").write("not json at all Error from provider(openai,x: 429)\n")
    assert provider(status(), "openai")["state"] == "healthy"


def test_five_server_errors_in_the_window_degrade_a_provider(status, health_env):
    _log(Path(health_env["HOME"]), *[
        _failed("zai", "glm-5", 500, {"error": {"message": "internal"}}, age_s=100 + i)
        for i in range(5)])
    p = provider(status(), "zai")
    assert p["state"] == "degraded"
    assert p["reason"] == "router traffic: 5 server errors in the last 15 min"


# session check ---------------------------------------------------------------------------------

def _session(spine: Path, env: dict[str, str], *extra: str):
    proc = run_gates("session", "check", "--root", str(spine), *extra, env=env, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("provider_brief:") == 1
    assert proc.stdout.startswith("provider_brief: ")
    assert_no_keys(proc.stdout + proc.stderr)
    return proc


def test_session_check_without_a_cache_says_so_and_exits_0(spine, health_env, fake):
    proc = _session(spine, health_env)
    assert proc.stdout.startswith("provider_brief: unknown (no provider state cached)")
    assert fake.seen == []


def test_session_check_reads_the_cache_only_and_warns_per_degraded_primary(
        spine, status, fake, health_env):
    fake.script("anthropic", status=429, body=SPEND)
    fake.script("openai", status=429, body={"error": {"code": "insufficient_quota"}})
    status()
    fake.seen.clear()
    fake.script("anthropic", body={"data": []}, delay=30)  # any network use would now hang
    started = time.monotonic()
    proc = _session(spine, health_env)
    assert time.monotonic() - started < 5
    assert fake.seen == []
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("provider_brief: roles 1 healthy, 2 degraded, 0 down; "
                               "providers 4/6 healthy; checked ")
    assert len(lines) == 3
    assert lines[1].startswith("provider_warning: role architect: primary "
                               "anthropic/claude-opus-4-5 is quota_exhausted until ")
    assert lines[1].endswith("serving openrouter/anthropic/claude-opus-4-5")
    assert lines[2].startswith("provider_warning: role executor: primary openai/o4-mini is "
                               "quota_exhausted (")


def test_session_check_never_fails_on_bad_input(spine, health_env, tmp_path):
    proc = _session(spine, health_env)
    missing = run_gates("session", "check", "--root", str(tmp_path / "nope"), env=health_env)
    assert missing.returncode == 0
    assert missing.stdout.startswith("provider_brief: unavailable (--root ")
    assert "is not a directory" in missing.stdout
    odd = run_gates("session", "check", "--bogus", "--root", str(spine), env=health_env)
    assert odd.returncode == 0
    assert "ignored unknown argument(s): --bogus" in odd.stdout
    dangling = run_gates("session", "check", "--root", env=health_env)
    assert dangling.returncode == 0 and dangling.stdout.startswith("provider_brief: ")
    assert proc.stderr == ""


def test_session_check_survives_a_corrupt_state_store(spine, health_env):
    state = Path(health_env["XDG_STATE_HOME"]) / "spine-gates"
    state.mkdir(parents=True)
    (state / "health.sqlite3").write_bytes(b"this is not a database" * 100)
    proc = _session(spine, health_env)
    assert proc.stdout.startswith("provider_brief: unknown (state store unreadable (file is not "
                                  "a database): delete ")
    refreshing = _session(spine, dict(health_env, SPINE_GATES_HEALTH_REFRESH="1"))
    assert "refresh not started (state store: file is not a database)" in refreshing.stdout


def _snapshot_time(env: dict[str, str], root: Path) -> float | None:
    path = Path(env["XDG_STATE_HOME"]) / "spine-gates" / "health.sqlite3"
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=5)
    try:
        row = conn.execute("SELECT written_at FROM snapshots WHERE root = ?",
                           (str(root.resolve()),)).fetchone()
        done = conn.execute("SELECT finished_at FROM refreshes WHERE root = ?",
                            (str(root.resolve()),)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row and done and done[0] else None


def _wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the background refresh")


def test_a_stale_cache_is_refreshed_in_the_background(spine, status, fake, health_env):
    status()
    first = _snapshot_time(dict(health_env), spine) or 0.0
    roles_file = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles_file.write_text(roles_file.read_text() + "\n# edited\n")
    env = dict(health_env, SPINE_GATES_HEALTH_REFRESH="1")
    fake.seen.clear()
    started = time.monotonic()
    proc = _session(spine, env)
    assert time.monotonic() - started < 5
    assert "stale, refreshing in the background" in proc.stdout
    refreshed = _wait_for(lambda: (_snapshot_time(env, spine) or 0) > first and
                          _snapshot_time(env, spine))
    assert refreshed > first
    assert {s.provider for s in fake.seen} >= {"anthropic", "openai", "openrouter"}
    again = _session(spine, env)
    assert "stale" not in again.stdout and "refreshing" not in again.stdout


def test_a_failed_background_refresh_is_reported_by_the_next_session(spine, health_env):
    (spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml").write_text("roles: [\n")
    env = dict(health_env, SPINE_GATES_HEALTH_REFRESH="1")
    first = _session(spine, env)
    assert "refreshing in the background" in first.stdout
    _wait_for(lambda: _refresh_error(env, spine))
    second = _session(spine, env)
    assert "last refresh failed: docs/governance/ROLE_PROVIDER_MAPS.yaml" in second.stdout


def _refresh_error(env: dict[str, str], root: Path) -> str | None:
    path = Path(env["XDG_STATE_HOME"]) / "spine-gates" / "health.sqlite3"
    conn = sqlite3.connect(path, timeout=5)
    try:
        row = conn.execute("SELECT error FROM refreshes WHERE root = ?",
                           (str(root.resolve()),)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def test_session_check_help_still_works(health_env):
    proc = run_gates("session", "check", "--help", env=health_env)
    assert proc.returncode == 0
    assert "--root" in proc.stdout


def test_the_session_fast_path_loads_no_network_or_yaml_code(spine, status, health_env):
    import subprocess
    import sys

    from tests.helpers import REPO

    status()
    code = ("import sys; from spine_gates.cli import main; rc = main(['session', 'check', "
            f"'--root', {str(spine)!r}]); heavy = [m for m in ('httpx', 'asyncio', 'yaml', "
            "'spine_gates.health.runner', 'spine_gates.gates') if m in sys.modules]; "
            "print('HEAVY', heavy, rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=health_env,
                          capture_output=True, text=True, timeout=30)
    assert proc.stdout.startswith("provider_brief: roles 3 healthy")
    assert "HEAVY [] 0" in proc.stdout


def test_concurrent_status_runs_share_the_store_safely(spine, fake, health_env):
    import subprocess
    import sys

    from tests.helpers import REPO

    fake.script("anthropic", status=429, body=SPEND)
    procs = [subprocess.Popen([sys.executable, "-m", "spine_gates", "providers", "status",
                               "--root", str(spine), "--format", "json", "--timeout", "3"],
                              cwd=REPO, env=health_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=90) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 1, err
        assert json.loads(out)["providers"][0]["state"] == "quota_exhausted"
    session = _session(spine, health_env)
    assert "roles 2 healthy, 1 degraded" in session.stdout


# Review regression: a failed background refresh's error is stored and shown scrubbed.
#
# `gates session check` prints the stored error without redacting it (it must stay fast), and the
# error is an exception message that can quote a key (here a `?key=` URL given as an override).
KEY = "Qq11Ww22Ee33Rr44Tt55Yy66"


def pieces(text: str, size: int = 8) -> set[str]:
    return {text[i:i + size] for i in range(len(text) - size + 1)}


def test_a_failed_refresh_never_stores_or_shows_a_key(spine: Path, health_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    failed = run_gates("providers", "status", "--root", str(spine), "--offline",
                       "--session-refresh", "--api-base-override", f"zai=ftp://x/?key={KEY}",
                       env=health_env)
    assert failed.returncode == 3
    assert "--api-base-override" in failed.stderr
    database = Path(health_env["XDG_STATE_HOME"]) / "spine-gates" / "health.sqlite3"
    with sqlite3.connect(database) as conn:
        (error,) = conn.execute("SELECT error FROM refreshes").fetchone()
    assert error and "--api-base-override" in error and "sha256:" in error
    # A snapshot makes session check read the refresh row; a registry edit makes it stale.
    done = run_gates("providers", "status", "--root", str(spine), "--offline", env=health_env)
    assert done.returncode == 0, done.stderr
    registry = spine / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    registry.write_text(registry.read_text() + "# edited\n")
    failed = run_gates("providers", "status", "--root", str(spine), "--offline",
                       "--session-refresh", "--api-base-override", f"zai=ftp://x/?key={KEY}",
                       env=health_env)
    assert failed.returncode == 3
    session = run_gates("session", "check", "--root", str(spine), env=health_env)
    assert "last refresh failed: --api-base-override" in session.stdout, session.stdout
    outputs = failed.stdout + failed.stderr + session.stdout + session.stderr
    stored = b"".join(p.read_bytes() for p in database.parent.iterdir())  # the db and its WAL
    for piece in pieces(KEY):
        assert piece not in outputs
        assert piece.encode() not in stored
