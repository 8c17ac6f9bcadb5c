"""The cached provider health as the routing evaluator's injected states (`--live-state`).

`gates route explain --live-state` (owned by the routing package) can feed this mapping to
`routing.fallback.Failures.from_mapping`: the same snapshot `gates session check` reads, so a
prediction uses what the last `gates providers status` saw. Reads the cache only; no network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.health import state_store


def read_snapshot(root: Path) -> dict[str, Any] | None:
    """The last `providers status` report for this spine root, or None when there is none."""
    conn = state_store.connect_existing()
    if conn is None:
        return None
    try:
        row = conn.execute("SELECT payload FROM snapshots WHERE root = ?",
                           (str(root.resolve()),)).fetchone()
    except Exception as exc:  # sqlite3.Error, or not a database at all
        raise InputError(f"cannot read the health state store: {exc}",
                         str(state_store.db_path())) from None
    finally:
        conn.close()
    return json.loads(row[0]) if row else None


def routing_state(entry: dict[str, Any]) -> str:
    """One health entry as a routing state: what the router would meet calling it now."""
    state = entry.get("state")
    status = entry.get("http_status")
    if state == "rate_limited":
        return "http_429"
    if state == "quota_exhausted":
        return "quota_exhausted"
    if state == "overloaded":
        return f"http_{status}" if isinstance(status, int) and status >= 500 else "http_5xx"
    if state == "auth_failed":
        return f"http_{status}" if isinstance(status, int) and 400 <= status < 500 else "http_401"
    if state == "unreachable":
        return "timeout" if str(entry.get("reason", "")).startswith("no answer") else \
            "connection_error"
    if state == "degraded" and isinstance(status, int) and status >= 500:
        return f"http_{status}"
    return "ok"  # healthy, or degraded but answering (slow, a redirect)


def routing_states(root: Path) -> dict[str, str]:
    """`{provider: state, "provider/model": state}` from the cache; InputError without one."""
    snapshot = read_snapshot(root)
    if snapshot is None:
        raise InputError("no cached provider state for this spine: run `gates providers "
                         "status` first", str(root))
    states: dict[str, str] = {}
    for provider in snapshot.get("providers") or []:
        ident = provider.get("id")
        if not isinstance(ident, str):
            continue
        states[ident] = routing_state(provider)
        for model, entry in (provider.get("models") or {}).items():
            if isinstance(entry, dict):
                states[f"{ident}/{model}"] = routing_state(entry)
    return states
