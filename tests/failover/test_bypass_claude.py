"""The router is a single point of failure; `gates failover bypass` gets work going without it.

End to end on loopback: the real claude-code-router 2.0.0 starts with the spine's compiled config
and is stopped; `providers status` and `session check` say it is down and name the bypass; the
one documented command (`sh -c 'eval "$(gates failover bypass --cli claude_code)" && exec
claude'`, run with the key in the environment as `infisical run` leaves it) makes the real Claude
Code (`claude -p`) answer from a fake Anthropic-format provider. The shell that runs it still
holds what `ccr activate` exported (the router's URL and token): the bypass must win over them.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ccr.ccr_fakes import Router, ccr_binary, free_port
from tests.health.fakes import closed_port
from tests.helpers import REPO, copy_reference_spine, gates_env, run_gates
from tests.routing.test_claude_code_e2e import claude_binary

KEY = "sk-ant-api03-FAKEKEYbypass0123456789abcdefghijklmnopqrstu"
ANSWER = "answer from the direct anthropic-format provider"


@dataclass
class AnthropicFake:
    """An Anthropic-format provider: `GET /v1/models` (the health probe) and `POST
    /v1/messages` (JSON, or server-sent events when the request streams)."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> AnthropicFake:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner.seen.append({"method": "GET", "path": self.path,
                                   "key": self.headers.get("x-api-key")})
                self._send(200, json.dumps({"data": [{"id": "claude-opus-4-5"}]}).encode())

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.loads(raw or b"{}")
                owner.seen.append({"method": "POST", "path": self.path,
                                   "key": self.headers.get("x-api-key"),
                                   "bearer": self.headers.get("authorization"),
                                   "model": body.get("model")})
                if "/count_tokens" in self.path:
                    return self._send(200, b'{"input_tokens": 3}')
                model = str(body.get("model"))
                if not body.get("stream"):
                    return self._send(200, json.dumps({
                        "id": "msg_fake", "type": "message", "role": "assistant",
                        "model": model, "content": [{"type": "text", "text": ANSWER}],
                        "stop_reason": "end_turn", "stop_sequence": None,
                        "usage": {"input_tokens": 3, "output_tokens": 4}}).encode())
                events = [
                    ("message_start", {"type": "message_start", "message": {
                        "id": "msg_fake", "type": "message", "role": "assistant",
                        "model": model, "content": [], "stop_reason": None,
                        "stop_sequence": None, "usage": {"input_tokens": 3,
                                                         "output_tokens": 1}}}),
                    ("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": {"type": "text", "text": ""}}),
                    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": ANSWER}}),
                    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    ("message_delta", {"type": "message_delta", "delta": {
                        "stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": 4}}),
                    ("message_stop", {"type": "message_stop"})]
                stream = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n"
                                 for name, data in events)
                return self._send(200, stream.encode(), "text/event-stream")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def anthropic() -> Iterator[AnthropicFake]:
    fake = AnthropicFake().start()
    yield fake
    fake.stop()


def spine_with_direct_anthropic(base: Path, url: str) -> Path:
    """The reference spine with its Anthropic provider at the fake's URL."""
    spine = copy_reference_spine(base / "spine")
    registry = spine / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    text = registry.read_text()
    registry.write_text(text.replace("api_base: https://api.anthropic.com", f"api_base: {url}"))
    return spine


def gates_shell() -> str:
    """`gates` as this checkout runs it (the console script may be another checkout's)."""
    return f"{shlex.quote(sys.executable)} -m spine_gates"


def test_with_the_router_stopped_claude_code_is_answered_directly(anthropic, tmp_path):
    ccr_binary()
    claude = claude_binary()
    spine = spine_with_direct_anthropic(tmp_path, anthropic.url)
    home = Path(os.environ["HOME"])
    live = home / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True, exist_ok=True)
    env = gates_env(SPINE_GATES_HEALTH_REFRESH="0")
    assert run_gates("compile", "ccr", "--root", str(spine), "--out", str(live),
                     env=env).returncode == 0
    port = free_port()
    config = json.loads(live.read_text())
    config.update({"PORT": port, "APIKEY": "router-client-key", "LOG": False})
    live.write_text(json.dumps(config, indent=2))
    # every other provider is down: only the direct Anthropic provider can answer
    others = ",".join(f"{p}=http://127.0.0.1:{closed_port()}/v1" for p in
                      ("openai", "nvidia_nim", "openrouter", "zai", "local_lmstudio"))
    probe = {**env, "ANTHROPIC_API_KEY": KEY, "SPINE_GATES_API_BASE_OVERRIDES": others}

    router = Router(home, port, {"ANTHROPIC_API_KEY": KEY})
    router.start()
    try:
        running = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                            "--timeout", "1", "--deadline", "2", env=probe)
        assert json.loads(running.stdout)["router"]["state"] == "up", running.stderr
    finally:
        router.stop()

    status = run_gates("providers", "status", "--root", str(spine), "--timeout", "1",
                       "--deadline", "2", env=probe)
    assert f"router: down at http://127.0.0.1:{port}" in status.stdout, status.stdout
    brief = run_gates("session", "check", "--root", str(spine), env=env)
    assert "`gates failover bypass`" in brief.stdout, brief.stdout
    assert KEY not in status.stdout + brief.stdout

    claude_home = tmp_path / "claude-home"
    claude_home.mkdir()
    # what `ccr activate` left in the shell, and the key as `infisical run` provides it
    shell_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                 "PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO / "src")),
                 "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
                 "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
                 "ANTHROPIC_AUTH_TOKEN": "router-client-key", "ANTHROPIC_API_KEY": KEY,
                 "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
                 "DISABLE_ERROR_REPORTING": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                 "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "SPINE_GATES_TODAY":
                 env["SPINE_GATES_TODAY"]}
    printed = subprocess.run(
        [sys.executable, "-m", "spine_gates", "failover", "bypass", "--cli", "claude_code",
         "--from-cache", "--root", str(spine)], env=shell_env, capture_output=True, text=True,
        timeout=60, check=False)
    assert printed.returncode == 0, printed.stderr
    assert KEY not in printed.stdout
    command = (f'eval "$({gates_shell()} failover bypass --cli claude_code --from-cache '
               f'--root {shlex.quote(str(spine))})" && HOME={shlex.quote(str(claude_home))} '
               f'exec {shlex.quote(claude)} -p "say hi"')
    done = subprocess.run(["sh", "-c", command], env=shell_env, cwd=claude_home,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ANSWER
    posts = [s for s in anthropic.seen if s["method"] == "POST"]
    assert posts and all(s["key"] == KEY for s in posts)
    assert all(s["bearer"] is None for s in posts)  # the router's token was unset
    assert {s["model"] for s in posts if "/count_tokens" not in s["path"]} == {
        "claude-opus-4-5"}
