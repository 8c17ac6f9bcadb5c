"""LM Studio: `GET /v1/models` on the local server; connection refused means down."""

from __future__ import annotations

import datetime as _dt

from spine_gates.health.classify import Reply, classify_lmstudio, classify_openai
from spine_gates.health.probes.openai_compatible import OpenAICompatibleProbe
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget


class LMStudioProbe(OpenAICompatibleProbe):
    kind = "lmstudio"

    def classify_catalogue(self, reply: Reply, now: _dt.datetime,
                           target: ProviderTarget) -> Health:
        return classify_lmstudio(reply, now, target.models)

    def classify_completion(self, reply: Reply, now: _dt.datetime, catalogue: Health) -> Health:
        return classify_openai(reply, now).with_(models=catalogue.models)
