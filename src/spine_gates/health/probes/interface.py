"""The probe interface: one cheap, authenticated request per provider kind, classified.

`fetch` is the only place a key leaves the process: it refuses plain http to anything but
loopback and never follows redirects, so credentials cannot ride a redirect to another host.
"""

from __future__ import annotations

import datetime as _dt
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from spine_gates.health.classify import Reply
from spine_gates.health.state import Health, State
from spine_gates.health.targets import ProviderTarget, is_loopback

if TYPE_CHECKING:
    import httpx

USER_AGENT = "spine-gates-health/1"


class InsecureTransport(Exception):
    """A request with a key would leave over plain http to a non-loopback host."""


class Probe(ABC):
    kind: ClassVar[str]

    @abstractmethod
    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        """Send the kind's cheapest request and classify the answer."""


def join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def one_token_chat(model: str) -> dict[str, Any]:
    """The smallest real request (OpenAI chat and Anthropic messages share this shape)."""
    return {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "."}]}


def proven(health: Health, model: str) -> Health:
    """A 1-token completion that succeeded measured quota and capacity, not just the catalogue."""
    if health.state != State.HEALTHY:
        return health
    return health.with_(quota_evidence=True,
                        reason=f"1-token completion on {model} answered {health.http_status}")


def bearer(target: ProviderTarget) -> dict[str, str]:
    return {"authorization": f"Bearer {target.key}"} if target.key else {}


async def fetch(client: httpx.AsyncClient, target: ProviderTarget, url: str,
                headers: dict[str, str], payload: dict[str, Any] | None = None) -> Reply:
    """GET url, or POST `payload` as JSON; never follows a redirect."""
    parts = urlsplit(url)
    if target.key and parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise InsecureTransport(f"refusing to send the key over plain http to {parts.hostname}")
    started = time.perf_counter()
    request_headers = {"user-agent": USER_AGENT, **headers}
    if payload is None:
        response = await client.get(url, headers=request_headers, follow_redirects=False)
    else:
        response = await client.post(url, headers=request_headers, json=payload,
                                     follow_redirects=False)
    latency = (time.perf_counter() - started) * 1000
    try:
        body = response.json()
    except ValueError:
        body = None
    return Reply(status=response.status_code,
                 headers={k.lower(): v for k, v in response.headers.items()},
                 body=body, latency_ms=latency, path=parts.path or "/")
