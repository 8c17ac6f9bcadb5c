"""Anthropic: `GET /v1/models` proves auth and reachability; rate-limit headers ride along."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_anthropic
from spine_gates.health.probes.interface import Probe, fetch, join, one_token_chat, proven
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


def messages_url(base: str) -> str:
    return join(base, "messages" if base.rstrip("/").endswith("/v1") else "v1/messages")


def models_url(base: str) -> str:
    return join(base, "models" if base.rstrip("/").endswith("/v1") else "v1/models")


class AnthropicProbe(Probe):
    kind = "anthropic"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, models_url(target.api_base),
                            anthropic_headers(target))
        health = classify_anthropic(reply, now)
        if not target.deep or not health.state.serving:
            return health
        # Real quota and the rate-limit headers that matter only show on a Messages call.
        model = target.models[0]
        reply = await fetch(client, target, messages_url(target.api_base),
                            anthropic_headers(target), one_token_chat(model))
        return proven(classify_anthropic(reply, now), model)
