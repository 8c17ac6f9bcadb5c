"""`gates route explain|simulate|resilience`: predict routing from the SSOT or a router config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from spine_gates.commands import emit, root_of
from spine_gates.errors import InputError
from spine_gates.model.schemas import MAX_RATE_LIMIT_RPM
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps
from spine_gates.routing.fallback import Failures


def _roles_and_budgets(root: Path | None) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Role -> slots and provider -> rpm budget from the spine (empty without a spine)."""
    from spine_gates.checks.interface import prepare
    from spine_gates.routing.resilience import role_slots

    if root is None:
        return {}, {}
    model = prepare(root).model
    budgets = {}
    for ident, body in model.providers.items():
        rpm = body.get("rate_limit_rpm") if isinstance(body, dict) else None
        # within the schema's bounds only (NaN fails both tests): a rate the gate reports as a
        # finding is no budget here, as a rate of the wrong type is
        if (isinstance(rpm, int | float) and not isinstance(rpm, bool)
                and 0 < rpm <= MAX_RATE_LIMIT_RPM):
            budgets[str(ident)] = float(rpm)
    return role_slots(model.roles), budgets


def injected_failures(fail: list[str] | None, live_state_root: Path | None) -> Failures:
    """`--fail` states, on top of the cached provider health when `--live-state` is given.

    The cache is what the last `gates providers status` saw (no network); an explicit `--fail`
    for the same provider or model wins.
    """
    explicit = Failures.parse(fail)
    if live_state_root is None:
        return explicit
    from spine_gates.health.routing_states import routing_states

    cached = Failures.from_mapping(routing_states(live_state_root), "--live-state")
    return Failures(cached.by_key + explicit.by_key)


def active_overrides() -> list[Any]:
    """The failover overrides in force now (`gates failover apply`): `--live-state` starts
    from them as it starts from the cached health."""
    from spine_gates.clock import now
    from spine_gates.failover.overrides import active

    return active(now())


def require_known_providers(items: list[str] | None, config: dict[str, Any], flag: str) -> None:
    """A `--fail`/`--budget` for a provider the router config does not define is a typo, not a
    no-op: refuse it rather than predict as if it were healthy."""
    providers = config.get("Providers")
    known = {p.get("name") for p in providers if isinstance(p, dict)} \
        if isinstance(providers, list) else set()
    for item in items or []:
        provider = item.partition("=")[0].strip().split("/", 1)[0]
        if provider not in known:
            names = ", ".join(sorted(str(k) for k in known if isinstance(k, str))) or "none"
            raise InputError(f"{flag} {item!r}: the router config defines no provider "
                             f"{provider!r} (known: {names})")


def route_explain(request: str, ccr_config: str | None, fail: list[str] | None,
                  root: Path | None, fmt: str, profile: str | None = None,
                  custom_route: str | None = None, live_state_root: Path | None = None,
                  exact_tokens: bool = True) -> str:
    from spine_gates.routing.explain import (
        explain_request,
        load_request,
        load_router_config,
        render_json,
        render_text,
    )

    body = load_request(request)
    failures = injected_failures(fail, live_state_root)
    config, source, fallback = load_router_config(ccr_config, root, profile)
    require_known_providers(fail, config, "--fail")
    active = active_overrides() if live_state_root is not None and custom_route is None else []
    if active:
        from spine_gates.failover.predict import explain_overridden

        explanation = explain_overridden(body, config, failures, active,
                                         supports_fallback=fallback, source=source,
                                         exact_tokens=exact_tokens)
    else:
        explanation = explain_request(body, config, failures, custom_route=custom_route,
                                      supports_fallback=fallback, source=source,
                                      exact_tokens=exact_tokens)
    return render_json(explanation) if fmt == "json" else render_text(explanation)


def route_simulate(rates: list[str], duration: str, seed: int, fail: list[str] | None,
                   budgets: list[str] | None, ccr_config: str | None, root: Path | None,
                   fmt: str, profile: str | None = None,
                   live_state_root: Path | None = None) -> str:
    from spine_gates.routing.explain import load_router_config
    from spine_gates.routing.simulate import (
        parse_duration,
        parse_rate,
        render_text,
        simulate,
    )

    if not rates:
        raise InputError("give at least one --rate ROLE=N/min")
    per_role: dict[str, float] = {}
    for text in rates:
        role, rate = parse_rate(text)
        per_role[role] = per_role.get(role, 0.0) + rate
    seconds = parse_duration(duration)
    config, _, fallback = load_router_config(ccr_config, root, profile)
    require_known_providers(fail, config, "--fail")
    require_known_providers(budgets, config, "--budget")
    roles, rpm = _roles_and_budgets(root)
    for text in budgets or []:
        name, per_second = parse_rate(text, "--budget")
        rpm[name] = per_second * 60
    result = simulate(config, roles, per_role, seconds, rpm, seed,
                      injected_failures(fail, live_state_root),
                      fallback)
    if fmt == "json":
        return dumps(result.to_json())
    return render_text(result)


def route_resilience(fail: list[str] | None, ccr_config: str | None, root: Path | None,
                     fmt: str, profile: str | None = None,
                     live_state_root: Path | None = None) -> tuple[str, bool]:
    """The role view (healthy/degraded/down) under --fail, and per-slot minimal failure sets.

    Returns the text and whether every role is answered."""
    from spine_gates.routing.explain import load_router_config
    from spine_gates.routing.resilience import analyse, role_view

    config, source, fallback = load_router_config(ccr_config, root, profile)
    require_known_providers(fail, config, "--fail")
    roles, _ = _roles_and_budgets(root)
    failures = injected_failures(fail, live_state_root)
    active = active_overrides() if live_state_root is not None else []
    if active:
        from spine_gates.failover.predict import overridden_config

        config = overridden_config(config, active)
        if config.get("CUSTOM_ROUTER_PATH"):
            from spine_gates.failover.predict import describe

            source = "; ".join([source, *(describe(o) for o in active)])
    views = [role_view(role, slots, config, failures, fallback)
             for role, slots in sorted(roles.items())]
    slots = analyse(config, fallback)
    all_up = all(v.status.value != "down" for v in views)
    if fmt == "json":
        data: dict[str, Any] = {
            "config": source,
            "roles": {v.role: {"status": v.status.value, "slots": {
                s.slot: {"status": s.status.value, "model": s.outcome.model_ref,
                         "served_by": s.outcome.served_by, "http_status": s.outcome.status}
                for s in v.slots}} for v in views},
            "slots": {s.slot: {"target": s.target, "scenario": s.scenario,
                               "fallback": list(s.chain), "skipped": list(s.skipped),
                               "minimal_failure_set": list(s.minimal_failure_set),
                               "single_point_of_failure": s.single_point_of_failure,
                               "final_on_timeout": s.network_spof} for s in slots},
        }
        return dumps(data), all_up
    lines = [f"config: {source}", "", f"{'role':<14} {'status':<9} slots"]
    for view in views:
        lines.append(f"{view.role:<14} {view.status.value:<9} {view.describe() or '-'}")
    lines += ["", f"{'slot':<12} {'down only if all of these fail (HTTP errors)':<52} "
              "final on timeout"]
    for s in slots:
        members = "{" + ", ".join(s.minimal_failure_set) + "}"
        flag = "  <- single point of failure" if s.single_point_of_failure else ""
        lines.append(f"{s.slot:<12} {members:<52} {s.network_spof}{flag}")
    return visible_lines(lines), all_up


def _gateway(args: argparse.Namespace) -> tuple[Any, str, Failures]:
    """`--target litellm`: the gateway config, its source and the injected states."""
    from spine_gates.routing.litellm import gateway_failures, load_gateway_config, require_known

    if args.ccr_config or args.live_state:
        raise InputError("--target litellm reads --litellm-config, not --ccr-config or "
                         "--live-state")
    root = None if args.litellm_config else root_of(args)
    config, source = load_gateway_config(args.litellm_config, root)
    require_known(args.fail, config, "--fail")
    return config, source, gateway_failures(args.fail)


def _gateway_explain(args: argparse.Namespace) -> int:
    from spine_gates.routing.explain import load_request
    from spine_gates.routing.litellm import render_json, render_text, route_request

    body = load_request(args.request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InputError("the request names no model (the gateway routes by it)", args.request)
    config, source, failures = _gateway(args)
    outcome = route_request(config, model, failures)
    emit(render_json(outcome, source) if args.format == "json" else render_text(outcome, source),
         args.output)
    return 0


def _gateway_simulate(args: argparse.Namespace) -> int:
    from spine_gates.routing.litellm import (
        render_simulation,
        simulate_gateway,
        simulation_json,
    )
    from spine_gates.routing.simulate import parse_duration, parse_rate

    if not args.rate:
        raise InputError("give at least one --rate MODEL=N/min")
    if args.budget:
        raise InputError("--budget is for the router; the gateway reads rpm from its config")
    rates: dict[str, float] = {}
    for text in args.rate:
        name, rate = parse_rate(text)
        rates[name] = rates.get(name, 0.0) + rate
    seconds = parse_duration(args.duration)
    config, _, failures = _gateway(args)
    loads = simulate_gateway(config, rates, seconds, failures, args.seed)
    emit(simulation_json(loads, seconds, args.seed) if args.format == "json"
         else render_simulation(loads, seconds, args.seed), args.output)
    return 0


def _gateway_resilience(args: argparse.Namespace) -> int:
    from spine_gates.routing.litellm import resilience

    config, source, failures = _gateway(args)
    rows = resilience(config, failures)
    if args.format == "json":
        emit(dumps({"config": source, "target": "litellm", "models": {
            name: {"status": status, "model": o.model_ref, "http_status": o.status,
                   "upstream_calls": len(o.calls), "seconds": o.seconds}
            for name, status, o in rows}}), args.output)
    else:
        lines = [f"config: {source}", "", f"{'model':<40} {'status':<9} answer"]
        for name, status, o in rows:
            answer = o.model_ref or f"HTTP {o.status}"
            lines.append(f"{name:<40} {status:<9} {answer} ({len(o.calls)} upstream calls, "
                         f"about {o.seconds:g} s)")
        emit(visible_lines(lines), args.output)
    return 0 if all(status != "down" for _, status, _ in rows) else 1


def cmd_explain(args: argparse.Namespace) -> int:
    if getattr(args, "target", None) == "litellm":
        return _gateway_explain(args)
    spine = root_of(args) if args.live_state or not args.ccr_config else None
    root = None if args.ccr_config else spine
    emit(route_explain(args.request, args.ccr_config, args.fail, root, args.format,
                       args.profile, args.custom_route,
                       spine if args.live_state else None, args.exact_tokens), args.output)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if getattr(args, "target", None) == "litellm":
        return _gateway_simulate(args)
    root = root_of(args)
    emit(route_simulate(args.rate, args.duration, args.seed, args.fail, args.budget,
                        args.ccr_config, root, args.format, args.profile,
                        root if args.live_state else None), args.output)
    return 0


def cmd_resilience(args: argparse.Namespace) -> int:
    if getattr(args, "target", None) == "litellm":
        return _gateway_resilience(args)
    root = root_of(args)
    text, all_up = route_resilience(args.fail, args.ccr_config, root, args.format,
                                    args.profile, root if args.live_state else None)
    emit(text, args.output)
    return 0 if all_up else 1
