"""How long a cached `providers status` counts as fresh: one notion for `session check` (which
refreshes a stale cache in the background) and `failover plan|apply --from-cache` (which refuse
to act on one). `SPINE_GATES_HEALTH_TTL` (seconds) overrides the spine's `health.cache_ttl_s`,
whose default is 300 s. Ages are measured on the machine's clock, which wrote the cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TTL_ENV = "SPINE_GATES_HEALTH_TTL"
DEFAULT_TTL_S = 300.0


def cache_ttl_s(payload: Mapping[str, Any], env: Mapping[str, str]) -> float:
    """Seconds a snapshot stays fresh; a bad SPINE_GATES_HEALTH_TTL raises ValueError."""
    return float(env.get(TTL_ENV) or payload.get("cache_ttl_s") or DEFAULT_TTL_S)
