"""NVIDIA NIM: `GET /v1/models` shows the catalogue only; 429 bodies are `{status, title}`."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_nim
from spine_gates.health.probes.interface import (
    Probe,
    bearer,
    fetch,
    join,
    one_token_chat,
    proven,
)
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget

if TYPE_CHECKING:
    import httpx


class NvidiaNimProbe(Probe):
    kind = "nvidia_nim"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, join(target.api_base, "models"), bearer(target))
        health = classify_nim(reply, now)
        if not target.deep or not health.state.serving:
            return health
        model = target.models[0]
        reply = await fetch(client, target, join(target.api_base, "chat/completions"),
                            bearer(target), one_token_chat(model))
        return proven(classify_nim(reply, now), model)
