"""OpenRouter: `GET /api/v1/key` answers auth and credits at once (a quota-measuring probe)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_openrouter_key
from spine_gates.health.probes.interface import Probe, bearer, fetch, join
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget

if TYPE_CHECKING:
    import httpx


class OpenRouterProbe(Probe):
    kind = "openrouter"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, join(target.api_base, "key"), bearer(target))
        return classify_openrouter_key(reply, now, target.models)
