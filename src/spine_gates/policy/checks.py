"""Named checks: the few rules the declarative vocabulary cannot express, in Python."""

from __future__ import annotations

from typing import Any

from spine_gates.policy.assertions import EvalContext, Violation, register_check
from spine_gates.routing import policy_checks as _routing_checks  # noqa: F401  ROLE-101/102
from spine_gates.secrets import checks as _secret_checks  # noqa: F401  registers SEC-*


@register_check("survives_single_provider_outage")
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
