"""What `gates failover watch` remembers between probe rounds, and between `--once` runs.

`watch-<key>.json` beside `overrides.json` (`$XDG_STATE_HOME/spine-gates/`), one per live
config (`<key>`: 12 hex of the sha256 of its resolved path, the same key the watcher's lock
uses):

`{"version": 1, "live": PATH, "bad": {slot: {"route", "count", "since"}},
"healthy_since": {slot: T}, "confirmations": {route: {"at", "ok", "reason"}},
"changes": [T, ...], "cap_reported_until": T | null}`

- `bad`: consecutive rounds that found the slot's route in a trigger state (hysteresis before
  an apply);
- `healthy_since`: since when an overridden slot's replaced route has looked healthy (the hold
  before a revert);
- `confirmations`: the last 1-token completion per replaced route (at most one per
  `recovery_probe_interval`; it costs money);
- `changes`: when each route change of the last hour happened (the cap);
- `cap_reported_until`: the cap line is said once per capped window.

Written atomically (temp file, fsync, rename). A corrupted or wrong-shaped file is an InputError
(exit 3) naming the file and the fix; it is never written over.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError
from spine_gates.health.state import iso, parse_iso
from spine_gates.health.state_store import state_dir

VERSION = 1
HOUR = _dt.timedelta(hours=1)


def live_key(live: Path) -> str:
    """12 hex of the sha256 of the live config's resolved path: one watcher per live config."""
    return hashlib.sha256(str(live.resolve()).encode()).hexdigest()[:12]


def state_path(live: Path) -> Path:
    return state_dir() / f"watch-{live_key(live)}.json"


@dataclass
class Bad:
    route: str
    count: int
    since: _dt.datetime


@dataclass
class Confirmation:
    at: _dt.datetime
    ok: bool
    reason: str


@dataclass
class WatchState:
    live: str
    bad: dict[str, Bad] = field(default_factory=dict)
    healthy_since: dict[str, _dt.datetime] = field(default_factory=dict)
    confirmations: dict[str, Confirmation] = field(default_factory=dict)
    changes: list[_dt.datetime] = field(default_factory=list)
    cap_reported_until: _dt.datetime | None = None

    def recent_changes(self, now: _dt.datetime) -> list[_dt.datetime]:
        """The route changes of the hour before `now` (a clock set back keeps them all)."""
        return [t for t in self.changes if now - t < HOUR]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION, "live": self.live,
            "bad": {slot: {"route": b.route, "count": b.count, "since": iso(b.since)}
                    for slot, b in sorted(self.bad.items())},
            "healthy_since": {slot: iso(t) for slot, t in sorted(self.healthy_since.items())},
            "confirmations": {route: {"at": iso(c.at), "ok": c.ok, "reason": c.reason}
                              for route, c in sorted(self.confirmations.items())},
            "changes": [iso(t) for t in self.changes],
            "cap_reported_until": iso(self.cap_reported_until),
        }


def _bad(path: Path, what: str) -> InputError:
    return InputError(f"corrupted failover watch state: {what}; fix or remove the file "
                      "(removing it restarts the watcher's counts and change cap)", str(path))


def _time(value: Any, path: Path, where: str) -> _dt.datetime:
    moment = parse_iso(value) if isinstance(value, str) else None
    if moment is None:
        raise _bad(path, f"{where} is not an ISO-8601 time")
    return moment


def _mapping(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise _bad(path, f"{name} is not an object")
    return value


def _parse(data: Any, path: Path) -> WatchState:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise _bad(path, f'expected {{"version": {VERSION}, ...}}')
    state = WatchState(str(data.get("live", "")))
    for slot, raw in _mapping(data, "bad", path).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("route"), str) \
                or isinstance(raw.get("count"), bool) or not isinstance(raw.get("count"), int):
            raise _bad(path, f"bad.{slot} is not {{route, count, since}}")
        state.bad[slot] = Bad(raw["route"], raw["count"],
                              _time(raw.get("since"), path, f"bad.{slot}.since"))
    for slot, raw in _mapping(data, "healthy_since", path).items():
        state.healthy_since[slot] = _time(raw, path, f"healthy_since.{slot}")
    for route, raw in _mapping(data, "confirmations", path).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("ok"), bool) \
                or not isinstance(raw.get("reason"), str):
            raise _bad(path, f"confirmations.{route} is not {{at, ok, reason}}")
        state.confirmations[route] = Confirmation(
            _time(raw.get("at"), path, f"confirmations.{route}.at"), raw["ok"], raw["reason"])
    changes = data.get("changes", [])
    if not isinstance(changes, list):
        raise _bad(path, "changes is not a list")
    state.changes = [_time(t, path, f"changes[{i}]") for i, t in enumerate(changes)]
    reported = data.get("cap_reported_until")
    state.cap_reported_until = None if reported is None else _time(
        reported, path, "cap_reported_until")
    return state


def load(live: Path) -> WatchState:
    """The watcher's memory for this live config; a fresh one when there is none yet."""
    path = state_path(live)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return WatchState(str(live.resolve()))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the failover watch state: {exc}", str(path)) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad(path, f"not JSON ({exc})") from None
    return _parse(data, path)


def save(live: Path, state: WatchState, now: _dt.datetime) -> None:
    """Write it atomically, dropping changes older than an hour."""
    state.changes = state.recent_changes(now)
    path = state_path(live)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, json.dumps(state.to_json(), indent=2) + "\n", mode=0o600)
