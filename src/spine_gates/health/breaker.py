"""Circuit breakers per (provider, model, credential): closed / open / half-open, persisted.

Open waits follow the reference defaults: rate limits until the stated reset (else 60 s);
overload and unreachability 30 s × consecutive ejections, at most 300 s (Envoy); auth failures
and quota without a stated reset hold until the config or credential changes or quota evidence
arrives. The quota rule: a cheap probe (a `/models` success) never closes a breaker opened by a
quota signal; only the stated reset passing, or a probe that measures quota itself (OpenRouter's
`/key`), does.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from spine_gates.health.state import Health, State
from spine_gates.secrets.redact import redact_text

RATE_WAIT_S = 60.0
EJECT_BASE_S = 30.0
EJECT_MAX_S = 300.0
PROVIDER_WIDE = "*"


class Position(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Breaker:
    position: Position
    state: State = State.HEALTHY
    reason: str = ""
    until: _dt.datetime | None = None
    opened_at: _dt.datetime | None = None
    ejections: int = 0
    api_base: str = ""


CLOSED = Breaker(Position.CLOSED)
Step = Callable[[Breaker], Breaker]


class BreakerStore(Protocol):
    """Where breakers live: `breakers_sqlite.SqliteBreakers` (this machine's store, the
    default) or `state_redis.RedisState` (the team's Redis); the spine's `state:` picks one."""

    scope: str  # "machine" or "team": whose breakers a reader sees

    def update_breaker(self, provider: str, model: str, credential: str, step: Step,
                       now: _dt.datetime) -> Breaker:
        """Load, apply `step`, persist when it changed, atomically across processes (and
        machines, for Redis); returns the breaker after the step."""
        ...

    def breaker_models(self, provider: str, credential: str) -> list[str]:
        """Models with a model-level breaker on record for a provider's credential."""
        ...

    def count_requests(self, provider: str, credential: str, sent: int,
                       now: _dt.datetime) -> int | None:
        """Add `sent` requests to this minute's count for the key; the minute's total so far,
        or None for a store that keeps no shared budget (one machine's count is no budget)."""
        ...


def _open_for(state: State, ejections: int) -> float | None:
    if state == State.RATE_LIMITED:
        return RATE_WAIT_S
    if state in (State.OVERLOADED, State.UNREACHABLE):
        return min(EJECT_BASE_S * 2.0 ** max(ejections - 1, 0), EJECT_MAX_S)
    return None  # quota without a stated reset, auth: hold


def _holds_without_probe(breaker: Breaker) -> bool:
    """Open breakers a cheap success may not close before their until-time."""
    return breaker.state in (State.QUOTA_EXHAUSTED, State.RATE_LIMITED)


def advance(breaker: Breaker, observed: Health | None, now: _dt.datetime,
            api_base: str = "") -> Breaker:
    """The next breaker position given what was just observed (None: nothing probed)."""
    if breaker.position != Position.CLOSED and breaker.api_base != api_base:
        breaker = CLOSED  # the config changed: a held breaker starts over
    if breaker.position == Position.OPEN and breaker.until and now >= breaker.until:
        breaker = Breaker(Position.HALF_OPEN, breaker.state, breaker.reason, breaker.until,
                          breaker.opened_at, breaker.ejections, breaker.api_base)
    if observed is None:
        return breaker
    if not observed.state.serving:
        still_quota = (breaker.position == Position.OPEN
                       and breaker.state == State.QUOTA_EXHAUSTED
                       and observed.state != State.QUOTA_EXHAUSTED)
        if still_quota:
            return breaker  # a lesser failure does not shorten a quota hold
        consecutive = breaker.position != Position.CLOSED
        ejections = breaker.ejections + 1 if consecutive else 1
        until = observed.until
        if until is None:
            wait = _open_for(observed.state, ejections)
            until = now + _dt.timedelta(seconds=wait) if wait is not None else None
        opened_at = breaker.opened_at if consecutive and breaker.opened_at else now
        return Breaker(Position.OPEN, observed.state, observed.reason, until, opened_at,
                       ejections, api_base)
    if breaker.position == Position.OPEN:
        if breaker.state == State.QUOTA_EXHAUSTED and observed.quota_evidence:
            return CLOSED
        if _holds_without_probe(breaker):
            return breaker
    return CLOSED


def effective(breaker: Breaker, observed: Health | None, offline_reason: str) -> Health:
    """What to report: an open breaker outranks a cheap success; else the observation."""
    if breaker.position == Position.OPEN:
        since = breaker.opened_at.strftime("%H:%M:%SZ") if breaker.opened_at else "?"
        base = observed or Health(breaker.state, breaker.reason, source="breaker")
        if observed is not None and observed.state == breaker.state:
            return observed.with_(until=breaker.until or observed.until)
        return base.with_(state=breaker.state, until=breaker.until, source="breaker",
                          reason=f"{breaker.reason} (breaker open since {since})")
    if breaker.position == Position.HALF_OPEN:
        return Health(State.DEGRADED, f"breaker half-open after {breaker.state.value} "
                      f"({breaker.reason}); waiting for one probe", source="breaker")
    if observed is None:
        return Health(State.HEALTHY, offline_reason, source="breaker")
    return observed


def _ts(moment: _dt.datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _dt_of(value: float | None) -> _dt.datetime | None:
    return _dt.datetime.fromtimestamp(value, _dt.UTC) if value is not None else None


def to_record(breaker: Breaker) -> dict[str, Any]:
    """A breaker as stored (SQLite row or Redis JSON). Its reason is redacted first: the store
    is kept across runs (and shared, for Redis), and a reason may quote a provider's answer or a
    config value."""
    return {"position": breaker.position.value, "state": breaker.state.value,
            "reason": redact_text(breaker.reason), "until": _ts(breaker.until),
            "opened_at": _ts(breaker.opened_at), "ejections": breaker.ejections,
            "api_base": breaker.api_base}


def from_record(rec: Mapping[str, Any]) -> Breaker:
    try:
        return Breaker(Position(rec["position"]), State(rec["state"]), str(rec["reason"]),
                       _dt_of(rec["until"]), _dt_of(rec["opened_at"]), int(rec["ejections"]),
                       str(rec["api_base"]))
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return CLOSED  # written by an incompatible version: start over


def update(store: BreakerStore, provider: str, model: str,
           credential: str, observed: Health | None, now: _dt.datetime, api_base: str,
           offline_reason: str = "not probed; breaker closed") -> Health:
    """Advance and persist one breaker atomically; returns the health to report."""
    after = store.update_breaker(
        provider, model, credential, lambda before: advance(before, observed, now, api_base),
        now)
    return effective(after, observed, offline_reason)


def open_breakers(store: BreakerStore, provider: str,
                  credential: str) -> list[str]:
    """Models with a breaker still on record for a provider (offline view)."""
    return store.breaker_models(provider, credential)
