"""How long a cached `providers status` counts as fresh: one notion for `session check` (which
refreshes a stale cache in the background) and `failover plan|apply --from-cache` (which refuse
to act on one). `SPINE_GATES_HEALTH_TTL` (seconds) overrides the spine's `health.cache_ttl_s`,
whose default is 300 s. Ages are measured on the machine's clock, which wrote the cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spine_gates.errors import InputError
from spine_gates.health.state import parse_iso, utcnow

TTL_ENV = "SPINE_GATES_HEALTH_TTL"
DEFAULT_TTL_S = 300.0


def cache_ttl_s(payload: Mapping[str, Any], env: Mapping[str, str]) -> float:
    """Seconds a snapshot stays fresh; a bad SPINE_GATES_HEALTH_TTL raises ValueError."""
    return float(env.get(TTL_ENV) or payload.get("cache_ttl_s") or DEFAULT_TTL_S)


def snapshot_age(snapshot: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, float, float]:
    """(its `checked_at` as written, its age and how long it stays fresh, in seconds) for a
    cached snapshot a command is about to act on; exit 3 when either cannot be told."""
    stamp = str(snapshot.get("checked_at") or "")
    checked = parse_iso(stamp)
    try:
        if checked is None:
            raise ValueError(stamp)
        ttl = cache_ttl_s(snapshot, env)
    except ValueError:
        raise InputError(f"cannot tell how old the cached provider health is (checked_at, "
                         f"{TTL_ENV}): run `gates providers status` again") from None
    return stamp, max(0.0, (utcnow() - checked).total_seconds()), ttl
