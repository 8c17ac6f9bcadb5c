"""NVIDIA NIM: `GET /v1/models` shows the catalogue only; 429 bodies are `{status, title}`."""

from __future__ import annotations

import datetime as _dt

from spine_gates.health.classify import Reply, classify_nim
from spine_gates.health.probes.openai_compatible import OpenAICompatibleProbe
from spine_gates.health.state import Health
from spine_gates.health.targets import ProviderTarget


class NvidiaNimProbe(OpenAICompatibleProbe):
    kind = "nvidia_nim"

    def classify_catalogue(self, reply: Reply, now: _dt.datetime,
                           target: ProviderTarget) -> Health:
        return classify_nim(reply, now)

    def classify_completion(self, reply: Reply, now: _dt.datetime, catalogue: Health) -> Health:
        return classify_nim(reply, now)
