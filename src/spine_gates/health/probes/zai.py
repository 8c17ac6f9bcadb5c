"""Z.ai: `GET …/models`; the error body's business code, not the status, decides the state."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_zai
from spine_gates.health.probes.anthropic import anthropic_headers, messages_url, models_url
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


class ZaiProbe(Probe):
    kind = "zai"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        if target.api_format == "anthropic":  # the `/api/anthropic` endpoint
            url, headers = models_url(target.api_base), anthropic_headers(target)
            chat = messages_url(target.api_base)
        else:
            url, headers = join(target.api_base, "models"), bearer(target)
            chat = join(target.api_base, "chat/completions")
        health = classify_zai(await fetch(client, target, url, headers), now)
        if not target.deep or not health.state.serving:
            return health
        model = target.models[0]
        reply = await fetch(client, target, chat, headers, one_token_chat(model))
        return proven(classify_zai(reply, now), model)
