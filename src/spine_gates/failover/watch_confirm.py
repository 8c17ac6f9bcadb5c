"""Confirm a replaced primary's recovery on the path that failed: one 1-token completion.

A catalogue call (`GET /models`) can answer while completions hang, so the watcher does not
hand a slot back on the cheap probe alone. It sends the health probes' own deep request
(`--deep`: the catalogue call, then `max_tokens: 1` on the route's model) to that one provider
only. A probe kind without a completion request (OpenRouter's `/key`, which measures credits
itself) is confirmed by its own quota-measuring answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spine_gates.health.runner import run_probes
from spine_gates.health.state import State
from spine_gates.health.targets import build_targets, parse_overrides
from spine_gates.model.spine import load_config, load_documents
from spine_gates.secrets.redact import register_secret


@dataclass(frozen=True)
class Confirmed:
    ok: bool
    reason: str


def confirm_route(root: Path, route: str, timeout: float, api_base_overrides: list[str] | None,
                  env: Mapping[str, str]) -> Confirmed:
    """Send the deep probe for `route` ("provider,model"); ok when it answered and measured
    more than the catalogue (`quota_evidence`)."""
    provider, _, model = route.partition(",")
    config = load_config(root)
    registry = load_documents(root, config)["providers"].data.get("providers")
    targets = build_targets(registry if isinstance(registry, dict) else {}, env,
                            parse_overrides(api_base_overrides, env), deep=True)
    target = next((t for t in targets if t.id == provider), None)
    if target is None:
        return Confirmed(False, f"{provider} is not in the provider registry")
    if target.key:
        register_secret(target.key)  # the reason below may quote the provider's answer
    target = dataclasses.replace(target, models=(model,), deep=True)
    health = run_probes([target], timeout, timeout)[provider]
    if health.state == State.HEALTHY and health.quota_evidence:
        return Confirmed(True, health.reason)
    if health.state == State.HEALTHY:
        return Confirmed(False, f"only the catalogue answered ({health.reason})")
    return Confirmed(False, f"{health.state.value}: {health.reason}")
