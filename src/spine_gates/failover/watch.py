"""`gates failover watch`: probe, fail a slot over when its route stays down, hand it back once
the replaced primary is confirmed healthy for the hold time, renew what is still needed.

One round (`tick`):
1. sign for an override an interrupted apply left unreceipted (a killed watcher converges);
   clear expired overrides (they stopped routing; on record they are drift);
2. probe (the `providers status` probes and breakers: the caller's `probe`) and plan;
3. a slot the plan moves counts one bad round; at `watch.bad_probes` consecutive ones it is
   failed over (TTL `failover.default_ttl`);
4. an override whose replaced route looks healthy starts (or continues) its hold; once held for
   `watch.hold`, one 1-token completion on that route (at most one per
   `watch.recovery_probe_interval`) confirms it, and the override is reverted; a failed
   confirmation starts the hold over;
5. an override still needed that expires within the renew margin is renewed (a new override of
   the same slot and route with a new expiry): an outage longer than the TTL stays covered;
6. applies and reverts are route changes; at most `watch.max_changes_per_hour` in any hour.
   Past the cap the watcher says so once and changes no route until the hour has passed
   (renewals keep routes as they are, so they go on).

Everything it remembers is in `watch_state` (so `--once` runs under a timer behave like one
long run); every action goes through `actions` (the code `apply` and `revert` use) and is signed
with `actor` = `watcher:<host>:<pid>`. It knows nothing about the command line.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.clock import now
from spine_gates.failover import actions, overrides, watch_state
from spine_gates.failover.plan import Change, Plan, plan, route_ref
from spine_gates.failover.settings import format_duration
from spine_gates.failover.watch_confirm import Confirmed
from spine_gates.failover.watch_state import Bad, Confirmation, WatchState
from spine_gates.health.roles import entry_health
from spine_gates.health.state import Health, State, iso

if TYPE_CHECKING:
    from spine_gates.checks.interface import RunContext
    from spine_gates.failover.record import Override
    from spine_gates.finding import Finding
    from spine_gates.receipts.keys import SigningKey

MIN_RENEW_MARGIN = _dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Watch:
    """What a watcher needs from its caller: where, how to probe and confirm, which findings
    an action records (`findings(ctx, action)`; action None for a revert), the key, who acts."""

    root: Path
    live_option: str | None
    probe: Callable[[Path], dict[str, Health]]
    confirm: Callable[[Path, str], Confirmed]
    findings: Callable[[RunContext, str | None], list[Finding]]
    key: SigningKey | None
    actor: str
    interval: _dt.timedelta | None = None  # --interval; else failover.watch.interval


def interval_of(watch: Watch) -> _dt.timedelta:
    """The round's period: --interval, else the spine's failover.watch.interval."""
    if watch.interval is not None:
        return watch.interval
    return actions.load_inputs(watch.root, watch.live_option).settings.watch.interval


def renew_margin(interval: _dt.timedelta, ttl: _dt.timedelta) -> _dt.timedelta:
    """Renew this long before expiry: three rounds (a slow or skipped round must not let it
    lapse), at least a minute, at most half the TTL (else every round would renew)."""
    return min(max(3 * interval, MIN_RENEW_MARGIN), ttl / 2)


def _slot_role(model: Any, slot: str) -> str:
    for role_id, body in model.roles.items():
        slots = body.get("ccr_slots") if isinstance(body, dict) else None
        if isinstance(slots, list) and slot in slots:
            return str(role_id)
    return ""


class _Round:
    """One round's state: the inputs, the watcher's memory and the lines it says."""

    def __init__(self, watch: Watch, interval: _dt.timedelta) -> None:
        self.watch = watch
        self.inputs = actions.load_inputs(watch.root, watch.live_option)
        self.now = self.inputs.now
        self.settings = self.inputs.settings
        self.limits = self.settings.watch
        self.interval = interval
        self.live = self.inputs.live.path
        self.state: WatchState = watch_state.load(self.live)
        self.lines: list[str] = []
        self._findings: dict[str | None, list[Finding]] = {}

    def say(self, text: str) -> None:
        self.lines.append(f"{iso(self.now)} {text}")

    def findings(self, action: str | None) -> list[Finding]:
        if action not in self._findings:
            self._findings[action] = self.watch.findings(self.inputs.ctx, action)
        return self._findings[action]

    def receipt(self, digest: str | None) -> str:
        return f"receipt {digest[:15]}" if digest else "no receipt"

    def save(self) -> None:
        watch_state.save(self.live, self.state, self.now)


def tick(watch: Watch, interval: _dt.timedelta) -> list[str]:
    """One round (see the module docstring); returns the lines to print."""
    r = _Round(watch, interval)
    with actions.team_round(r.inputs):
        return _tick(r)


def _tick(r: _Round) -> list[str]:
    watch = r.watch
    _converge(r)
    states = watch.probe(r.inputs.root)
    active = overrides.active(r.now)
    proposed = plan(r.inputs.ctx.model, states, r.inputs.live.data, r.settings, r.now, active)
    ready = _count_bad(r, proposed)
    reverts, keep = _recoveries(r, active, proposed, states)
    let_ready, let_reverts = _capped(r, ready, reverts)
    keep += [o for o in reverts if o not in let_reverts]  # capped: kept as it is, renewed
    r.save()  # the changes are counted before they are made: a kill never undercounts
    applied_slots = _apply(r, proposed, let_ready)
    _revert(r, let_reverts)
    _renew(r, [o for o in keep if o.slot not in applied_slots], states)
    r.save()
    return r.lines


def _converge(r: _Round) -> None:
    """Finish what a killed run left: sign an unreceipted override, clear expired ones."""
    key, actor = r.watch.key, r.watch.actor
    if any(o.receipt is None for o in overrides.active(r.now)) and key is not None:
        signed, digest = actions.sign_unreceipted(r.inputs, key, r.findings("failover apply"),
                                                  actor)
        if signed:
            r.say(f"receipted {', '.join(o.id for o in signed)} (an earlier apply stopped "
                  f"before signing): {r.receipt(digest)}")
    expired = [o for o in overrides.read() if not o.active(r.now)]
    if expired:
        removed, digest = actions.end_overrides(
            r.inputs, [o.id for o in expired], key, r.findings(None), actor=actor,
            note="clears overrides that expired (they had stopped routing)")
        for entry in removed:
            r.say(f"cleared expired {entry.id}: {entry.slot} (it stopped routing at "
                  f"{iso(entry.expires_at)}); {r.receipt(digest)}")


def _count_bad(r: _Round, proposed: Plan) -> list[Change]:
    """Hysteresis before an apply: consecutive rounds that found the slot's route down."""
    planned = {c.slot: c for c in proposed.changes}
    for slot in [s for s in r.state.bad if s not in planned]:
        del r.state.bad[slot]
    ready = []
    need = r.limits.bad_probes
    for change in proposed.changes:
        bad = r.state.bad.get(change.slot)
        if bad is None or bad.route != change.replaces:
            bad = Bad(change.replaces, 0, r.now)
        bad.count += 1
        r.state.bad[change.slot] = bad
        if bad.count >= need:
            ready.append(change)
        else:
            r.say(f"{change.slot}: {change.replaces} {change.state.value} ({change.reason}): "
                  f"bad round {bad.count} of {need} before failing over")
    for stuck in proposed.stuck:
        r.say(f"stuck {stuck.slot}: {stuck.replaces} is {stuck.state.value} ({stuck.reason}); "
              f"{stuck.why}")
    return ready


def _recoveries(r: _Round, active: Sequence[Override], proposed: Plan,
                states: dict[str, Health]) -> tuple[list[Override], list[Override]]:
    """Which active overrides to revert (replaced route held healthy and confirmed), and which
    to keep (renewed when they near expiry)."""
    planned = {c.slot for c in proposed.changes}
    reverts: list[Override] = []
    keep: list[Override] = []
    for entry in active:
        if entry.slot in planned:  # its own route is down too: the plan moves it on
            r.state.healthy_since.pop(entry.slot, None)
            keep.append(entry)  # renewed only if that move does not happen (bad rounds, cap)
            continue
        health = entry_health(route_ref(entry.replaces), states)
        looks_up = health.serving and health.state is not None \
            and health.state not in r.settings.triggers
        if not looks_up:
            r.state.healthy_since.pop(entry.slot, None)
            keep.append(entry)
            continue
        since = r.state.healthy_since.setdefault(entry.slot, r.now)
        if since == r.now:
            r.say(f"{entry.slot}: {entry.replaces} looks healthy ({health.reason}); handing it "
                  f"back after {format_duration(r.limits.hold)} healthy and a 1-token completion")
        if r.now - since < r.limits.hold:
            keep.append(entry)
            continue
        confirmed = _confirmation(r, entry.replaces)
        if confirmed is not None and confirmed.ok and confirmed.at >= since:
            reverts.append(entry)
            continue
        if confirmed is not None and not confirmed.ok and confirmed.at >= since:
            r.state.healthy_since.pop(entry.slot, None)  # the path that failed still fails
        keep.append(entry)
    return reverts, keep


def _confirmation(r: _Round, route: str) -> Confirmation | None:
    """The route's 1-token completion: the last one when younger than
    recovery_probe_interval (it costs money), else a new one now."""
    last = r.state.confirmations.get(route)
    if last is not None and r.now - last.at < r.limits.recovery_probe_interval:
        return last
    answer = r.watch.confirm(r.inputs.root, route)
    r.state.confirmations[route] = Confirmation(r.now, answer.ok, answer.reason)
    verdict = "answered" if answer.ok else "failed"
    r.say(f"recovery probe {route}: {verdict} ({answer.reason})")
    return r.state.confirmations[route]


def _capped(r: _Round, ready: list[Change], reverts: list[Override]) -> tuple[
        list[Change], list[Override]]:
    """At most max_changes_per_hour route changes in any hour (applies first: covering an
    outage matters more than handing a slot back); counts the changes it lets through."""
    cap = r.limits.max_changes_per_hour
    recent = r.state.recent_changes(r.now)
    room = max(cap - len(recent), 0)
    let_ready = ready[:room]
    let_reverts = reverts[:room - len(let_ready)]
    r.state.changes = [*recent, *[r.now] * (len(let_ready) + len(let_reverts))]
    held = len(ready) - len(let_ready) + len(reverts) - len(let_reverts)
    if held:
        until = min(r.state.changes) + watch_state.HOUR
        reported = r.state.cap_reported_until
        if reported is None or reported <= r.now:
            r.say(f"change cap reached: {len(r.state.changes)} route changes in the last hour "
                  f"(failover.watch.max_changes_per_hour {cap}); changing no route until "
                  f"{iso(until)}")
            r.state.cap_reported_until = until
    return let_ready, let_reverts


def _apply(r: _Round, proposed: Plan, ready: list[Change]) -> set[str]:
    if not ready:
        return set()
    subset = Plan(r.now, tuple(ready), (), (), tuple(
        w for w in proposed.warnings if w.slot in {c.slot for c in ready}))
    applied = actions.apply_plan(r.inputs, r.watch.key, subset, r.settings.default_ttl,
                                 r.findings("failover apply"), actor=r.watch.actor)
    why = {c.slot: f"{c.state.value}: {c.reason}" for c in ready}
    for entry in applied.added:
        r.state.bad.pop(entry.slot, None)
        r.say(f"applied {entry.id}: {entry.slot} {entry.replaces} -> {entry.route} until "
              f"{iso(entry.expires_at)} ({why.get(entry.slot, '')}); "
              f"{r.receipt(applied.digest)}")
    return {entry.slot for entry in applied.added}


def _revert(r: _Round, reverts: list[Override]) -> list[Override]:
    if not reverts:
        return []
    removed, digest = actions.end_overrides(
        r.inputs, [o.id for o in reverts], r.watch.key, r.findings(None), actor=r.watch.actor,
        note=f"the replaced route was healthy for {format_duration(r.limits.hold)} and answered a "
             "1-token completion")
    for entry in removed:
        r.state.healthy_since.pop(entry.slot, None)
        r.say(f"reverted {entry.id}: {entry.slot} back to {entry.replaces} (healthy for "
              f"{format_duration(r.limits.hold)}, confirmed by a 1-token completion); "
              f"{r.receipt(digest)}")
    return removed


def _renew(r: _Round, keep: list[Override], states: dict[str, Health]) -> None:
    """Re-apply what is still needed before it expires, with the replaced route's health now."""
    margin = renew_margin(r.interval, r.settings.default_ttl)
    due = [o for o in keep if o.expires_at - r.now <= margin]
    if not due:
        return
    changes = []
    for entry in due:
        health = entry_health(route_ref(entry.replaces), states)
        state = health.state or State.UNREACHABLE
        reason = health.reason if not health.serving else \
            f"recovery not confirmed yet ({health.reason})"
        provider = states.get(entry.replaces.partition(",")[0])
        evidence = {"route": entry.replaces, "state": state.value, "reason": health.reason,
                    "until": health.until, "renews": entry.id,
                    "provider": provider.to_json() if provider else None}
        changes.append(actions.renewal(entry, _slot_role(r.inputs.ctx.model, entry.slot),
                                       reason, evidence, state))
    applied = actions.apply_plan(r.inputs, r.watch.key, Plan(r.now, tuple(changes)),
                                 r.settings.default_ttl, r.findings("failover apply"),
                                 actor=r.watch.actor,
                                 note=f"renews {', '.join(o.id for o in due)}")
    old = {o.slot: o for o in due}
    for entry in applied.added:
        previous = old[entry.slot]
        r.say(f"renewed {previous.id} as {entry.id}: {entry.slot} stays on {entry.route} until "
              f"{iso(entry.expires_at)} ({entry.replaces} {entry.reason}); "
              f"{r.receipt(applied.digest)}")


def run(watch: Watch, *, once: bool, stop: threading.Event,
        say: Callable[[list[str]], None]) -> None:
    """Rounds every interval until `stop` is set (a signal) or after one (`once`). Between
    rounds it sleeps on `stop` (no polling): an idle watcher costs no CPU."""
    interval = interval_of(watch)
    while True:
        started = time.monotonic()
        lines = tick(watch, interval)
        if once:
            say(lines or [f"{iso(now())} no change ({len(overrides.active(now()))} "
                          "override(s) in force)"])
            return
        say(lines)
        rest = interval.total_seconds() - (time.monotonic() - started)
        if stop.wait(max(rest, 0.0)):
            return
