"""Today and now for every date and expiry rule: UTC, or pinned by SPINE_GATES_TODAY and
SPINE_GATES_NOW for reproducible runs."""

from __future__ import annotations

import datetime as _dt
import os

from spine_gates.errors import InputError


def today() -> _dt.date:
    """Today in UTC, or SPINE_GATES_TODAY (YYYY-MM-DD) for reproducible runs."""
    pinned = os.environ.get("SPINE_GATES_TODAY")
    if pinned:
        try:
            return _dt.date.fromisoformat(pinned)
        except ValueError:
            raise InputError(f"SPINE_GATES_TODAY={pinned!r} is not a YYYY-MM-DD date") from None
    return _dt.datetime.now(_dt.UTC).date()


def now() -> _dt.datetime:
    """Now in UTC, or SPINE_GATES_NOW (ISO-8601, UTC when no offset is given) for reproducible
    runs: failover expiry depends on it, and a test must be able to make the clock jump."""
    pinned = os.environ.get("SPINE_GATES_NOW")
    if pinned:
        try:
            moment = _dt.datetime.fromisoformat(pinned.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"SPINE_GATES_NOW={pinned!r} is not an ISO-8601 time such as "
                             "2026-12-03T08:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        return moment.astimezone(_dt.UTC)
    return _dt.datetime.now(_dt.UTC)
