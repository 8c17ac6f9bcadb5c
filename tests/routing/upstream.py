"""A fake OpenAI-compatible upstream for the routing tests: one path prefix per provider.

Each provider's `api_base_url` is `http://127.0.0.1:PORT/up/<provider>/v1/chat/completions`, so
the fake knows which provider the router called and with which model (a provider behind the
`Anthropic` transformer posts to `/up/<provider>/v1/messages` and gets an Anthropic message).
Per case it is told how to behave for a provider or provider/model: an HTTP status, closing the
connection without an answer, or answering late. Nagle is off on every socket (Node's fetch
stalls ~40 ms otherwise).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Call:
    provider: str
    model: str
    status: int | None  # None: the connection was closed without an answer


@dataclass(frozen=True)
class Behaviour:
    status: int = 200
    close: bool = False  # drop the connection without a response
    delay: float = 0.0  # seconds before answering (or before closing)
    body: dict[str, Any] | None = None


class _NoDelayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


@dataclass
class RoutingUpstream:
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def url_for(self, provider: str) -> str:
        return f"http://127.0.0.1:{self.port}/up/{provider}/v1/chat/completions"

    def configure(self, behaviours: dict[str, Behaviour]) -> None:
        with self.lock:
            self.behaviours = dict(behaviours)
            self.calls.clear()

    def take(self) -> list[Call]:
        with self.lock:
            taken = list(self.calls)
            self.calls.clear()
        return taken

    def _behaviour(self, provider: str, model: str) -> Behaviour:
        with self.lock:
            return (self.behaviours.get(f"{provider}/{model}") or self.behaviours.get(provider)
                    or Behaviour())

    def start(self) -> RoutingUpstream:
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
                parts = self.path.split("/")
                provider = parts[2] if len(parts) > 2 and parts[1] == "up" else "?"
                model = str(body.get("model", ""))
                behaviour = upstream._behaviour(provider, model)
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                with upstream.lock:
                    upstream.calls.append(Call(provider, model,
                                               None if behaviour.close else behaviour.status))
                if behaviour.close:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if behaviour.status != 200:
                    payload = behaviour.body or {"error": {
                        "message": f"fake {behaviour.status} from {provider} for {model}",
                        "type": "rate_limit_error" if behaviour.status == 429 else "error"}}
                elif self.path.endswith("/messages"):  # an Anthropic-format provider
                    payload = {
                        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                        "stop_reason": "end_turn", "stop_sequence": None,
                        "content": [{"type": "text", "text": f"answer from {provider},{model}"}],
                        "usage": {"input_tokens": 3, "output_tokens": 4}}
                else:
                    payload = {
                        "id": "chatcmpl-fake", "object": "chat.completion",
                        "created": int(time.time()), "model": model,
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {
                            "role": "assistant", "content": f"answer from {provider},{model}"}}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
                data = json.dumps(payload).encode()
                self.send_response(behaviour.status)
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
