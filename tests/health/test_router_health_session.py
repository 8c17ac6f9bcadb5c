"""`gates session check` names an active failover and says when the router is down, with the one
command that gets work going (`gates failover bypass`); it still never blocks and exits 0."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from tests.health.fakes import closed_port
from tests.health.test_router_health import live_config
from tests.helpers import run_gates

NOW = "2026-12-03T09:00:00Z"


def session(spine: Path, env: dict[str, str]) -> list[str]:
    started = time.monotonic()
    proc = run_gates("session", "check", "--root", str(spine), env=env, timeout=10)
    assert time.monotonic() - started < 5
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("provider_brief: ")
    return lines


def write_overrides(env: dict[str, str], entries: list[dict[str, object]] | str) -> Path:
    path = Path(env["XDG_STATE_HOME"]) / "spine-gates" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = entries if isinstance(entries, str) else json.dumps(
        {"version": 1, "overrides": entries})
    path.write_text(text)
    return path


def override(ident: str, slot: str, expires_at: str) -> dict[str, object]:
    return {"id": ident, "slot": slot, "route": "openrouter,anthropic/claude-opus-4-5",
            "replaces": "anthropic,claude-opus-4-5", "created_at": "2026-12-03T08:45:00Z",
            "expires_at": expires_at, "reason": "no answer within 5 s",
            "evidence": {"state": "unreachable"}, "receipt": "sha256:" + "ab" * 32}


def test_a_down_router_is_named_with_the_command_that_gets_work_going(spine, health_env):
    port = closed_port()
    live_config(health_env, port)
    lines = session(spine, health_env)
    router = [line for line in lines if line.startswith("provider_router:")]
    assert router == [f"provider_router: down at http://127.0.0.1:{port} (connection refused: "
                      "nothing listens; process: no PID file); get work going without it: "
                      "`gates failover bypass` (or start it: `ccr start`)"]


def test_a_running_router_adds_no_line(spine, health_env):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        # answers like the router's /health, once
        live_config(health_env, listener.getsockname()[1], pid=os.getpid())
        import threading

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                body = b'{"status":"ok"}'
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body))

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        lines = session(spine, health_env)
        thread.join(timeout=5)
    assert not [line for line in lines if line.startswith("provider_router:")]


def test_no_router_config_adds_no_line(spine, health_env):
    assert not [line for line in session(spine, health_env) if "router" in line]


def test_an_active_failover_is_named_with_slot_route_expiry_and_reason(spine, health_env):
    write_overrides(health_env, [override("fo-aaaaaaaaaa", "think", "2026-12-03T09:30:00Z"),
                                 override("fo-bbbbbbbbbb", "longContext",
                                          "2026-12-03T08:59:59Z")])
    lines = session(spine, {**health_env, "SPINE_GATES_NOW": NOW})
    failover = [line for line in lines if line.startswith("provider_failover:")]
    assert failover == [
        "provider_failover: think -> openrouter,anthropic/claude-opus-4-5 (replaces "
        "anthropic,claude-opus-4-5) until 2026-12-03T09:30:00Z, 30m left: no answer within 5 s "
        "[fo-aaaaaaaaaa]",
        "provider_failover: longContext override fo-bbbbbbbbbb expired at "
        "2026-12-03T08:59:59Z and is still recorded: `gates failover revert fo-bbbbbbbbbb`"]


def test_a_corrupt_override_file_is_a_line_not_a_failure(spine, health_env):
    path = write_overrides(health_env, "{torn")
    lines = session(spine, health_env)
    [line] = [line for line in lines if line.startswith("provider_failover:")]
    assert line.startswith(f"provider_failover: unknown ({path}: corrupted failover state: "
                           "not JSON (")
    assert line.endswith("fix or remove the file (removing it ends every override))")


def test_no_override_file_adds_no_failover_line(spine, health_env):
    assert not [line for line in session(spine, health_env) if "failover" in line]
