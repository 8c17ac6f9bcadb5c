"""The override state file: which router slots are failed over, to what, until when.

`overrides.json` beside the health breaker store (`$XDG_STATE_HOME/spine-gates/`):
`{"version": 1, "overrides": [{"id", "slot", "route", "replaces", "created_at", "expires_at",
"reason", "evidence", "receipt"}]}`. The router module reads it on every request; this module
writes it (temp file, fsync, rename: the module sees the old file or the new one, never a torn
one) under an fcntl lock, so two `apply`/`revert` runs never lose each other's entries. A
corrupted or wrong-shaped file is an InputError (exit 3) naming the file, never a traceback.

The live config the override started from is copied to `pre-override/config.json` in the same
directory on the first override: the router's own backup rotation (three `config.json.*.bak`)
never reaches it.

With a shared state store (`state: {backend: redis}`), the team's document lives in Redis
(`<prefix>:overrides`, the same shape) and every edit is made under the team's lease lock
(`<prefix>:lock:overrides`) as well as the file lock. The file stays what this workstation's
router module reads: every edit writes it too, and `mirror` copies the team's document into it
(each watcher round and each failover command does, so another machine's change reaches this
router at this machine's next round).
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError
from spine_gates.failover.record import Override
from spine_gates.health.state import parse_iso
from spine_gates.health.state_store import state_dir
from spine_gates.model.schemas import CCR_SLOTS
from spine_gates.secrets.redact import redact_text

if TYPE_CHECKING:
    from spine_gates.failover.plan import Plan
    from spine_gates.health.state_redis import RedisState

FILE_NAME = "overrides.json"
LOCK_NAME = "overrides.lock"
PRE_OVERRIDE = Path("pre-override") / "config.json"
VERSION = 1
SHARED_KEY = "overrides"  # <prefix>:overrides in the team's Redis
LOCK_WAIT_S = 15.0  # an edit holds the lock for milliseconds; a wait this long means trouble
_FIELDS = ("id", "slot", "route", "replaces", "created_at", "expires_at", "reason", "evidence",
           "receipt")


def overrides_path() -> Path:
    return state_dir() / FILE_NAME


def _bad(path: Path | str, what: str) -> InputError:
    return InputError(f"corrupted failover state: {what}; fix or remove the file (removing it "
                      "ends every override)", str(path))


def _route(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    provider, sep, model = value.partition(",")
    return bool(sep and provider and model)


def _entry(raw: Any, index: int, path: Path | str) -> Override:
    if not isinstance(raw, dict):
        raise _bad(path, f"overrides[{index}] is not an object")
    missing = [name for name in _FIELDS if name not in raw]
    if missing:
        raise _bad(path, f"overrides[{index}] lacks {', '.join(missing)}")
    if not isinstance(raw["id"], str) or not raw["id"]:
        raise _bad(path, f"overrides[{index}].id is not a non-empty string")
    if raw["slot"] not in CCR_SLOTS:
        raise _bad(path, f"overrides[{index}].slot {raw['slot']!r} is not a router slot")
    for name in ("route", "replaces"):
        if not _route(raw[name]):
            raise _bad(path, f"overrides[{index}].{name} is not 'provider,model'")
    times = {}
    for name in ("created_at", "expires_at"):
        value = raw[name]
        moment = parse_iso(value) if isinstance(value, str) else None
        if moment is None:
            raise _bad(path, f"overrides[{index}].{name} is not an ISO-8601 time")
        times[name] = moment
    if not isinstance(raw["reason"], str):
        raise _bad(path, f"overrides[{index}].reason is not a string")
    if raw["receipt"] is not None and not isinstance(raw["receipt"], str):
        raise _bad(path, f"overrides[{index}].receipt is neither null nor a digest")
    return Override(raw["id"], raw["slot"], raw["route"], raw["replaces"], times["created_at"],
                    times["expires_at"], raw["reason"], raw["evidence"], raw["receipt"])


def read(path: Path | None = None) -> list[Override]:
    """Every recorded override, expired ones included (drift reports those); none when the
    file does not exist."""
    path = path or overrides_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the failover state: {exc}", str(path)) from None
    return parse(text, path)


def parse(text: str, path: Path | str) -> list[Override]:
    """The entries of one override document (`path` names where it came from)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _bad(path, f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION \
            or not isinstance(data.get("overrides"), list):
        raise _bad(path, f'expected {{"version": {VERSION}, "overrides": [...]}}')
    entries = [_entry(raw, i, path) for i, raw in enumerate(data["overrides"])]
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise _bad(path, "two overrides share an id")
    return entries


def render(entries: Iterable[Override]) -> str:
    return json.dumps({"version": VERSION, "overrides": [e.to_json() for e in entries]},
                      indent=2, sort_keys=False) + "\n"


def _unwritable(exc: OSError, path: Path) -> InputError:
    """A write the file system refused (read-only folder, full disk): bad input, exit 3; the
    atomic write left the old file in place."""
    return InputError(f"cannot write the failover state ({exc.strerror or exc}); nothing was "
                      "changed: make the folder writable (or set XDG_STATE_HOME)", str(path))


def _write(entries: list[Override], path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # 0644: the router (possibly another user's service) only needs to read it
        write_atomic(path, render(entries), mode=0o644)
    except OSError as exc:
        raise _unwritable(exc, path) from None


@contextmanager
def locked(directory: Path | None = None) -> Iterator[Path]:
    """Hold the failover lock (one writer across processes); yields the state directory."""
    directory = directory or state_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InputError(f"cannot lock the failover state: {exc}", str(directory)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield directory
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def shared_label(shared: RedisState) -> str:
    """Where the team's document lives, for messages (no password: the URL carries none)."""
    return f"{shared.config.url} {shared.key(SHARED_KEY)}"


def read_shared(shared: RedisState) -> list[Override]:
    """The team's overrides; none when nothing was ever recorded."""
    text = shared.get(SHARED_KEY)
    return [] if text is None else parse(text, shared_label(shared))


def mirror(shared: RedisState) -> list[Override]:
    """Copy the team's overrides into this machine's file (what its router module reads);
    returns them. Writes only when the file differs."""
    with locked() as directory:
        path = directory / FILE_NAME
        entries = read_shared(shared)
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except (OSError, UnicodeDecodeError):
            current = ""  # unreadable: the team's copy replaces it
        if current != render(entries) and (entries or current is not None):
            _write(entries, path)
        if not entries:
            (directory / PRE_OVERRIDE).unlink(missing_ok=True)
    return entries


@dataclass
class _Edit:
    """One locked read-modify-write: the entries on record and how to write them back."""

    directory: Path
    entries: list[Override]
    local: list[Override]  # what this machine's file held (its router's view)
    write: Callable[[list[Override]], None]


@contextmanager
def _editing(shared: RedisState | None) -> Iterator[_Edit]:
    """The file lock; with a shared store also the team's lease, its document as the truth,
    and every write going to both."""
    with locked() as directory:
        path = directory / FILE_NAME
        local = read(path) if shared is None else _readable_or_empty(path)
        if shared is None:
            yield _Edit(directory, local, local, lambda entries: _write(entries, path))
            return
        with shared.lease(SHARED_KEY, LOCK_WAIT_S):
            def write(entries: list[Override]) -> None:
                shared.set(SHARED_KEY, render(entries))
                _write(entries, path)

            yield _Edit(directory, read_shared(shared), local, write)


def _readable_or_empty(path: Path) -> list[Override]:
    """The local mirror's entries; a corrupted mirror counts as none (the team's copy is the
    truth and is written over it)."""
    try:
        return read(path)
    except InputError:
        return []


def active(now: _dt.datetime, path: Path | None = None) -> list[Override]:
    """The overrides in force at `now`."""
    return [entry for entry in read(path) if entry.active(now)]


def new_id(slot: str, route: str, created_at: _dt.datetime) -> str:
    digest = hashlib.sha256(f"{slot}\0{route}\0{created_at.isoformat()}".encode()).hexdigest()
    return f"fo-{digest[:10]}"


def apply(plan: Plan, ttl: _dt.timedelta, now: _dt.datetime, *,
          max_ttl: _dt.timedelta | None = None, live_path: Path | None = None,
          receipt: str | None = None, shared: RedisState | None = None) -> list[Override]:
    """Record the plan's changes as overrides living `ttl` from `now`; returns the new entries.

    An active override of the same slot is replaced; expired ones stay on record until
    `revert` (drift reports them). The live config's bytes are copied to `pre-override/` when no
    override was in force (so the copy is the config before the first of them). A kill at any
    point leaves the old file or the new one.
    """
    if ttl <= _dt.timedelta(0):
        raise InputError("an override's TTL must be longer than 0 s", "--ttl")
    if max_ttl is not None and ttl > max_ttl:
        raise InputError(f"the TTL ({ttl}) is longer than failover.max_ttl ({max_ttl})", "--ttl")
    with _editing(shared) as edit:
        entries = edit.entries
        if live_path is not None and not any(e.active(now) for e in edit.local):
            _keep_pre_override(live_path, edit.directory / PRE_OVERRIDE)
        slots = {change.slot for change in plan.changes}
        kept = [e for e in entries if not (e.slot in slots and e.active(now))]
        added = [Override(new_id(c.slot, c.route, now), c.slot, c.route, c.replaces, now,
                          now + ttl, redact_text(c.reason),
                          json.loads(redact_text(json.dumps(c.evidence))), receipt)
                 for c in plan.changes]
        edit.write(kept + added)
    return added


def _keep_pre_override(live_path: Path, target: Path) -> None:
    try:
        data = live_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the live config to keep a copy: {exc}",
                         str(live_path)) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(target, data, mode=0o600)  # it may hold keys the user pasted in
    except OSError as exc:
        raise _unwritable(exc, target) from None


def revert(ids: Iterable[str] | None, now: _dt.datetime,
           shared: RedisState | None = None) -> list[Override]:
    """Remove the named overrides (None: all, expired ones included); returns what was
    removed. An unknown id is exit 3 and nothing is removed. With no override left, the
    pre-override copy is removed too (the live config never changed under the module)."""
    wanted = None if ids is None else list(dict.fromkeys(ids))
    with _editing(shared) as edit:
        entries = edit.entries
        where = shared_label(shared) if shared is not None else str(edit.directory / FILE_NAME)
        if wanted is None:
            removed, kept = entries, []
        else:
            known = {e.id for e in entries}
            unknown = [i for i in wanted if i not in known]
            if unknown:
                raise InputError(f"no override with id {unknown[0]!r} (recorded: "
                                 f"{', '.join(sorted(known)) or 'none'})", where)
            removed = [e for e in entries if e.id in wanted]
            kept = [e for e in entries if e.id not in wanted]
        if removed or (edit.directory / FILE_NAME).exists():
            edit.write(kept)
        if not kept:
            (edit.directory / PRE_OVERRIDE).unlink(missing_ok=True)
    return removed


def set_receipt(ids: Iterable[str], digest: str, shared: RedisState | None = None) -> None:
    """Name the receipt that signed these overrides (written after signing)."""
    wanted = set(ids)
    with _editing(shared) as edit:
        updated = [Override(e.id, e.slot, e.route, e.replaces, e.created_at, e.expires_at,
                            e.reason, e.evidence, digest) if e.id in wanted else e
                   for e in edit.entries]
        edit.write(updated)
