"""LM Studio: `GET /v1/models` on the local server; connection refused means down."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import classify_lmstudio, classify_openai
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


class LMStudioProbe(Probe):
    kind = "lmstudio"

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, join(target.api_base, "models"), bearer(target))
        health = classify_lmstudio(reply, now, target.models)
        if not target.deep or not health.state.serving:
            return health
        model = target.models[0]
        reply = await fetch(client, target, join(target.api_base, "chat/completions"),
                            bearer(target), one_token_chat(model))
        return proven(classify_openai(reply, now).with_(models=health.models), model)
