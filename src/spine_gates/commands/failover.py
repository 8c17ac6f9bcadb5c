"""`gates failover plan|apply|revert|status`: governed, expiring overrides of the router's slots.

`plan` probes (or reads the cached `providers status`) and prints the overrides the health calls
for; `apply` records them in the override file the router module reads on every request and signs
a receipt; `revert` removes them (receipted); `status` lists what is recorded; `watch` does plan,
apply and revert by itself every interval (`failover.watch`). The engine is the `failover`
package (`actions` holds the apply and revert every command shares); this module reads the
flags, builds its inputs and prints.

Exit codes: plan 0 nothing to do, 1 changes proposed (or a slot left without a usable route);
apply 0 applied or nothing to do; revert 0; status 0; watch 0 when stopped or after `--once`
(also when `--once` finds another watcher running); bad input (and a second long-running
watcher of the same live config) (a corrupted override file, a
missing live config, no router module, no signing key, no --yes without a terminal) 3; apply
refused by findings that make the config unsafe 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.commands import emit, root_of
from spine_gates.errors import InputError
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps

if TYPE_CHECKING:
    import datetime as _dt

    from spine_gates.checks.interface import RunContext
    from spine_gates.failover.actions import Inputs
    from spine_gates.failover.plan import Plan
    from spine_gates.failover.record import Override
    from spine_gates.failover.watch_confirm import Confirmed
    from spine_gates.finding import Finding
    from spine_gates.health.state import Health
    from spine_gates.receipts.keys import SigningKey

def _inputs(args: argparse.Namespace, writer: str | None) -> Inputs:
    from spine_gates.failover.actions import load_inputs

    return load_inputs(root_of(args, writer), args.live)


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
    from spine_gates.health.freshness import snapshot_age

    stamp, age, ttl = snapshot_age(snapshot, os.environ)
    old = "under a minute" if age < 60 else format_duration(_dt.timedelta(minutes=age // 60))
    fresh = format_duration(_dt.timedelta(seconds=int(ttl)))
    if age > ttl:
        raise InputError(f"the cached provider health is from {stamp} ({old} old; fresh for "
                         f"{fresh}): run `gates providers status` first, or drop --from-cache "
                         "to probe now")
    return f"cached at {stamp}, {old} old (fresh for {fresh})"


def _plan(args: argparse.Namespace, inputs: Inputs) -> tuple[Plan, str | None]:
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
        emit(dumps({**proposed.to_json(), "predicted": predicted}), None)
    else:
        emit(render_plan(proposed, predicted, health), None)
    return proposed.exit_code


def _health_states(root: Path, args: argparse.Namespace) -> dict[str, str]:
    """The routing states of the health the plan used (the snapshot the probes just wrote, or
    the cached one): what the evaluator injects for its prediction."""
    from spine_gates.health.routing_states import read_snapshot, routing_states

    return routing_states(root) if read_snapshot(root) is not None else {}


# --- apply and revert --------------------------------------------------------------------------

def recorded_findings(ctx: RunContext, action: str | None) -> list[Finding]:
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


def cmd_apply(args: argparse.Namespace) -> int:
    from spine_gates.failover import actions

    inputs = _inputs(args, "failover apply")
    ttl = inputs.settings.ttl(args.ttl)
    _confirm(args)
    key = actions.signing_key(args.receipt, args.signing_key, inputs.root)
    actions.require_module(inputs)
    findings = recorded_findings(inputs.ctx, "failover apply")
    lines: list[str] = []
    unsigned, digest = actions.sign_unreceipted(inputs, key, findings)
    if digest:
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
    applied = actions.apply_plan(inputs, key, proposed, ttl, findings)
    from spine_gates.health.state import iso

    for entry in applied.added:
        lines.append(f"applied {entry.id}: {entry.slot} {entry.replaces} -> {entry.route} "
                     f"until {iso(entry.expires_at)}")
    for entry in applied.reverted:
        lines.append(f"reverted {entry.id}: {entry.slot} back to {entry.replaces}")
    for stuck in proposed.stuck:
        lines.append(f"stuck {stuck.slot}: {stuck.why}")
    lines += findings_note(findings)
    if applied.digest and proposed.warnings:
        lines.append(f"{len(proposed.warnings)} plan warning(s) recorded in the receipt")
    lines.append(f"receipt {applied.digest[:15]}" if applied.digest
                 else "no receipt (--no-receipt)")
    lines.append(actions.router_note(inputs))
    emit(visible_lines(lines), None)
    return 0


def findings_note(findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    rules = sorted({f.rule for f in findings})
    return [f"recorded {len(findings)} finding(s) that do not block a failover: "
            f"{', '.join(rules)}"]


def clear_for_sync(root: Path, ctx: RunContext, live_path: Path, now: _dt.datetime,
                   key: SigningKey) -> tuple[list[Override], str | None]:
    """`gates sync --clear-overrides`, after the sync wrote the live config: end every override
    (expired ones too), receipted like `gates failover revert --all`."""
    from spine_gates.failover.actions import end_overrides, load_inputs

    inputs = load_inputs(root, str(live_path), ctx, now)
    return end_overrides(inputs, None, key, recorded_findings(ctx, None))


def cmd_revert(args: argparse.Namespace) -> int:
    from spine_gates.failover import actions

    if not args.ids and not args.all:
        raise InputError("name the overrides to revert (see `gates failover status`) or pass "
                         "--all")
    if args.ids and args.all:
        raise InputError("pass override ids or --all, not both")
    inputs = _inputs(args, "failover revert")
    key = actions.signing_key(args.receipt, args.signing_key, inputs.root)
    findings = recorded_findings(inputs.ctx, None)
    removed, digest = actions.end_overrides(inputs, None if args.all else args.ids, key,
                                            findings)
    if not removed:
        emit("no override recorded; nothing to revert\n", None)
        return 0
    lines = [f"reverted {o.id}: {o.slot} back to {o.replaces}" for o in removed]
    lines += findings_note(findings)
    lines.append(f"receipt {digest[:15]}" if digest else "no receipt (--no-receipt)")
    emit(visible_lines(lines), None)
    return 0


# --- watch --------------------------------------------------------------------------------------

def _watch_probe(args: argparse.Namespace) -> Callable[[Path], dict[str, Health]]:
    """A probe round with `providers status`' options; it advances the breakers and caches the
    status (`session check` and `--from-cache` read it). No progress lines: a watcher's output
    is its actions."""
    from spine_gates.health.provider_status import collect_status

    def probe(root: Path) -> dict[str, Health]:
        report, _keys = collect_status(root, timeout=args.timeout, deadline=args.deadline,
                                       offline=args.offline, deep=args.deep,
                                       overrides=args.api_base_override)
        return {status.id: status.health for status in report.providers}

    return probe


def _watch_confirm(args: argparse.Namespace) -> Callable[[Path, str], Confirmed]:
    import os

    from spine_gates.failover.watch_confirm import confirm_route
    from spine_gates.health.provider_status import settings as health_settings
    from spine_gates.model.spine import load_config

    def confirm(root: Path, route: str) -> Confirmed:
        timeout = args.timeout or health_settings(load_config(root).settings)["timeout_s"]
        return confirm_route(root, route, timeout, args.api_base_override, dict(os.environ))

    return confirm


def cmd_watch(args: argparse.Namespace) -> int:
    """Exit 0 when stopped (SIGTERM, SIGINT) or after one round (--once); 3 on bad input (a
    corrupted state file, no router module, no signing key) or when another watcher watches
    this live config (with --once that is no error: exit 0, the running watcher does the
    work)."""
    import datetime as _dt
    import signal
    import threading

    from spine_gates.failover import actions, watch
    from spine_gates.failover.receipt import watcher_actor
    from spine_gates.failover.watch_lock import WatcherRunning, watching

    if args.interval is not None and not 0 < args.interval <= 86400:
        raise InputError("--interval must be a number of seconds above 0 (at most 86400)")
    root = root_of(args, "failover watch")
    inputs = actions.load_inputs(root, args.live)
    key = actions.signing_key(args.receipt, args.signing_key, root)
    actions.require_module(inputs)
    interval = None if args.interval is None else _dt.timedelta(seconds=args.interval)
    spec = watch.Watch(root, args.live, _watch_probe(args), _watch_confirm(args),
                       recorded_findings, key, watcher_actor(), interval)
    stop = threading.Event()

    def stopping(signum: int, frame: Any) -> None:
        stop.set()

    def say(lines: list[str]) -> None:
        if lines:
            emit(visible_lines(lines), None)
            sys.stdout.flush()

    try:
        with watching(inputs.live.path):
            if not args.once:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, stopping)
                every = watch.interval_of(spec)
                from spine_gates.failover.settings import format_duration

                say([f"watching {inputs.live.path} every {format_duration(every)} "
                     f"({spec.actor}); stop with SIGTERM or Ctrl-C"])
            watch.run(spec, once=args.once, stop=stop, say=say)
    except WatcherRunning as running:
        if args.once:
            say([f"{running}; this run changed nothing"])
            return 0
        raise InputError(f"{running}: one watcher per live config (stop it first, or run "
                         "`--once` from a timer instead)") from None
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
        emit(dumps(data), None)
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
