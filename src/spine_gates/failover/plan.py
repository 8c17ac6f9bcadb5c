"""What a failover would change: for each router slot whose route is unusable, the route to use.

`plan()` reads the SSOT model (roles, their chains, cost policies, the providers' cost tiers),
provider health (the `health` package's `Health` per provider id, model-level signals inside),
the live router config and the active overrides. It never writes and never touches the network.

The router module makes an override's request use `fallback.default` whatever its slot (a custom
route is scenario `default` in 2.0.0), and it cannot change that list: the plan warns about
entries of `fallback.default` that are unreachable (a hung one hangs the request that reaches it)
and about slots whose own fallback list stops applying. The issue asked that hung or unreachable
entries be removed from an overridden slot's fallback list; spine-gates does not (a module that
rewrites the running router's `fallback.default` changes it for every request, and the change
outlives the override), and each change says so: `fallback` = the list its requests use, its
entries, and `unusable_entries_removed: false`.

JSON shape (`Plan.to_json`):
`{"version": 1, "status": "nothing_to_do" | "changes_proposed", "checked_at",
"changes": [{"slot", "role", "replaces", "route", "state", "reason", "until", "evidence",
"skipped": [{"ref", "why"}], "fallback": {"list", "entries", "unusable_entries_removed"}}],
"stuck": [{"slot", "role", "replaces", "state", "reason", "why"}],
"reverts": [{"id", "slot", "replaces", "route"}], "warnings": [{"slot", "kind", "entry",
"message"}]}`. `stuck` slots have a trigger but no healthy, allowed chain entry; `reverts` are
active overrides whose replaced route serves again.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spine_gates.failover.settings import FailoverSettings
from spine_gates.health.roles import entry_health, router_value
from spine_gates.health.state import Health, State, iso, parse_iso
from spine_gates.model.governance import effective_cost_tier
from spine_gates.model.refs import ModelRef
from spine_gates.model.schemas import CCR_SLOTS

if TYPE_CHECKING:
    from spine_gates.failover.record import Override
    from spine_gates.model.governance import GovernanceModel

VERSION = 1
FALLBACK_LIST = "fallback.default"  # 2.0.0: a custom route is scenario default, whatever its slot
NOT_PRUNED = ("an overridden request falls back through fallback.default, which the router "
              "loads at start; spine-gates does not remove hung or unreachable entries from it "
              "(the module could only change the running router's list for every request, "
              "beyond the override's life): see the warnings")


@dataclass(frozen=True)
class Change:
    slot: str
    role: str
    replaces: str  # "provider,model": the route in force now
    route: str  # "provider,model": what the override routes to
    state: State
    reason: str
    until: str | None
    evidence: dict[str, Any]
    skipped: tuple[tuple[str, str], ...] = ()  # chain entries passed over, and why
    # fallback.default: what an overridden request falls back through in 2.0.0, left as it is
    fallback: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "role": self.role, "replaces": self.replaces,
                "route": self.route, "state": self.state.value, "reason": self.reason,
                "until": self.until, "evidence": self.evidence,
                "skipped": [{"ref": ref, "why": why} for ref, why in self.skipped],
                "fallback": {"list": FALLBACK_LIST, "entries": list(self.fallback),
                             "unusable_entries_removed": False}}


@dataclass(frozen=True)
class Stuck:
    slot: str
    role: str
    replaces: str
    state: State
    reason: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "role": self.role, "replaces": self.replaces,
                "state": self.state.value, "reason": self.reason, "why": self.why}


@dataclass(frozen=True)
class PlanWarning:
    slot: str
    kind: str  # "hung_fallback", "unreachable_fallback", "fallback_list_changes"
    entry: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"slot": self.slot, "kind": self.kind, "entry": self.entry,
                "message": self.message}


@dataclass(frozen=True)
class Plan:
    checked_at: _dt.datetime
    changes: tuple[Change, ...] = ()
    stuck: tuple[Stuck, ...] = ()
    reverts: tuple[Override, ...] = ()
    warnings: tuple[PlanWarning, ...] = field(default=())

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.reverts

    @property
    def status(self) -> str:
        return "nothing_to_do" if self.nothing_to_do else "changes_proposed"

    @property
    def exit_code(self) -> int:
        """0 nothing to do; 1 changes proposed or a slot left without a usable route."""
        return 0 if self.nothing_to_do and not self.stuck else 1

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "status": self.status, "checked_at": iso(self.checked_at),
                "changes": [c.to_json() for c in self.changes],
                "stuck": [s.to_json() for s in self.stuck],
                "reverts": [{"id": o.id, "slot": o.slot, "replaces": o.replaces,
                             "route": o.route} for o in self.reverts],
                "warnings": [w.to_json() for w in self.warnings]}


def route_ref(route: str) -> str:
    """`provider,model` (router) -> `provider/model` (registry)."""
    provider, _, model = route.partition(",")
    return f"{provider}/{model}"


def _registered(live_config: Mapping[str, Any]) -> set[str]:
    """Providers the router registers (name, api_base_url and api_key all set): a route to any
    other is a 404 with no fallback, so the module must never return one."""
    listed = live_config.get("Providers") or live_config.get("providers") or []
    return {str(p["name"]) for p in listed if isinstance(p, dict)
            and p.get("name") and p.get("api_base_url") and p.get("api_key")}


def _slot_roles(model: GovernanceModel) -> dict[str, tuple[str, dict[str, Any]]]:
    bound: dict[str, tuple[str, dict[str, Any]]] = {}
    for role_id, body in model.roles.items():
        if not isinstance(body, dict):
            continue
        slots = body.get("ccr_slots")
        for slot in slots if isinstance(slots, list) else []:
            if isinstance(slot, str):
                bound.setdefault(slot, (str(role_id), body))
    return bound


def _chain(body: Mapping[str, Any]) -> list[str]:
    primary = body.get("primary")
    rest = body.get("fallback_chain")
    refs = [primary, *(rest if isinstance(rest, list) else [])]
    return [ref for ref in refs if isinstance(ref, str) and ModelRef.parse(ref) is not None]


def _allowed(model: GovernanceModel, body: Mapping[str, Any], ref: str) -> str | None:
    """Why the role's cost policy forbids `ref`, or None when it allows it."""
    if body.get("cost_policy") != "free-only":
        return None
    parsed = ModelRef.parse(ref)
    provider = model.providers.get(parsed.provider) if parsed else None
    tier = effective_cost_tier(provider, parsed.model) if isinstance(provider, dict) \
        and parsed else None
    if tier == "free":
        return None
    return f"cost_policy free-only and {ref} is {tier or 'of unknown cost'}"


def plan(model: GovernanceModel, states: Mapping[str, Health], live_config: Mapping[str, Any],
         settings: FailoverSettings, now: _dt.datetime,
         active: Sequence[Override] = ()) -> Plan:
    """The overrides the current health calls for (see the module docstring)."""
    router = live_config.get("Router") if isinstance(live_config.get("Router"), dict) else {}
    assert isinstance(router, dict)
    registered = _registered(live_config)
    by_slot = {o.slot: o for o in active if o.active(now)}
    roles = _slot_roles(model)
    changes: list[Change] = []
    stuck: list[Stuck] = []
    reverts: list[Override] = []
    for slot in CCR_SLOTS:
        configured = router.get(slot)
        if not isinstance(configured, str) or "," not in configured or slot not in roles:
            continue
        role, body = roles[slot]
        current = by_slot[slot].route if slot in by_slot else configured
        entry = entry_health(route_ref(current), states)
        if slot in by_slot:
            original = entry_health(route_ref(by_slot[slot].replaces), states)
            if original.state is not None and original.state not in settings.triggers \
                    and original.serving:
                reverts.append(by_slot[slot])
                continue
        if entry.state is None or entry.state not in settings.triggers:
            continue
        skipped: list[tuple[str, str]] = []
        chosen: str | None = None
        degraded: str | None = None
        for ref in _chain(body):
            route = router_value(ref)
            if route == current:
                continue
            candidate = entry_health(ref, states)
            forbidden = _allowed(model, body, ref)
            why = None
            if forbidden:
                why = forbidden
            elif ref.split("/", 1)[0] not in registered:
                why = "not a provider the live router registers (the route would be a 404)"
            elif candidate.state is None:
                why = "no health known for its provider"
            elif candidate.state != State.HEALTHY:
                why = f"{candidate.state.value} ({candidate.reason})"
                if candidate.serving and degraded is None:
                    degraded = route
            if why is None:
                chosen = route
                break
            skipped.append((ref, why))
        chosen = chosen or degraded
        provider_health = states.get(current.partition(",")[0])
        evidence = {"route": current, "state": entry.state.value, "reason": entry.reason,
                    "until": entry.until,
                    "provider": provider_health.to_json() if provider_health else None}
        if chosen is None:
            stuck.append(Stuck(slot, role, current, entry.state, entry.reason,
                               "no chain entry is healthy, registered and allowed by the role's "
                               "cost policy"))
            continue
        changes.append(Change(slot, role, current, chosen, entry.state, entry.reason,
                              entry.until, evidence, tuple(skipped),
                              tuple(_fallback_default(live_config))))
    return Plan(now, tuple(changes), tuple(stuck), tuple(reverts),
                tuple(_warnings(changes, live_config, states)))


def _fallback_default(live_config: Mapping[str, Any]) -> list[str]:
    lists = live_config.get("fallback") if isinstance(live_config.get("fallback"), dict) else {}
    assert isinstance(lists, dict)
    return [e for e in lists.get("default") or [] if isinstance(e, str)]


def _warnings(changes: Sequence[Change], live_config: Mapping[str, Any],
              states: Mapping[str, Health]) -> list[PlanWarning]:
    lists = live_config.get("fallback") if isinstance(live_config.get("fallback"), dict) else {}
    assert isinstance(lists, dict)
    default = _fallback_default(live_config)
    out: list[PlanWarning] = []
    for change in changes:
        own = [e for e in lists.get(change.slot) or [] if isinstance(e, str)]
        if change.slot != "default" and own != default:
            out.append(PlanWarning(change.slot, "fallback_list_changes", None,
                               f"while overridden, {change.slot} requests fall back through "
                               f"fallback.default {default} instead of fallback.{change.slot} "
                               f"{own} (a custom route is scenario default in 2.0.0)"))
        for item in default:
            health = entry_health(route_ref(item), states)
            if health.state != State.UNREACHABLE:
                continue
            hung = health.reason.startswith("no answer")
            kind = "hung_fallback" if hung else "unreachable_fallback"
            effect = ("a request that reaches it hangs: the router never times out or falls back"
                      " after a hang") if hung else \
                "the router skips it after a connection error"
            out.append(PlanWarning(change.slot, kind, item,
                               f"fallback.default entry {item} is unreachable ({health.reason}): "
                               f"if {change.route} answers with an HTTP error, {effect}; not "
                               "removed: the router loads the list at start, and the module "
                               "does not change it"))
    return out


def states_from_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Health]:
    """Provider health from a cached `providers status` report (`health.routing_states`'
    `read_snapshot`): the same `Health` values a fresh probe gives."""
    def health(entry: Mapping[str, Any]) -> Health | None:
        try:
            state = State(str(entry.get("state")))
        except ValueError:
            return None
        models = {str(name): h for name, raw in (entry.get("models") or {}).items()
                  if isinstance(raw, dict) and (h := health(raw)) is not None}
        status = entry.get("http_status")
        return Health(state, str(entry.get("reason", "")), parse_iso(entry.get("until")),
                      http_status=status if isinstance(status, int) else None,
                      source=str(entry.get("source", "probe")), models=models)

    out: dict[str, Health] = {}
    for entry in snapshot.get("providers") or []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            parsed = health(entry)
            if parsed is not None:
                out[entry["id"]] = parsed
    return out
