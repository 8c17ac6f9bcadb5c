"""Failovers on the audit's timeline: one row per override, from the verified failover receipts.

A failover receipt (`failover/receipt.py`, predicate `failover/v1`) records one action and the
overrides it touched; a person reads episodes: when an override began, why (its trigger state
and reason), how long it lasted and who started and ended it. An override ends at the first of:
a revert (a `revert` receipt naming it, or an `apply` after which its slot no longer routes to
it: apply also removes overrides whose primary serves again), a later apply of the same slot
that replaces it (the watcher's renewal), or its expiry. Who acted is the receipt's `actor`
(`user@host`, or `watcher:<host>:<pid>`); receipts signed before it was recorded say "unknown".

Row shape: `{"id", "slot", "route", "replaces", "applied": {"time", "actor", "runKey"},
"trigger", "reason", "expires_at", "ended": {"how": "reverted" | "replaced" | "expired" |
"active", "time", "actor", "runKey", "by_override"? , "cleared"?}, "duration_s"}`; `cleared`
is the revert that removed an already expired override from the record.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

UNKNOWN = "unknown"


def _moment(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


def _actor(predicate: Mapping[str, Any]) -> str:
    actor = predicate.get("actor")
    return actor if isinstance(actor, str) and actor else UNKNOWN


def _event(predicate: Mapping[str, Any]) -> dict[str, Any]:
    return {"time": predicate.get("time"), "actor": _actor(predicate),
            "runKey": predicate.get("runKey")}


def _trigger(override: Mapping[str, Any]) -> str | None:
    evidence = override.get("evidence")
    state = evidence.get("state") if isinstance(evidence, dict) else None
    return state if isinstance(state, str) else None


def _open(row: dict[str, Any], at: _dt.datetime | None) -> bool:
    """Not ended yet, and still in force at `at` (a replacement after expiry ends nothing)."""
    expires = _moment(row["expires_at"])
    return row["ended"] is None and (at is None or expires is None or at < expires)


def failovers(predicates: Iterable[Mapping[str, Any]], now: _dt.datetime) -> list[dict[str, Any]]:
    """Episodes from the failover chain's predicates, in chain order (see the module doc)."""
    rows: dict[str, dict[str, Any]] = {}
    for predicate in predicates:
        action = predicate.get("action")
        at = _moment(predicate.get("time"))
        routes = predicate.get("routes")
        after = routes.get("after") if isinstance(routes, dict) else None
        after = after if isinstance(after, dict) else {}
        for override in predicate.get("overrides") or []:
            if not isinstance(override, dict) or not isinstance(override.get("id"), str):
                continue
            ident, slot = override["id"], override.get("slot")
            in_force = action == "apply" and after.get(slot) == override.get("route")
            if ident not in rows:
                if in_force:
                    for other in rows.values():
                        if other["slot"] == slot and _open(other, at):
                            other["ended"] = {"how": "replaced", **_event(predicate),
                                              "by_override": ident}
                rows[ident] = {
                    "id": ident, "slot": slot, "route": override.get("route"),
                    "replaces": override.get("replaces"),
                    "applied": {"time": override.get("created_at") or predicate.get("time"),
                                "actor": _actor(predicate) if in_force else UNKNOWN,
                                "runKey": predicate.get("runKey") if in_force else None},
                    "trigger": _trigger(override), "reason": override.get("reason"),
                    "expires_at": override.get("expires_at"), "ended": None}
            row = rows[ident]
            if action == "revert" or (action == "apply" and not in_force):
                if _open(row, at):
                    row["ended"] = {"how": "reverted", **_event(predicate)}
                elif row["ended"] is None or row["ended"]["how"] == "expired":
                    row["ended"] = {**_expired(row), "cleared": _event(predicate)}
    return [_finish(row, now) for row in rows.values()]


def _expired(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"how": "expired", "time": row["expires_at"], "actor": None, "runKey": None}


def _finish(row: dict[str, Any], now: _dt.datetime) -> dict[str, Any]:
    if row["ended"] is None:
        expires = _moment(row["expires_at"])
        row["ended"] = _expired(row) if expires is not None and now >= expires else {
            "how": "active", "time": None, "actor": None, "runKey": None}
    start, end = _moment(row["applied"]["time"]), _moment(row["ended"]["time"])
    row["duration_s"] = int((end - start).total_seconds()) if start and end else None
    return row


def lasted(seconds: int | None) -> str:
    """`20m`, `1h05m`, `45s`; `-` while still in force."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m" + (f"{seconds % 60:02d}s" if seconds % 60 else "")
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def describe_end(ended: Mapping[str, Any], expires_at: Any) -> str:
    how = ended.get("how")
    if how == "reverted":
        return f"reverted {ended['time']} by {ended['actor']}"
    if how == "replaced":
        return f"replaced by {ended.get('by_override')} {ended['time']} by {ended['actor']}"
    if how == "expired":
        cleared = ended.get("cleared")
        tail = f"; cleared {cleared['time']} by {cleared['actor']}" if cleared else ""
        return f"expired {ended['time']}{tail}"
    return f"active until {expires_at}"


def table_rows(rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """The markdown and HTML views' cells: override, slot, change, applied, why, ended, lasted."""
    return [[r["id"], r["slot"], f"{r['replaces']} -> {r['route']}",
             f"{r['applied']['time']} by {r['applied']['actor']}",
             f"{r['trigger'] or '?'}: {r['reason']}", describe_end(r["ended"], r["expires_at"]),
             lasted(r["duration_s"])] for r in rows]


HEADERS = ["override", "slot", "change", "applied", "why", "ended", "lasted"]
