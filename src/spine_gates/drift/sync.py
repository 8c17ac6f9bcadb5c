"""`gates sync`: write the compiled SSOT to the live config, safely.

Safe means: atomic (temp file, fsync, rename: a reader or a kill sees the old or the new file,
never a part), a timestamped backup like the router's own (`config.json.<ISO>.bak`, at most
three), declared local overrides kept, and a refusal if the file changed since it was read.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.atomic import write_atomic
from spine_gates.ccr.compile import render_config
from spine_gates.ccr.live import LiveConfig, check_home, parse_config
from spine_gates.drift.compare import Difference, compare
from spine_gates.drift.ignore import IgnoreRule
from spine_gates.drift.keyed import MISSING
from spine_gates.drift.run import DriftRun, active_rule
from spine_gates.drift.stamp import write_stamp
from spine_gates.errors import InputError

MAX_BACKUPS = 3


@dataclass(frozen=True)
class SyncPlan:
    path: Path  # the file to replace (a symlink inside the home is written through)
    origin: Path  # the path as named; the sync stamp lives next to it
    name: str
    before: LiveConfig | None
    compiled: dict[str, Any]
    config: dict[str, Any]
    text: str
    changes: tuple[Difference, ...]
    kept: tuple[tuple[tuple[str, ...], IgnoreRule], ...]
    profile: str

    @property
    def unchanged(self) -> bool:
        return self.before is not None and self.before.raw == self.text.encode("utf-8")


@dataclass(frozen=True)
class SyncResult:
    wrote: bool
    backup: Path | None
    removed_backups: tuple[Path, ...]


def _raw_get(config: dict[str, Any], unit: tuple[str, ...]) -> Any:
    if unit[0] == "Providers" and len(unit) > 1:
        providers = config.get("Providers")
        for provider in providers if isinstance(providers, list) else []:
            if isinstance(provider, dict) and provider.get("name") == unit[1]:
                node: Any = provider
                break
        else:
            return MISSING
        rest = unit[2:]
    else:
        node, rest = config, unit
    for token in rest:
        if isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return MISSING
    return node


def _raw_set(config: dict[str, Any], unit: tuple[str, ...], value: Any) -> None:
    """Put the live value at `unit` into the config to write (or remove it if live has none)."""
    if unit[0] == "Providers" and len(unit) > 1:
        providers = config.setdefault("Providers", [])
        index = next((i for i, p in enumerate(providers)
                      if isinstance(p, dict) and p.get("name") == unit[1]), None)
        if len(unit) == 2:
            if value is MISSING:
                if index is not None:
                    providers.pop(index)
            elif index is None:
                providers.append(value)
            else:
                providers[index] = value
            return
        if index is None:
            return
        node: Any = providers[index]
        rest = unit[2:]
    else:
        node, rest = config, unit
    for token in rest[:-1]:
        if not isinstance(node.get(token), dict):
            if value is MISSING:
                return
            node[token] = {}
        node = node[token]
    if value is MISSING:
        node.pop(rest[-1], None)
    else:
        node[rest[-1]] = value


def plan_sync(run: DriftRun | None, compiled: dict[str, Any], path: Path, name: str,
              profile: str, today: _dt.date) -> SyncPlan:
    """What sync would write: the compiled config plus the live values of ignored pointers."""
    import copy

    config = copy.deepcopy(compiled)
    kept: list[tuple[tuple[str, ...], IgnoreRule]] = []
    before = run.live if run is not None else None
    if run is not None:
        for diff in run.differences:
            rule = active_rule(run.rules, diff.unit, today)
            if rule is not None:
                _raw_set(config, diff.unit, copy.deepcopy(_raw_get(run.live.data, diff.unit)))
                kept.append((diff.unit, rule))
    text = render_config(config)
    changes = compare(before.data, config, None) if before is not None else []
    target = path.resolve() if path.is_symlink() else path
    return SyncPlan(target, path, name, before, compiled, config, text, tuple(changes), tuple(kept),
                    profile)


@contextmanager
def _lock(directory: Path, name: str) -> Iterator[None]:
    """One sync at a time per config (a second one is refused, not queued)."""
    handle = os.open(directory / f".{name}.spine-gates.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another `gates sync` is writing this config; try again",
                             str(directory / name)) from None
        yield
    finally:
        os.close(handle)


def backup_name(name: str, now: _dt.datetime) -> str:
    """`config.json.2026-11-25T18:09:09.481Z.bak`, the router's own backup naming."""
    stamp = now.astimezone(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{name}.{stamp}.bak"


def _prune_backups(directory: Path, name: str, keep: int) -> list[Path]:
    backups = sorted(directory.glob(f"{name}.*.bak"))
    removed = backups[:-keep] if len(backups) > keep else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _clean_temp_files(directory: Path, name: str) -> None:
    """Temp files a killed sync left behind (write_atomic's `.<name>.*.tmp`)."""
    for leftover in directory.glob(f".{name}.*.tmp"):
        leftover.unlink(missing_ok=True)


def apply_sync(plan: SyncPlan, root: str) -> SyncResult:
    """Back up, then replace the live config atomically; refuse if it changed since read. A
    write the file system refuses (a read-only folder) is bad input, exit 3: the config is
    replaced by rename, so it is the old one or the new one."""
    try:
        return _apply_sync(plan, root)
    except OSError as exc:
        where = exc.filename or plan.path.parent
        raise InputError(f"cannot write the live config's folder ({exc.strerror or exc}); the "
                         "config was not replaced", str(where)) from None


def _apply_sync(plan: SyncPlan, root: str) -> SyncResult:
    directory = plan.path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _lock(directory, plan.path.name):
        _clean_temp_files(directory, plan.path.name)
        check_home(plan.path, plan.name)
        current = plan.path.read_bytes() if plan.path.exists() else None
        before = plan.before.raw if plan.before is not None else None
        if current != before:
            raise InputError("changed since it was read; nothing written (run `gates sync` "
                             "again to sync the new content)", plan.name)
        payload = plan.text.encode("utf-8")
        parse_config(payload, plan.name)  # never write what the router could not load
        backup: Path | None = None
        removed: list[Path] = []
        if current is not None and current != payload:
            # prune first: a sync killed between the two steps leaves fewer backups, never more
            removed = _prune_backups(directory, plan.path.name, MAX_BACKUPS - 1)
            backup = directory / backup_name(plan.path.name, _dt.datetime.now(_dt.UTC))
            write_atomic(backup, current, mode=0o600)
        wrote = current != payload
        if wrote:
            write_atomic(plan.path, payload, mode=0o600)
        write_stamp(plan.origin, plan.compiled, payload, plan.profile, root)
    return SyncResult(wrote, backup, tuple(removed))

