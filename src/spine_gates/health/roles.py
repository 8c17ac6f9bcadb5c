"""Role degradation: which model would serve each role now, and the router change that implies.

A role is healthy when its primary is healthy, degraded when a later chain entry (or a slow
primary) serves it, down when no entry in primary + fallback_chain can serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spine_gates.health.state import Health, State, iso
from spine_gates.model.refs import ModelRef
from spine_gates.model.role_status import RoleStatus


@dataclass(frozen=True)
class ChainEntry:
    ref: str
    state: State | None  # None: the provider is not in the registry
    reason: str
    until: str | None

    @property
    def serving(self) -> bool:
        return self.state is not None and self.state.serving


@dataclass(frozen=True)
class RoleView:
    role: str
    status: RoleStatus
    primary: str
    serving: str | None
    chain: tuple[ChainEntry, ...]
    slots: tuple[str, ...]
    router_changes: dict[str, str]
    suggestion: str

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "status": self.status.value,
            "primary": self.primary,
            "serving": self.serving,
            "chain": [{"ref": e.ref, "state": e.state.value if e.state else None,
                       "reason": e.reason, "until": e.until} for e in self.chain],
            "slots": list(self.slots),
            "router_changes": self.router_changes,
            "suggestion": self.suggestion,
        }


def entry_health(ref: str, providers: Mapping[str, Health]) -> ChainEntry:
    parsed = ModelRef.parse(ref)
    if parsed is None or parsed.provider not in providers:
        return ChainEntry(ref, None, "provider not in the registry", None)
    health = providers[parsed.provider]
    model = health.models.get(parsed.model)
    if model is not None and model.state.rank > health.state.rank:
        health = model
    return ChainEntry(ref, health.state, health.reason, iso(health.until))


def router_value(ref: str) -> str:
    parsed = ModelRef.parse(ref)
    return f"{parsed.provider},{parsed.model}" if parsed else ref


def role_view(role: str, body: Mapping[str, Any], providers: Mapping[str, Health]) -> RoleView:
    raw_primary = body.get("primary")
    primary = raw_primary if isinstance(raw_primary, str) else ""
    raw_chain = body.get("fallback_chain")
    fallbacks: list[Any] = raw_chain if isinstance(raw_chain, list) else []
    refs = [r for r in [primary, *fallbacks] if isinstance(r, str) and r]
    chain = tuple(entry_health(ref, providers) for ref in refs)
    raw_slots = body.get("ccr_slots")
    slots = tuple(s for s in raw_slots if isinstance(s, str)) if isinstance(raw_slots, list) \
        else ()
    healthy = next((e for e in chain if e.state == State.HEALTHY), None)
    chosen = healthy or next((e for e in chain if e.serving), None)
    head = chain[0] if chain else None
    if chosen is None:
        waits = sorted(e.until for e in chain if e.until)
        hint = f"; earliest reset {waits[0]}" if waits else ""
        return RoleView(role, RoleStatus.DOWN, primary, None, chain, slots, {},
                        f"no entry in the chain can serve{hint}: add a healthy fallback "
                        f"or wait")
    if head is not None and chosen is head and head.state == State.HEALTHY:
        return RoleView(role, RoleStatus.HEALTHY, primary, chosen.ref, chain, slots, {},
                        "none: the primary serves")
    if chosen is head:
        return RoleView(role, RoleStatus.DEGRADED, primary, chosen.ref, chain, slots, {},
                        f"primary still serves but is {head.state.value if head.state else '?'}"
                        f" ({head.reason}); no healthy entry to move to")
    changes = {f"Router.{slot}": router_value(chosen.ref) for slot in slots}
    why = head.state.value if head and head.state else "unknown"
    return RoleView(role, RoleStatus.DEGRADED, primary, chosen.ref, chain, slots, changes,
                    f"map {role} -> {chosen.ref} while {primary} is {why}")


def role_views(roles: Mapping[str, Any], providers: Mapping[str, Health]) -> list[RoleView]:
    return [role_view(name, body if isinstance(body, dict) else {}, providers)
            for name, body in roles.items()]


def exit_code(views: list[RoleView]) -> int:
    """0 all roles healthy, 1 any degraded, 2 any down."""
    if any(v.status == RoleStatus.DOWN for v in views):
        return 2
    if any(v.status == RoleStatus.DEGRADED for v in views):
        return 1
    return 0
