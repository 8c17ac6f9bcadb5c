"""The health state model: one state with a reason and an until-time, never a boolean."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class State(StrEnum):
    HEALTHY = "healthy"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXHAUSTED = "quota_exhausted"
    OVERLOADED = "overloaded"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    DEGRADED = "degraded"

    @property
    def serving(self) -> bool:
        """Whether a request sent now would likely be answered (slowly counts)."""
        return self in (State.HEALTHY, State.DEGRADED)

    @property
    def rank(self) -> int:
        """How bad: when two signals disagree, the worse one is reported."""
        return _RANK[self]


_RANK = {
    State.HEALTHY: 0,
    State.DEGRADED: 1,
    State.RATE_LIMITED: 2,
    State.OVERLOADED: 3,
    State.UNREACHABLE: 4,
    State.QUOTA_EXHAUSTED: 5,
    State.AUTH_FAILED: 6,
}


@dataclass(frozen=True)
class Limit:
    """A remaining budget a provider reported: requests, tokens, credits, free requests."""

    name: str
    remaining: float | None
    limit: float | None = None
    reset: _dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "remaining": self.remaining, "limit": self.limit,
                "reset": iso(self.reset)}

    def describe(self) -> str:
        remaining = "?" if self.remaining is None else _num(self.remaining)
        total = f"/{_num(self.limit)}" if self.limit is not None else ""
        return f"{self.name} {remaining}{total}"


@dataclass(frozen=True)
class Health:
    """What one signal (probe, log, breaker) says about a provider or one of its models."""

    state: State
    reason: str
    until: _dt.datetime | None = None
    latency_ms: float | None = None
    http_status: int | None = None
    limits: tuple[Limit, ...] = ()
    quota_evidence: bool = False  # the signal measured quota itself (not a cheap catalogue call)
    source: str = "probe"
    models: dict[str, Health] = field(default_factory=dict)  # model-level signals

    def with_(self, **changes: Any) -> Health:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "state": self.state.value,
            "reason": self.reason,
            "until": iso(self.until),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "http_status": self.http_status,
            "limits": [limit.to_json() for limit in self.limits],
            "source": self.source,
        }
        if self.models:
            data["models"] = {name: h.to_json() for name, h in sorted(self.models.items())}
        return data


def worse(a: Health, b: Health | None) -> Health:
    """The worse of two signals; on a tie the first (the live probe) wins."""
    if b is None or b.state.rank <= a.state.rank:
        return a
    return b.with_(latency_ms=a.latency_ms, limits=a.limits or b.limits,
                   models={**a.models, **b.models})


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def iso(moment: _dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
