"""Named policy checks for routing resilience (policies/roles.yaml and policies/routing.yaml):
a role's chain on one provider, a primary that cannot fall back (ROLE-101), an image slot
outside the default chain (ROLE-102).

They read the SSOT view only (no tokenizer, no compile), so they are cheap enough for the
pre-commit path.
"""

from __future__ import annotations

from typing import Any

from spine_gates.checks.interface import EvalContext, Violation


def survives_single_provider_outage(items: list[dict[str, Any]], args: dict[str, Any],
                                    ctx: EvalContext) -> list[Violation]:
    """A role whose whole chain sits on one provider is down when that provider is.

    Items are roles with `chain_providers`; the violation names the provider whose outage alone
    leaves the role unanswered.
    """
    out = []
    for role in items:
        providers = role.get("chain_providers") or []
        if len(providers) == 1:
            out.append(Violation(role, {"provider": providers[0]}, None))
    return out


# Failure modes with no HTTP status: claude-code-router 2.0 does not fall back on them.
_NETWORK_FAILURE_TYPES = {"local"}


def primary_failure_can_fall_back(items: list[dict[str, Any]], args: dict[str, Any],
                                  ctx: EvalContext) -> list[Violation]:
    """A primary whose usual failure is a refused connection or timeout gets no fallback in
    2.0: the chain behind it never runs. Items are chain entries; position 0 is the primary."""
    kinds = set(args.get("types") or _NETWORK_FAILURE_TYPES)
    out = []
    for entry in items:
        kind = entry.get("provider_type")
        if entry.get("position") == 0 and isinstance(kind, str) and kind in kinds:
            out.append(Violation(entry, {"provider_type": entry.get("provider_type")}, None))
    return out


def image_slot_uses_default_chain(items: list[dict[str, Any]], args: dict[str, Any],
                                  ctx: EvalContext) -> list[Violation]:
    """`image` is not a fallback scenario: image requests that fail fall back along the
    default slot's chain. A role that binds image but not default has its chain ignored there.
    Items are roles."""
    roles = ctx.view.get("roles") or []
    default_role = next((r for r in roles if "default" in _slots(r)), None)
    out = []
    for role in items:
        slots = _slots(role)
        if "image" not in slots or "default" in slots:
            continue
        if default_role is not None and default_role.get("fallback_chain") == role.get(
                "fallback_chain"):
            continue
        owner = default_role.get("id") if default_role else "no role"
        out.append(Violation(role, {"default_role": owner},
                             f"{role.get('_pointer', '')}/ccr_slots"))
    return out


def _slots(role: dict[str, Any]) -> list[str]:
    """A role's slot names; a malformed `ccr_slots` (the schema reports it) binds none."""
    slots = role.get("ccr_slots")
    return [s for s in slots if isinstance(s, str)] if isinstance(slots, list) else []
