"""Today's date for every date rule: UTC, or pinned by SPINE_GATES_TODAY for reproducible runs."""

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
