"""`gates sync --target litellm`: write the compiled gateway config, as safely as the router's.

Atomic (temp file, fsync, rename), a timestamped backup (three kept), declared local differences
kept, a refusal if the file changed since it was read, and the sync stamp beside it that tells
pending from drift. The running proxy reads the file only at start: sync says to restart it.
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spine_gates.atomic import write_atomic
from spine_gates.drift.ignore import IgnoreRule
from spine_gates.drift.run import active_rule
from spine_gates.drift.stamp import write_stamp
from spine_gates.drift.sync import MAX_BACKUPS, SyncPlan, SyncResult, backup_name
from spine_gates.drift.sync import _lock as sync_lock
from spine_gates.drift.sync import _prune_backups as prune_backups
from spine_gates.errors import InputError
from spine_gates.litellm.compare import differences, keyed, set_at, unkeyed, value_at
from spine_gates.litellm.compile import render_config
from spine_gates.litellm.live import LitellmFile


@dataclass(frozen=True)
class GatewaySyncPlan(SyncPlan):
    """A sync plan whose `before` is a YAML file (the router's plan holds a JSON one)."""

    before_raw: bytes | None = None

    @property
    def unchanged(self) -> bool:
        return self.before_raw is not None and self.before_raw == self.text.encode("utf-8")


def plan_sync(compiled: dict[str, Any], live: LitellmFile | None, diffs: Sequence[Any],
              path: Path, rules: Sequence[IgnoreRule], profile: str,
              today: _dt.date) -> GatewaySyncPlan:
    """The compiled config plus the live values at ignored keyed pointers."""
    config = keyed(copy.deepcopy(compiled)).data
    kept = []
    if live is not None:
        live_keyed = keyed(live.data).data
        for diff in diffs:
            rule = active_rule(tuple(rules), diff.unit, today)
            if rule is not None:
                set_at(config, diff.unit, copy.deepcopy(value_at(live_keyed, diff.unit)))
                kept.append((diff.unit, rule))
    written = unkeyed(config)
    text = render_config(written)
    changes = differences(live.data, written, None) if live is not None else []
    target = path.resolve() if path.is_symlink() else path
    return GatewaySyncPlan(target, path, str(path), None, compiled, written, text, tuple(changes),
                           tuple(kept), profile,
                           before_raw=live.raw if live is not None else None)


def refuse_inside_spine(path: Path, name: str, root: Path) -> None:
    """The gateway config is never one of the SSOT's own files (also not through a link)."""
    try:
        target = path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        raise InputError("is a symlink loop", name) from None
    spine = root.resolve()
    if target == spine or target.is_relative_to(spine):
        raise InputError(f"resolves to {target}, inside the spine root {spine}; the gateway "
                         "config is not one of the SSOT's files; nothing written", name)


def apply_sync(plan: SyncPlan, root: str) -> SyncResult:
    if not isinstance(plan, GatewaySyncPlan):
        raise TypeError("not a LiteLLM sync plan")
    try:
        return _apply(plan, root)
    except OSError as exc:
        raise InputError(f"cannot write the gateway config's folder ({exc.strerror or exc}); the "
                         "config was not replaced", str(exc.filename or plan.path.parent)) from None


def _apply(plan: GatewaySyncPlan, root: str) -> SyncResult:
    refuse_inside_spine(plan.path, plan.name, Path(root))
    directory = plan.path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with sync_lock(directory, plan.path.name):
        current = plan.path.read_bytes() if plan.path.exists() else None
        if current != plan.before_raw:
            raise InputError("changed since it was read; nothing written (run `gates sync "
                             "--target litellm` again to sync the new content)", plan.name)
        payload = plan.text.encode("utf-8")
        yaml.safe_load(payload)  # never write what LiteLLM could not load
        backup: Path | None = None
        removed: list[Path] = []
        if current is not None and current != payload:
            removed = prune_backups(directory, plan.path.name, MAX_BACKUPS - 1)
            backup = directory / backup_name(plan.path.name, _dt.datetime.now(_dt.UTC))
            write_atomic(backup, current, mode=0o600)
        wrote = current != payload
        if wrote:
            write_atomic(plan.path, payload, mode=0o600)
        write_stamp(plan.origin, plan.compiled, payload, plan.profile, root)
    return SyncResult(wrote, backup, tuple(removed))
