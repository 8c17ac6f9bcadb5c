"""A fake OpenAI-compatible upstream for the routing tests: one path prefix per provider.

Each provider's `api_base_url` is `http://127.0.0.1:PORT/up/<provider>/v1/chat/completions`, so
the fake knows which provider the router called and with which model (a provider behind the
`Anthropic` transformer posts to `/up/<provider>/v1/messages` and gets an Anthropic message).
Per case it is told how to behave for a provider or provider/model: an HTTP status, closing the
connection without an answer, or answering late. The HTTP plumbing (Nagle off, both answer
formats) is shared with the ccr tests: tests/fake_upstream.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fake_upstream import LoopbackUpstream, Reply


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


@dataclass
class RoutingUpstream(LoopbackUpstream):
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

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

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        parts = path.split("/")
        provider = parts[2] if len(parts) > 2 and parts[1] == "up" else "?"
        model = str(body.get("model", ""))
        with self.lock:
            behaviour = (self.behaviours.get(f"{provider}/{model}")
                         or self.behaviours.get(provider) or Behaviour())
            self.calls.append(Call(provider, model, None if behaviour.close else behaviour.status))
        if behaviour.close or behaviour.status == 200:
            return Reply(behaviour.status, close=behaviour.close, delay=behaviour.delay,
                         text=f"answer from {provider},{model}")
        payload = behaviour.body or {"error": {
            "message": f"fake {behaviour.status} from {provider} for {model}",
            "type": "rate_limit_error" if behaviour.status == 429 else "error"}}
        return Reply(behaviour.status, payload, delay=behaviour.delay)
