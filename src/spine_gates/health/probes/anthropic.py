"""Anthropic: `GET /v1/models` proves auth and reachability; rate-limit headers ride along."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_anthropic
from spine_gates.health.probes.interface import Probe, fetch, join
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget

if TYPE_CHECKING:
    import httpx

ANTHROPIC_VERSION = "2023-06-01"


def anthropic_headers(target: ProviderTarget) -> dict[str, str]:
    headers = {"anthropic-version": ANTHROPIC_VERSION}
    if target.key:
        headers["x-api-key"] = target.key
    return headers


def models_url(base: str) -> str:
    return join(base, "models" if base.rstrip("/").endswith("/v1") else "v1/models")


class AnthropicProbe(Probe):
    kind = "anthropic"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, models_url(target.api_base),
                            anthropic_headers(target))
        return classify_anthropic(reply, now)
