"""Resilience of a router config: per slot and role, which provider failures leave it unanswered.

Under 2.0's fallback an HTTP failure of the primary is survived by any registered fallback entry,
so a slot is unanswered exactly when the primary's provider and every fallback entry's provider
fail: that set is the one minimal failure set (a single point of failure when it has one
member). Timeouts and connection errors on the primary are final whatever the list says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spine_gates.model.role_status import RoleStatus
from spine_gates.model.schemas import CCR_SLOTS
from spine_gates.routing.fallback import Failures, Outcome, registered_providers, resolve
from spine_gates.routing.slots import Decision


@dataclass(frozen=True)
class SlotResilience:
    slot: str
    target: str
    scenario: str
    chain: tuple[str, ...]  # fallback entries the router would try (as written)
    skipped: tuple[str, ...]  # entries whose provider is not registered (silently skipped)
    minimal_failure_set: tuple[str, ...]  # providers whose HTTP failure leaves it unanswered
    network_spof: str  # a timeout/connection error here is final in 2.0

    @property
    def single_point_of_failure(self) -> bool:
        return len(self.minimal_failure_set) <= 1


def slot_decision(slot: str, config: dict[str, Any]) -> Decision | None:
    """A request that lands on `slot`, as a decision (None when the slot is not configured)."""
    router: dict[str, Any] = config["Router"] if isinstance(config.get("Router"), dict) else {}
    target = router.get(slot)
    if not isinstance(target, str) or not target:
        return None
    scenario = "default" if slot == "image" else slot
    return Decision(slot, f"a request for the {slot} slot", target, scenario)


def analyse_slot(slot: str, config: dict[str, Any],
                 supports_fallback: bool = True) -> SlotResilience | None:
    decision = slot_decision(slot, config)
    if decision is None or decision.target is None:
        return None
    providers = registered_providers(config)
    primary = decision.target.partition(",")[0]
    lists = config.get("fallback")  # the router reads a non-object as "no fallback lists"
    raw = lists.get(decision.scenario) if supports_fallback and isinstance(lists, dict) else None
    chain = tuple(e for e in raw if isinstance(e, str)) if isinstance(raw, list) else ()
    skipped = tuple(e for e in chain if e.partition(",")[0] not in providers)
    if primary not in providers:
        needed: tuple[str, ...] = ()
    else:
        members = [primary]
        for entry in chain:
            name = entry.partition(",")[0]
            if name in providers and name not in members:
                members.append(name)
        needed = tuple(members)
    return SlotResilience(slot, decision.target, decision.scenario, chain, skipped, needed,
                          primary)


def analyse(config: dict[str, Any], supports_fallback: bool = True) -> list[SlotResilience]:
    return [r for s in CCR_SLOTS if (r := analyse_slot(s, config, supports_fallback)) is not None]


@dataclass(frozen=True)
class SlotView:
    slot: str
    status: RoleStatus
    outcome: Outcome


@dataclass(frozen=True)
class RoleView:
    role: str
    status: RoleStatus
    slots: tuple[SlotView, ...]

    def describe(self) -> str:
        parts = []
        for view in self.slots:
            o = view.outcome
            if o.answered_by is None:
                parts.append(f"{view.slot}: down (HTTP {o.status})")
            elif o.served_by == 0:
                parts.append(f"{view.slot}: {o.model_ref}")
            else:
                parts.append(f"{view.slot}: {o.model_ref} (fallback {o.served_by})")
        return "; ".join(parts)


def slot_status(outcome: Outcome) -> RoleStatus:
    if outcome.answered_by is None:
        return RoleStatus.DOWN
    return RoleStatus.HEALTHY if outcome.served_by == 0 else RoleStatus.DEGRADED


def role_view(role: str, slots: list[str], config: dict[str, Any], failures: Failures,
              supports_fallback: bool = True) -> RoleView:
    """healthy (primary answers every slot), degraded (a fallback answers), down (a slot is
    unanswered); a role with no configured slot is down."""
    views = []
    for slot in slots:
        decision = slot_decision(slot, config)
        if decision is None:
            continue
        outcome = resolve(decision, config, failures, supports_fallback=supports_fallback)
        views.append(SlotView(slot, slot_status(outcome), outcome))
    if not views:
        return RoleView(role, RoleStatus.DOWN, ())
    rank = {RoleStatus.HEALTHY: 0, RoleStatus.DEGRADED: 1, RoleStatus.DOWN: 2}
    worst = max((v.status for v in views), key=rank.__getitem__)
    return RoleView(role, worst, tuple(views))


def role_slots(roles: dict[str, Any]) -> dict[str, list[str]]:
    """role id -> its ccr_slots, from the roles registry."""
    out: dict[str, list[str]] = {}
    for role_id, role in roles.items():
        if isinstance(role, dict):
            out[str(role_id)] = [s for s in role.get("ccr_slots") or [] if isinstance(s, str)]
    return out
