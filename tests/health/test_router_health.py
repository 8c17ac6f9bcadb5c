"""`gates providers status` reports the router itself: its process (the PID file), and `GET
/health` on the address `ccr activate` names (127.0.0.1, the config's PORT or 3456), bounded by a
short timeout. A router that is down is one clear line, not a storm of provider findings.

The "router" here is a small loopback server answering /health as claude-code-router 2.0.0 does
(`{"status":"ok",…}`); the real router's start-up costs seconds and adds nothing to what is read.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.health.fakes import closed_port
from tests.health.health_helpers import assert_no_keys


class _Health(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args: Any) -> None:
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).hits.append(self.path)
        body = json.dumps({"status": "ok", "timestamp": "2026-12-03T09:00:00.000Z"}).encode()
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_router() -> Iterator[ThreadingHTTPServer]:
    _Health.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def live_config(health_env: dict[str, str], port: Any = None, *, pid: int | None = None,
                text: str | None = None) -> Path:
    """The router's config.json (and PID file) under the test's HOME, where ccr keeps them."""
    home = Path(health_env["HOME"]) / ".claude-code-router"
    home.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"Providers": [], "Router": {}}
    if port is not None:
        config["PORT"] = port
    (home / "config.json").write_text(text if text is not None else json.dumps(config))
    if pid is not None:
        (home / ".claude-code-router.pid").write_text(str(pid))
    return home / "config.json"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def router_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    router: dict[str, Any] = json.loads(proc.stdout)["router"]
    return router


def router_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("router")]


def test_a_running_router_is_up_on_the_port_ccr_activate_names(status, health_env,
                                                               fake_router):
    port = fake_router.server_address[1]
    live_config(health_env, port, pid=os.getpid())
    proc = status()
    assert proc.returncode == 0, proc.stderr
    router = router_json(proc)
    assert router["state"] == "up"
    assert router["url"] == f"http://127.0.0.1:{port}"
    assert router["pid"] == os.getpid() and router["process"] == "running"
    assert router["reason"] == "/health answered ok"
    assert isinstance(router["latency_ms"], float | int)
    assert _Health.hits == ["/health"]
    text = status(fmt="text")
    assert router_lines(text) == [
        f"router: up at http://127.0.0.1:{port} (/health answered ok; process: PID "
        f"{os.getpid()} running)"]


def test_a_stopped_router_is_one_line_that_says_how_to_get_work_going(status, health_env):
    port = closed_port()
    pid = dead_pid()
    live_config(health_env, port, pid=pid)
    proc = status(fmt="text")
    assert proc.returncode == 0, proc.stderr  # the providers are healthy: the exit follows roles
    assert router_lines(proc) == [
        f"router: down at http://127.0.0.1:{port} (connection refused: nothing listens; "
        f"process: PID {pid} not running (stale PID file)); get work going without it: "
        "`gates failover bypass` (or start it: `ccr start`)"]
    assert "0 degraded, 0 down" in proc.stdout
    data = router_json(status())
    assert data["state"] == "down" and data["process"] == "not running (stale PID file)"
    assert data["latency_ms"] is None


def test_a_router_that_accepts_but_never_answers_costs_at_most_the_short_timeout(
        status, health_env):
    with socket.socket() as listener:  # accepts connections (the backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        live_config(health_env, listener.getsockname()[1])
        started = time.monotonic()
        proc = status()
        elapsed = time.monotonic() - started
    router = router_json(proc)
    assert router["state"] == "unhealthy"
    assert router["reason"] == "no answer to GET /health within 0.5 s"
    assert router["process"] == "no PID file"
    assert elapsed < 4, elapsed


def test_the_port_is_read_as_ccr_activate_reads_it(status, health_env, fake_router):
    port = fake_router.server_address[1]
    live_config(health_env, "$GATES_TEST_ROUTER_PORT")
    proc = status(env={**health_env, "GATES_TEST_ROUTER_PORT": str(port)})
    assert router_json(proc)["url"] == f"http://127.0.0.1:{port}"
    assert router_json(proc)["state"] == "up"
    # JSON5, as the router reads it; no PORT is activate's 3456
    live_config(health_env, text='// mine\n{Providers: [], Router: {},}\n')
    assert router_json(status(env={**health_env, "GATES_TEST_ROUTER_PORT": ""}))["url"] == \
        "http://127.0.0.1:3456"
    live_config(health_env, "$GATES_UNSET_PORT_VARIABLE")
    unset = router_json(status())
    assert unset["state"] == "unhealthy" and unset["url"] is None
    assert "is not a port number (an unset variable?)" in unset["reason"]


def test_without_a_router_config_the_router_is_not_set_up(status, health_env):
    proc = status(fmt="text")
    config = Path(health_env["HOME"]) / ".claude-code-router" / "config.json"
    assert router_lines(proc) == [f"router: not set up here (no router config at {config})"]
    assert router_json(status())["state"] == "not_configured"


def test_offline_reads_the_router_files_and_sends_nothing(status, health_env, fake_router,
                                                          tmp_path):
    port = fake_router.server_address[1]
    live_config(health_env, port, pid=os.getpid())
    router = router_json(status("--offline"))
    assert router["state"] == "unchecked" and router["process"] == "running"
    assert _Health.hits == []


def test_live_names_another_router_config(status, health_env, fake_router, tmp_path):
    port = fake_router.server_address[1]
    other = tmp_path / "elsewhere" / "config.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"PORT": port}))
    router = router_json(status("--live", str(other)))
    assert router["state"] == "up" and router["config"] == str(other)


def test_the_router_check_never_prints_a_key_from_the_config(status, health_env):
    key = "sk-ant-api03-FAKEKEYanthropic0123456789abcdefXYZ"
    live_config(health_env, text=json.dumps({"PORT": closed_port(), "APIKEY": key,
                                             "Providers": [{"api_key": key}]}))
    for fmt in ("json", "text"):
        proc = status(fmt=fmt)
        assert_no_keys(proc.stdout + proc.stderr)
        assert "router: down" in proc.stdout or '"state": "down"' in proc.stdout


def test_the_status_exit_code_still_follows_the_roles(status, health_env, fake):
    live_config(health_env, closed_port())
    fake.script("anthropic", status=429, body={"type": "error", "error": {
        "type": "rate_limit_error", "message": "slow down"}}, headers={"retry-after": "30"})
    assert status().returncode == 1  # architect degraded; the router being down adds nothing


def test_a_router_config_that_does_not_parse_is_a_router_line_not_a_status_failure(
        status, health_env):
    live_config(health_env, text="{not json5 at all")
    proc = status(fmt="text")
    assert proc.returncode == 0, proc.stderr
    [line] = router_lines(proc)
    assert line.startswith("router: unhealthy at ? (its config does not parse (")
