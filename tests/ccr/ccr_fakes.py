"""The network edge for the router tests: a fake OpenAI/Anthropic upstream and the real router.

The upstream is a threaded http.server on 127.0.0.1 with Nagle disabled (Node's fetch against a
Nagle socket stalls ~40 ms a request); it records every request and answers 429/500 for the
models it is told to fail. The router is the real `ccr` from node_modules, with HOME in a temp dir.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CCR_MISSING = ("the pinned claude-code-router is not installed: run `npm ci` in the repository "
               "(scripts/test.sh does) so that node_modules/.bin/ccr exists")


def ccr_binary() -> str:
    """The pinned router CLI; its absence fails the test (never a skip)."""
    local = REPO / "node_modules" / ".bin" / "ccr"
    if local.exists():
        return str(local)
    found = shutil.which("ccr")
    if found:
        return found
    raise AssertionError(CCR_MISSING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    path: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int


class _NoDelayServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


@dataclass
class FakeUpstream:
    """Answers /…/chat/completions (OpenAI) and /…/v1/messages (Anthropic) on loopback."""

    requests: list[Recorded] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # model -> HTTP status to answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def start(self) -> FakeUpstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                model = str(body.get("model", ""))
                with upstream.lock:
                    status = upstream.fail.get(model, 200)
                    upstream.requests.append(Recorded(self.path, model,
                                                      {k.lower(): v for k, v in
                                                       self.headers.items()}, body, status))
                if status != 200:
                    payload = {"error": {"message": f"fake {status} for {model}",
                                         "type": "rate_limit_error" if status == 429 else
                                         "server_error"}}
                    self._send(status, payload)
                elif self.path.endswith("/messages"):
                    self._send(200, {
                        "id": "msg_fake", "type": "message", "role": "assistant",
                        "model": model, "stop_reason": "end_turn", "stop_sequence": None,
                        "content": [{"type": "text", "text": f"hello from {model}"}],
                        "usage": {"input_tokens": 3, "output_tokens": 4}})
                else:
                    self._send(200, {
                        "id": "chatcmpl-fake", "object": "chat.completion",
                        "created": int(time.time()), "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {
                            "role": "assistant", "content": f"hello from {model}"}}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 4,
                                  "total_tokens": 7}})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _NoDelayServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.fail.clear()

    def take(self) -> list[Recorded]:
        with self.lock:
            taken = list(self.requests)
            self.requests.clear()
        return taken


@dataclass
class Router:
    """The real claude-code-router, its home in a temp dir, started and stopped by PID."""

    home: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.home / ".claude-code-router" / "config.json"

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "HOME": str(self.home), "NO_PROXY": "127.0.0.1",
                "no_proxy": "127.0.0.1"}

    def start(self) -> Router:
        log = (self.home / "router.out").open("ab")
        self.process = subprocess.Popen([ccr_binary(), "start"], env=self._env(), stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"router exited with {self.process.returncode}: "
                                     f"{(self.home / 'router.out').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health",
                                            timeout=1) as response:
                    if json.loads(response.read()).get("status") == "ok":
                        return self
            except (OSError, ValueError):
                time.sleep(0.1)
        self.stop()
        raise AssertionError("router did not answer /health within 30 s")

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run([ccr_binary(), "stop"], env=self._env(), capture_output=True,
                       timeout=30, check=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def message(self, body: dict[str, Any], api_key: str) -> tuple[int, dict[str, Any]]:
        """POST /v1/messages as an agent CLI would; returns (status, JSON body)."""
        payload = {"max_tokens": 64, "stream": False, **body}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/messages", data=json.dumps(payload).encode(),
            headers={"content-type": "application/json", "x-api-key": api_key,
                     "anthropic-version": "2023-06-01"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
