"""Shared helpers of the failover tests: provider states and a loaded spine."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from spine_gates.ccr.compile import compile_ccr_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.health.state import Health, State
from spine_gates.model.governance import GovernanceModel, load_model

NOW = _dt.datetime(2026, 12, 3, 8, 0, tzinfo=_dt.UTC)
PROVIDERS = ("anthropic", "openai", "nvidia_nim", "openrouter", "zai", "local_lmstudio")


def healthy(**changes: Health) -> dict[str, Health]:
    """Every reference provider healthy, except the ones given."""
    states = {name: Health(State.HEALTHY, "models listed") for name in PROVIDERS}
    states.update(changes)
    return states


def hung() -> Health:
    return Health(State.UNREACHABLE, "no answer within 5 s")


def load(root: Path) -> tuple[GovernanceModel, dict[str, Any]]:
    model = load_model(root)
    return model, compile_ccr_config(model, get_profile("2.0"))
