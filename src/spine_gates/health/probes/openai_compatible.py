"""OpenAI and any OpenAI-compatible API: `GET /models` plus `x-ratelimit-*` headers.

The NIM and LM Studio probes are this probe with their own classification of the answers.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from spine_gates.health.classify import Reply, classify_openai
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


class OpenAICompatibleProbe(Probe):
    kind = "openai-compatible"

    def classify_catalogue(self, reply: Reply, now: _dt.datetime,
                           target: ProviderTarget) -> Health:
        return classify_openai(reply, now)

    def classify_completion(self, reply: Reply, now: _dt.datetime, catalogue: Health) -> Health:
        return classify_openai(reply, now)

    async def probe(self, client: httpx.AsyncClient, target: ProviderTarget,
                    now: _dt.datetime) -> Health:
        reply = await fetch(client, target, join(target.api_base, "models"), bearer(target))
        health = self.classify_catalogue(reply, now, target)
        if not target.deep or not health.state.serving:
            return health
        model = target.models[0]
        reply = await fetch(client, target, join(target.api_base, "chat/completions"),
                            bearer(target), one_token_chat(model))
        return proven(self.classify_completion(reply, now, health), model)
