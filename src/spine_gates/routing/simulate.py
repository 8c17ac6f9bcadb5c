"""A seeded, deterministic load simulation: role request rates against provider rate budgets.

Requests arrive per role as a Poisson process; each lands on one of the role's slots. A provider
with a requests-per-minute budget (e.g. NIM's `rate_limit_rpm: 40`) answers HTTP 429 while its
last 60 seconds are full, which sends the request down the slot's fallback list exactly as
`fallback.resolve` does. Same seed, same numbers.
"""

from __future__ import annotations

import random
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from spine_gates.errors import InputError
from spine_gates.printable import visible_lines
from spine_gates.routing.fallback import Failures, InjectedState, resolve
from spine_gates.routing.resilience import slot_decision

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|min|m|h|hour)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)\s*$")
_PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "hour": 3600.0}
RATE_LIMITED = InjectedState("rate_limited", 429)
# Every arrival is held in memory and routed: bound the run (about 6 s at the limit).
MAX_REQUESTS = 1_000_000


def parse_rate(text: str, where: str = "--rate") -> tuple[str, float]:
    """`ROLE=N/min` -> (role, requests per second)."""
    name, sep, rate = text.partition("=")
    match = _RATE.match(rate)
    if not sep or not name.strip() or not match:
        raise InputError(f"expected NAME=N/min (or N/s, N/h), got {text!r}", where)
    return name.strip(), float(match.group(1)) / _PER[match.group(2)]


def parse_duration(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise InputError(f"--duration expects e.g. 90s, 30m, 1h; got {text!r}")
    seconds = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
    if seconds < 1 or seconds > 7 * 86400:
        raise InputError("--duration must be between 1 second and 7 days")
    return seconds


@dataclass
class ProviderStats:
    received: int = 0
    answered: int = 0
    rate_limited: int = 0  # 429s from its own budget
    failed: int = 0  # injected failures


@dataclass
class RoleStats:
    requests: int = 0
    primary: int = 0
    fallback: dict[int, int] = field(default_factory=dict)
    failed: dict[int, int] = field(default_factory=dict)  # client status -> count

    @property
    def fallbacks_taken(self) -> int:
        return sum(self.fallback.values())


@dataclass
class SimulationResult:
    seed: int
    duration_s: float
    roles: dict[str, RoleStats]
    providers: dict[str, ProviderStats]
    budgets: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "duration_s": self.duration_s,
            "budgets_rpm": self.budgets,
            "totals": {
                "requests": sum(r.requests for r in self.roles.values()),
                "fallbacks_taken": sum(r.fallbacks_taken for r in self.roles.values()),
                "failed": sum(sum(r.failed.values()) for r in self.roles.values()),
                "rate_limited_429s": sum(p.rate_limited for p in self.providers.values()),
            },
            "roles": {name: {"requests": r.requests, "primary": r.primary,
                             "fallback": {str(k): v for k, v in sorted(r.fallback.items())},
                             "fallbacks_taken": r.fallbacks_taken,
                             "failed": {str(k): v for k, v in sorted(r.failed.items())}}
                      for name, r in sorted(self.roles.items())},
            "providers": {name: vars(p) for name, p in sorted(self.providers.items())},
        }


def simulate(config: dict[str, Any], role_slots: dict[str, list[str]],
             rates: dict[str, float], duration_s: float, budgets: dict[str, float],
             seed: int = 0, failures: Failures | None = None,
             supports_fallback: bool = True) -> SimulationResult:
    """Run the simulation; `rates` are requests per second per role, `budgets` are rpm."""
    failures = failures or Failures()
    expected = sum(rates.values()) * duration_s
    if expected > MAX_REQUESTS:
        raise InputError(f"the simulation would send about {expected:,.0f} requests (limit "
                         f"{MAX_REQUESTS:,}); lower --rate or --duration", "--rate")
    rng = random.Random(seed)
    arrivals: list[tuple[float, str, str]] = []
    for role in sorted(rates):
        if role not in role_slots:
            raise InputError(f"unknown role {role!r} (known: {', '.join(sorted(role_slots))})",
                             "--rate")
        slots = [s for s in role_slots[role] if slot_decision(s, config) is not None]
        if not slots:
            raise InputError(f"role {role!r} is bound to no configured proxy slot", "--rate")
        rate, clock = rates[role], 0.0
        while rate > 0:
            clock += rng.expovariate(rate)
            if clock >= duration_s:
                break
            arrivals.append((clock, role, rng.choice(slots)))
    arrivals.sort()

    windows: dict[str, deque[float]] = {name: deque() for name in budgets}
    providers: dict[str, ProviderStats] = {}
    roles = {role: RoleStats() for role in rates}
    decisions = {slot: slot_decision(slot, config) for slot in
                 {s for ss in role_slots.values() for s in ss}}
    for now, role, slot in arrivals:
        for window in windows.values():
            while window and window[0] <= now - 60.0:
                window.popleft()
        limited = tuple((name, RATE_LIMITED) for name, window in windows.items()
                        if len(window) >= budgets[name])
        current = Failures(limited + failures.by_key) if limited else failures
        # Injected states come first in the lookup, so an outage outranks a full budget.
        decision = decisions[slot]
        assert decision is not None
        outcome = resolve(decision, config, current, supports_fallback=supports_fallback)
        stats = roles[role]
        stats.requests += 1
        for attempt in outcome.attempts:
            if attempt.result == "skipped":
                continue
            p = providers.setdefault(attempt.provider, ProviderStats())
            p.received += 1
            if attempt.result == "answered":
                p.answered += 1
            elif attempt.state == RATE_LIMITED.name:
                p.rate_limited += 1
            else:
                p.failed += 1
            if attempt.result == "answered" and attempt.provider in windows:
                windows[attempt.provider].append(now)
        if outcome.served_by == 0:
            stats.primary += 1
        elif outcome.served_by:
            stats.fallback[outcome.served_by] = stats.fallback.get(outcome.served_by, 0) + 1
        else:
            stats.failed[outcome.status] = stats.failed.get(outcome.status, 0) + 1
    return SimulationResult(seed, duration_s, roles, providers, dict(budgets))


def render_text(result: SimulationResult) -> str:
    data = result.to_json()
    t = data["totals"]
    lines = [f"simulated {result.duration_s:g} s, seed {result.seed}: {t['requests']} requests, "
             f"{t['fallbacks_taken']} fallbacks taken, {t['failed']} failed, "
             f"{t['rate_limited_429s']} rate-limit 429s",
             "", f"{'provider':<16} {'budget':>8} {'received':>9} {'answered':>9} "
             f"{'429 budget':>10} {'failed':>7}"]
    for name, p in data["providers"].items():
        budget = f"{result.budgets[name]:g}/min" if name in result.budgets else "-"
        lines.append(f"{name:<16} {budget:>8} {p['received']:>9} {p['answered']:>9} "
                     f"{p['rate_limited']:>10} {p['failed']:>7}")
    lines += ["", f"{'role':<14} {'requests':>9} {'primary':>8} {'fallback':>9} "
              f"{'failed':>7}  by fallback / by status"]
    for name, r in data["roles"].items():
        by_fb = ", ".join(f"#{k}: {v}" for k, v in r["fallback"].items()) or "-"
        by_status = ", ".join(f"HTTP {k}: {v}" for k, v in r["failed"].items()) or "-"
        lines.append(f"{name:<14} {r['requests']:>9} {r['primary']:>8} "
                     f"{r['fallbacks_taken']:>9} {sum(r['failed'].values()):>7}  "
                     f"{by_fb} / {by_status}")
    return visible_lines(lines)
