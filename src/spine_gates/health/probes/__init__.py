"""One probe per provider kind (pip-audit style: `interface.py` + one module per kind)."""

from __future__ import annotations

from spine_gates.health.probes.anthropic import AnthropicProbe
from spine_gates.health.probes.interface import Probe
from spine_gates.health.probes.lmstudio import LMStudioProbe
from spine_gates.health.probes.nvidia_nim import NvidiaNimProbe
from spine_gates.health.probes.openai_compatible import OpenAICompatibleProbe
from spine_gates.health.probes.openrouter import OpenRouterProbe
from spine_gates.health.probes.zai import ZaiProbe

PROBES: dict[str, Probe] = {probe.kind: probe for probe in (
    AnthropicProbe(), OpenAICompatibleProbe(), OpenRouterProbe(), NvidiaNimProbe(), ZaiProbe(),
    LMStudioProbe())}

__all__ = ["PROBES", "Probe"]
