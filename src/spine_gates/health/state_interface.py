"""The breaker store's interface: what `providers status` needs from wherever breakers live.

Two implementations: `state_store.SqliteBreakers` (this machine's SQLite file, the default) and
`state_redis.RedisState` (the team's Redis, `state: {backend: redis}`). The breaker logic
(`breaker.py`) and its callers see only this; the spine's `state:` block picks one.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from spine_gates.health.breaker import Breaker

Step = Callable[["Breaker"], "Breaker"]


class BreakerStore(Protocol):
    """Breakers per (provider, model, credential); `update_breaker` is one atomic
    read-modify-write across processes (and, for Redis, across machines)."""

    scope: str  # "machine" or "team": whose breakers a reader sees

    def update_breaker(self, provider: str, model: str, credential: str, step: Step,
                       now: _dt.datetime) -> Breaker:
        """Load, apply `step`, persist when it changed; returns the breaker after the step."""
        ...

    def breaker_models(self, provider: str, credential: str) -> list[str]:
        """Models with a model-level breaker on record for a provider's credential."""
        ...

    def count_requests(self, provider: str, credential: str, sent: int,
                       now: _dt.datetime) -> int | None:
        """Add `sent` requests to this minute's count for the key; the minute's total so far,
        or None for a store that keeps no shared budget (one machine's count is no budget)."""
        ...
