"""NVIDIA NIM: `GET /v1/models` shows the catalogue only; 429 bodies are `{status, title}`."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_nim
from spine_gates.health.probes.interface import Probe, bearer, fetch, join
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget

if TYPE_CHECKING:
    import httpx


class NvidiaNimProbe(Probe):
    kind = "nvidia_nim"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, join(target.api_base, "models"), bearer(target))
        return classify_nim(reply, now)
