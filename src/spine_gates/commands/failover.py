"""`gates failover plan|apply|revert|status`: governed, expiring overrides of the router's slots.

`plan` probes (or reads the cached `providers status`) and prints the overrides the health calls
for; `apply` records them in the override file the router module reads on every request and signs
a receipt; `revert` removes them (receipted); `status` lists what is recorded. The engine is the
`failover` package; this module reads the flags, builds its inputs and prints.

Exit codes: plan 0 nothing to do, 1 changes proposed (or a slot left without a usable route);
apply 0 applied or nothing to do; revert 0; status 0; bad input (a corrupted override file, a
missing live config, no router module, no signing key, no --yes without a terminal) 3; apply
refused by findings that make the config unsafe 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.commands import emit, root_of
from spine_gates.errors import InputError
from spine_gates.printable import visible_lines

if TYPE_CHECKING:
    import datetime as _dt

    from spine_gates.ccr.live import LiveConfig
    from spine_gates.checks.interface import RunContext
    from spine_gates.failover.plan import Plan
    from spine_gates.failover.record import Override
    from spine_gates.failover.settings import FailoverSettings
    from spine_gates.finding import Finding
    from spine_gates.health.state import Health
    from spine_gates.receipts.keys import SigningKey

MODULE_MISSING = ("the failover router module is not {what}: set `failover.router_module: true` "
                  "in spine-gates.yaml and run `gates sync`, then restart the router once "
                  "(ccr restart) so it loads the module")


@dataclass(frozen=True)
class _Inputs:
    root: Path
    ctx: RunContext
    settings: FailoverSettings
    live: LiveConfig
    now: _dt.datetime


def _inputs(args: argparse.Namespace, writer: str | None) -> _Inputs:
    from spine_gates.ccr.live import is_missing, live_path, read_live_config
    from spine_gates.checks.interface import prepare
    from spine_gates.clock import now
    from spine_gates.failover.settings import failover_settings

    root = root_of(args, writer)
    ctx = prepare(root)
    settings = failover_settings(ctx.config)
    path, _ = live_path(args.live)
    if is_missing(path):
        raise InputError("no live router config: a failover overrides a running router's "
                         "slots; write it with `gates sync` (or pass --live PATH)", str(path))
    return _Inputs(root, ctx, settings, read_live_config(path), now())


def _states(args: argparse.Namespace, root: Path) -> tuple[dict[str, Health], str | None]:
    """Provider health: the cached `providers status` (--from-cache), with a line saying how old
    it is, or fresh probes (no line)."""
    from spine_gates.failover.plan import states_from_snapshot

    if args.from_cache:
        from spine_gates.health.routing_states import read_snapshot

        snapshot = read_snapshot(root)
        if snapshot is None:
            raise InputError("no cached provider state for this spine: run `gates providers "
                             "status` first, or drop --from-cache", str(root))
        return states_from_snapshot(snapshot), _cache_age(snapshot)
    from spine_gates.health.provider_status import collect_status
    from spine_gates.health.render import Progress

    progress = Progress(sys.stderr)
    try:
        report, _keys = collect_status(root, timeout=args.timeout, deadline=args.deadline,
                                       offline=args.offline, deep=args.deep,
                                       overrides=args.api_base_override, progress=progress)
    finally:
        progress.clear()
    # collect_status registered every key it saw: all output (and the override file's evidence)
    # leaves through the redaction service
    return {status.id: status.health for status in report.providers}, None


def _cache_age(snapshot: dict[str, Any]) -> str:
    """'cached at T, N old (fresh for M)'; exit 3 when older than fresh (what `session check`
    calls stale): a failover moves traffic, and an outage seen minutes ago may be over, or a new
    one unseen. The age is on the machine's clock, which wrote the cache (not SPINE_GATES_NOW)."""
    import datetime as _dt
    import os

    from spine_gates.failover.settings import format_duration
    from spine_gates.health.freshness import TTL_ENV, cache_ttl_s
    from spine_gates.health.state import parse_iso, utcnow

    stamp = str(snapshot.get("checked_at") or "")
    checked = parse_iso(stamp)
    try:
        if checked is None:
            raise ValueError(stamp)
        ttl = cache_ttl_s(snapshot, os.environ)
    except ValueError:
        raise InputError(f"cannot tell how old the cached provider health is (checked_at, "
                         f"{TTL_ENV}): run `gates providers status` again") from None
    age = max(0.0, (utcnow() - checked).total_seconds())
    old = "under a minute" if age < 60 else format_duration(_dt.timedelta(minutes=age // 60))
    fresh = format_duration(_dt.timedelta(seconds=int(ttl)))
    if age > ttl:
        raise InputError(f"the cached provider health is from {stamp} ({old} old; fresh for "
                         f"{fresh}): run `gates providers status` first, or drop --from-cache "
                         "to probe now")
    return f"cached at {stamp}, {old} old (fresh for {fresh})"


def _plan(args: argparse.Namespace, inputs: _Inputs) -> tuple[Plan, str | None]:
    """The plan, and the line saying how old cached health is (None after fresh probes)."""
    from spine_gates.failover import overrides
    from spine_gates.failover.plan import plan

    active = overrides.active(inputs.now)
    states, health = _states(args, inputs.root)
    return plan(inputs.ctx.model, states, inputs.live.data, inputs.settings, inputs.now,
                active), health


def _predicted(proposed: Plan, live: dict[str, Any], states_json: dict[str, str]) -> list[
        dict[str, Any]]:
    """For each change, what the evaluator predicts once it is applied: the override's route,
    falling back through fallback.default (a custom route is scenario default in 2.0.0)."""
    from spine_gates.routing.fallback import Failures, resolve
    from spine_gates.routing.slots import Decision

    failures = Failures.from_mapping(states_json, "health")
    out = []
    for change in proposed.changes:
        decision = Decision("custom", f"failover override of {change.slot}", change.route,
                            "default")
        outcome = resolve(decision, live, failures)
        out.append({"slot": change.slot, "route": change.route,
                    "answered_by": outcome.model_ref, "served_by": outcome.served_by,
                    "http_status": outcome.status})
    return out


def render_plan(proposed: Plan, predicted: list[dict[str, Any]], health: str | None = None) -> str:
    from spine_gates.health.state import iso

    lines = [f"failover plan ({iso(proposed.checked_at)}): "
             f"{proposed.status.replace('_', ' ')}"]
    if health:
        lines.append(f"  health: {health}")
    for change in proposed.changes:
        lines.append(f"  change  {change.slot}: {change.replaces} -> {change.route} "
                     f"(role {change.role}; {change.state.value}: {change.reason})")
        lines += [f"          skipped {ref}: {why}" for ref, why in change.skipped]
        lines.append(f"          falls back through fallback.default "
                     f"[{', '.join(change.fallback)}]")
    for stuck in proposed.stuck:
        lines.append(f"  stuck   {stuck.slot}: {stuck.replaces} is {stuck.state.value} "
                     f"({stuck.reason}); {stuck.why}")
    for override in proposed.reverts:
        lines.append(f"  revert  {override.id} {override.slot}: {override.replaces} serves "
                     f"again (now {override.route})")
    if proposed.changes:
        from spine_gates.failover.plan import NOT_PRUNED

        lines.append(f"  note    {NOT_PRUNED}")
    for warning in proposed.warnings:
        lines.append(f"  warning {warning.slot}: {warning.message}")
    for row in predicted:
        answered = row["answered_by"] or f"nobody (HTTP {row['http_status']})"
        via = "" if not row["served_by"] else f" (fallback {row['served_by']})"
        lines.append(f"  predicted {row['slot']}: answered by {answered}{via}")
    if not proposed.nothing_to_do:
        lines.append("apply it with `gates failover apply`")
    return visible_lines(lines)


def cmd_plan(args: argparse.Namespace) -> int:
    inputs = _inputs(args, None)
    proposed, health = _plan(args, inputs)
    predicted = _predicted(proposed, inputs.live.data, _health_states(inputs.root, args))
    if args.format == "json":
        data = {**proposed.to_json(), "predicted": predicted}
        emit(json.dumps(data, indent=2) + "\n", None)
    else:
        emit(render_plan(proposed, predicted, health), None)
    return proposed.exit_code


def _health_states(root: Path, args: argparse.Namespace) -> dict[str, str]:
    """The routing states of the health the plan used (the snapshot the probes just wrote, or
    the cached one): what the evaluator injects for its prediction."""
    from spine_gates.health.routing_states import read_snapshot, routing_states

    return routing_states(root) if read_snapshot(root) is not None else {}


# --- apply and revert --------------------------------------------------------------------------

def _require_module(inputs: _Inputs) -> None:
    """The override only acts through the router module the live config names."""
    from spine_gates.failover import router_module

    expected = router_module.module_path(inputs.live.path)
    named = inputs.live.data.get("CUSTOM_ROUTER_PATH")
    if not inputs.settings.router_module or named != str(expected):
        raise InputError(MODULE_MISSING.format(what="named by the live config"),
                         str(inputs.live.path))
    installed = router_module.installed_digest(expected)
    if installed is None:
        raise InputError(MODULE_MISSING.format(what="installed"), str(expected))
    if installed != router_module.expected_digest(expected):
        raise InputError(MODULE_MISSING.format(what="current (the installed one differs from "
                                                    "what this version renders)"),
                         str(expected))


def _signing_key(args: argparse.Namespace) -> SigningKey | None:
    if not args.receipt:
        return None
    from spine_gates.receipts.emit import signing_key_for_run

    key, _ = signing_key_for_run(args.signing_key, explicit=True)
    return key


def _recorded_findings(ctx: RunContext, action: str | None) -> list[Finding]:
    """Refuse `action` on findings that make the config unsafe (None: never refuse; removing
    an override only hands slots back to the SSOT); return the findings the action goes ahead
    despite (freshness, warnings), which its receipt records."""
    from spine_gates.checks.table import load_gates
    from spine_gates.drift.deploy_guard import refuse_broken_ssot
    from spine_gates.gates import run_gate

    if action is not None:
        refuse_broken_ssot(ctx, action)
    result = run_gate(load_gates()["registry-policy"], ctx)
    return [f for f in result.findings if not f.suppressed]


def _confirm(args: argparse.Namespace) -> None:
    """Without --yes: ask on a terminal, refuse anywhere else (exit 3 before any probe)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise InputError("failover apply changes the running router: pass --yes to apply "
                         "without a terminal to confirm on")


def _ask() -> bool:
    print("apply these overrides? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _live_digest(inputs: _Inputs) -> str:
    """The sha256 (hex) of the live config as every report shows it: redacted."""
    import hashlib

    from spine_gates.secrets.redact import redact_text

    text = redact_text(inputs.live.raw.decode("utf-8", "replace"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _routes(live: dict[str, Any], active: list[Override]) -> dict[str, str]:
    """Slot -> the route serving it: the live Router, with the active overrides on top."""
    router = live.get("Router") if isinstance(live.get("Router"), dict) else {}
    assert isinstance(router, dict)
    routes = {str(k): v for k, v in router.items() if isinstance(v, str) and "," in v}
    routes.update({o.slot: o.route for o in active})
    return routes


def _sign(inputs: _Inputs, key: SigningKey | None, action: str,
          entries: list[Override], before: dict[str, str], findings: list[Finding],
          note: str = "", warnings: list[dict[str, Any]] | None = None) -> str | None:
    if key is None:
        return None
    from spine_gates.failover import overrides
    from spine_gates.failover.receipt import emit_failover_receipt

    after = _routes(inputs.live.data, overrides.active(inputs.now))
    written = emit_failover_receipt(inputs.root, key, action=action, overrides=entries,
                                    before=before, after=after, findings=findings,
                                    live_digest=_live_digest(inputs), when=inputs.now,
                                    note=note, warnings=warnings or [])
    return written.digest


def cmd_apply(args: argparse.Namespace) -> int:
    from spine_gates.failover import overrides

    inputs = _inputs(args, "failover apply")
    ttl = inputs.settings.ttl(args.ttl)
    _confirm(args)
    key = _signing_key(args)
    _require_module(inputs)
    findings = _recorded_findings(inputs.ctx, "failover apply")
    lines: list[str] = []
    # an apply killed after writing the override and before signing left it unreceipted:
    # this run signs for it first, so a rerun converges
    in_force = overrides.active(inputs.now)
    unsigned = [o for o in in_force if o.receipt is None]
    if unsigned and key is not None:
        before = _routes(inputs.live.data, [o for o in in_force if o.receipt is not None])
        digest = _sign(inputs, key, "apply", unsigned, before, findings,
                       note="completes an apply interrupted before its receipt")
        if digest:
            overrides.set_receipt([o.id for o in unsigned], digest)
            lines.append(f"receipted {', '.join(o.id for o in unsigned)} (an earlier apply "
                         f"stopped before signing): {digest[:15]}")
    proposed, health = _plan(args, inputs)
    if proposed.nothing_to_do:
        lines.append(render_plan(proposed, [], health).rstrip("\n"))
        lines.append("nothing to apply")
        emit(visible_lines(lines), None)
        return 0
    if not args.yes:
        emit(render_plan(proposed, [], health), None, sys.stderr)
        if not _ask():
            emit("not applied\n", None)
            return 0
    before = _routes(inputs.live.data, overrides.active(inputs.now))
    reverted = overrides.revert([o.id for o in proposed.reverts], inputs.now) \
        if proposed.reverts else []
    added = overrides.apply(proposed, ttl, inputs.now, max_ttl=inputs.settings.max_ttl,
                            live_path=inputs.live.path)
    warnings = [w.to_json() for w in proposed.warnings]
    digest = _sign(inputs, key, "apply", [*added, *reverted], before, findings,
                   warnings=warnings)
    if digest and added:
        overrides.set_receipt([o.id for o in added], digest)
    from spine_gates.health.state import iso

    for entry in added:
        lines.append(f"applied {entry.id}: {entry.slot} {entry.replaces} -> {entry.route} "
                     f"until {iso(entry.expires_at)}")
    for entry in reverted:
        lines.append(f"reverted {entry.id}: {entry.slot} back to {entry.replaces}")
    for stuck in proposed.stuck:
        lines.append(f"stuck {stuck.slot}: {stuck.why}")
    lines += _findings_note(findings)
    if digest and warnings:
        lines.append(f"{len(warnings)} plan warning(s) recorded in the receipt")
    lines.append(f"receipt {digest[:15]}" if digest else "no receipt (--no-receipt)")
    lines.append(_router_note(inputs))
    emit(visible_lines(lines), None)
    return 0


def _router_note(inputs: _Inputs) -> str:
    """What happens next: the running router's module reads the override on its next request;
    a stopped router answers nothing until it is started (the override is recorded either way)."""
    from spine_gates.failover.router_probe import router_port, router_running

    port = router_port(inputs.live.data)
    if router_running(port):
        return "the router module reads the override on the next request; no restart"
    return (f"the router is not running (nothing answers on 127.0.0.1:{port}): start it with "
            "`ccr start`; its module reads the override from the first request")


def _findings_note(findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    rules = sorted({f.rule for f in findings})
    return [f"recorded {len(findings)} finding(s) that do not block a failover: "
            f"{', '.join(rules)}"]


def end_overrides(inputs: _Inputs, ids: list[str] | None, key: SigningKey | None) -> tuple[
        list[Override], str | None, list[Finding]]:
    """Remove overrides (`ids`, or every one) and sign the revert receipt: `failover revert` and
    `sync --clear-overrides` both end overrides here. Returns what was removed, the receipt's
    digest (None without a key or when nothing was removed) and the findings it records."""
    from spine_gates.failover import overrides

    findings = _recorded_findings(inputs.ctx, None)
    before = _routes(inputs.live.data, overrides.active(inputs.now))
    removed = overrides.revert(ids, inputs.now)
    if not removed:
        return [], None, findings
    return removed, _sign(inputs, key, "revert", removed, before, findings), findings


def clear_for_sync(root: Path, ctx: RunContext, live_path: Path, now: _dt.datetime,
                   key: SigningKey) -> tuple[list[Override], str | None]:
    """`gates sync --clear-overrides`, after the sync wrote the live config: end every override
    (expired ones too), receipted like `gates failover revert --all`."""
    from spine_gates.ccr.live import read_live_config
    from spine_gates.failover.settings import failover_settings

    inputs = _Inputs(root, ctx, failover_settings(ctx.config), read_live_config(live_path), now)
    removed, digest, _ = end_overrides(inputs, None, key)
    return removed, digest


def cmd_revert(args: argparse.Namespace) -> int:
    if not args.ids and not args.all:
        raise InputError("name the overrides to revert (see `gates failover status`) or pass "
                         "--all")
    if args.ids and args.all:
        raise InputError("pass override ids or --all, not both")
    inputs = _inputs(args, "failover revert")
    key = _signing_key(args)
    removed, digest, findings = end_overrides(inputs, None if args.all else args.ids, key)
    if not removed:
        emit("no override recorded; nothing to revert\n", None)
        return 0
    lines = [f"reverted {o.id}: {o.slot} back to {o.replaces}" for o in removed]
    lines += _findings_note(findings)
    lines.append(f"receipt {digest[:15]}" if digest else "no receipt (--no-receipt)")
    emit(visible_lines(lines), None)
    return 0


# --- status -------------------------------------------------------------------------------------

def _module_state(live_option: str | None) -> str:
    """installed / not installed / stale / no live config: whether overrides act at all."""
    from spine_gates.ccr.live import is_missing, live_path, read_live_config
    from spine_gates.failover import router_module

    path, _ = live_path(live_option)
    if is_missing(path):
        return "no live config"
    expected = router_module.module_path(path)
    if read_live_config(path).data.get("CUSTOM_ROUTER_PATH") != str(expected):
        return "not named by the live config"
    installed = router_module.installed_digest(expected)
    if installed is None:
        return "not installed"
    if installed != router_module.expected_digest(expected):
        return "stale"
    return "installed"


def _chained(live_option: str | None) -> str | None:
    """The user's own router module the failover module chains (recorded by sync), or None."""
    from spine_gates.ccr.live import live_path
    from spine_gates.failover import router_module

    path, _ = live_path(live_option)
    return router_module.recorded_chain(router_module.module_path(path))


def cmd_status(args: argparse.Namespace) -> int:
    from spine_gates.clock import now
    from spine_gates.failover import overrides
    from spine_gates.health.state import iso

    moment = now()
    entries = overrides.read()
    module = _module_state(args.live)
    chained = _chained(args.live)

    def state(entry: Override) -> str:
        if not entry.active(moment):
            return "expired"
        return "active" if entry.receipt else "active, unreceipted"

    if args.format == "json":
        data = {"now": iso(moment), "file": str(overrides.overrides_path()),
                "router_module": module, "chained_router": chained,
                "overrides": [{**e.to_json(), "state": state(e)} for e in entries]}
        emit(json.dumps(data, indent=2) + "\n", None)
        return 0
    lines = [f"failover overrides ({overrides.overrides_path()}), router module: {module}"]
    if chained:
        lines.append(f"  the router module chains {chained}: requests it does not override go "
                     "to it")
    if not entries:
        lines.append("  none")
    for entry in entries:
        lines.append(f"  {entry.id} {entry.slot}: {entry.replaces} -> {entry.route} until "
                     f"{iso(entry.expires_at)} [{state(entry)}]")
    if any(not e.active(moment) for e in entries):
        lines.append("expired overrides no longer route; clear them with `gates failover "
                     "revert ID` (drift reports them until then)")
    if any(e.active(moment) and not e.receipt for e in entries):
        lines.append("an unreceipted override is an apply that stopped before signing: rerun "
                     "`gates failover apply --yes` to sign it")
    emit(visible_lines(lines), None)
    return 0
