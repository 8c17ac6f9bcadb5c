"""What the evaluator predicts with failover overrides in force.

Under claude-code-router 2.0.0 the router module returns the override's route for a request
whose slot is overridden; the router uses it verbatim as scenario `default`, so the request falls
back through `fallback.default`, whatever its slot. The module decides the slot with the router's
own rules and never overrides an explicit `provider,model` or a subagent tag: a request is
overridden exactly when the evaluator, without the module, lands it on an overridden slot.
An override only acts through the module, so a config without `CUSTOM_ROUTER_PATH` is predicted
as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from spine_gates.health.state import iso
from spine_gates.routing.explain import explain_request

if TYPE_CHECKING:
    from spine_gates.failover.record import Override
    from spine_gates.routing.explain import Explanation
    from spine_gates.routing.fallback import Failures


def describe(override: Override) -> str:
    return (f"failover override {override.id}: {override.slot} goes to {override.route} "
            f"instead of {override.replaces} until {iso(override.expires_at)}")


def explain_overridden(body: dict[str, Any], config: dict[str, Any], failures: Failures,
                       active: Sequence[Override], *, supports_fallback: bool = True,
                       source: str = "", exact_tokens: bool = True) -> Explanation:
    """`explain_request`, starting from the active overrides."""
    plain = explain_request(body, config, failures, supports_fallback=supports_fallback,
                            source=source, exact_tokens=exact_tokens)
    by_slot = {o.slot: o for o in active}
    override = by_slot.get(plain.decision.rule)
    if override is None or not config.get("CUSTOM_ROUTER_PATH"):
        return plain
    routed = explain_request(body, config, failures, custom_route=override.route,
                             supports_fallback=supports_fallback, source=source,
                             exact_tokens=exact_tokens)
    decision = dataclasses.replace(routed.decision,
                                   notes=(*routed.decision.notes, describe(override)))
    return dataclasses.replace(routed, decision=decision)


def overridden_config(config: dict[str, Any], active: Sequence[Override]) -> dict[str, Any]:
    """The router config as the overridden slots behave: the override's route as the slot's
    target and `fallback.default` as its list (a custom route is scenario default)."""
    if not active or not config.get("CUSTOM_ROUTER_PATH"):
        return config
    router = dict(config.get("Router") or {}) if isinstance(config.get("Router"), dict) else {}
    lists = config.get("fallback")
    fallback = dict(lists) if isinstance(lists, dict) else None
    for override in active:
        router[override.slot] = override.route
        if fallback is not None:
            fallback[override.slot] = list(fallback.get("default") or [])
    out = {**config, "Router": router}
    if fallback is not None:
        out["fallback"] = fallback
    return out
