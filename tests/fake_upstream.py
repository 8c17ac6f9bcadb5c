"""The network edge shared by the router tests: a fake LLM provider on 127.0.0.1.

One threaded http.server with Nagle disabled on every socket (Node's fetch against a Nagle socket
stalls ~40 ms a request). It answers POSTs as the provider APIs do — an OpenAI chat completion,
or an Anthropic message for a path ending in `/messages` — and what it answers, and records, is
decided per request by the subclass's `answer`: a status, an error body, a late answer, or a
connection closed without one.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What the fake does with one request."""

    status: int = 200
    payload: dict[str, Any] | None = None  # None with 200: a completion saying `text`
    text: str = ""
    close: bool = False  # drop the connection without a response
    delay: float = 0.0  # seconds before answering (or before closing)


def completion(path: str, model: str, text: str) -> dict[str, Any]:
    """A successful answer in the format the path asks for (Anthropic `/messages` or OpenAI)."""
    if path.endswith("/messages"):
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "stop_reason": "end_turn", "stop_sequence": None,
                "content": [{"type": "text", "text": text}],
                "usage": {"input_tokens": 3, "output_tokens": 4}}
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message,
                      "type": "rate_limit_error" if status == 429 else "server_error"}}


class _NoDelayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


class LoopbackUpstream(ABC):
    """Start/stop and the HTTP plumbing; subclasses decide (and record) with `answer`."""

    server: ThreadingHTTPServer | None = None

    @abstractmethod
    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        """What to do with one request (called on the server's thread for it)."""

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def start(self) -> Any:
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
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = upstream.answer(self.path, headers, body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.close:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = reply.payload
                if payload is None:
                    payload = completion(self.path, str(body.get("model", "")), reply.text)
                data = json.dumps(payload).encode()
                self.send_response(reply.status)
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
