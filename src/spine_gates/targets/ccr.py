"""claude-code-router as a proxy target: `config.json` under `~/.claude-code-router/`.

Every step delegates to the modules that own it (ccr/compile, ccr/live, drift/compare,
drift/sync); this module only gives them the target's shape.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from spine_gates.ccr.compile import compile_ccr_config, profile_for, render_config
from spine_gates.ccr.live import DEFAULT_LIVE, LiveConfig, is_missing, live_path, read_live_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.drift.compare import compare
from spine_gates.drift.ignore import IgnoreRule
from spine_gates.drift.keyed import file_pointer, provider_indexes
from spine_gates.drift.run import DriftRun
from spine_gates.drift.stamp import read_stamp, synced_config
from spine_gates.drift.sync import SyncPlan, SyncResult, apply_sync, plan_sync
from spine_gates.model.governance import GovernanceModel
from spine_gates.targets.interface import (
    Comparison,
    Compiled,
    LiveView,
    Reload,
    TargetError,
)


class CcrTarget:
    name = "ccr"
    title = "claude-code-router"
    default_live = DEFAULT_LIVE

    def compile(self, model: GovernanceModel, profile: str | None = None, *,
                fallback_profile: str | None = None, live_path: Path | None = None) -> Compiled:
        chosen = profile_for(profile, model, fallback_profile)
        data = compile_ccr_config(model, chosen, live_path=live_path)
        return Compiled(self.name, chosen.name, data, render_config(data))

    def live_path(self, option: str | None) -> tuple[Path, bool]:
        return live_path(option)

    def read_live(self, path: Path, *, required: bool) -> LiveConfig | None:
        if not required and is_missing(path):
            return None
        return read_live_config(path)

    def read_runtime(self, url: str) -> LiveView:
        # The router serves its config file; `--live` reads the same thing.
        raise TargetError("--live-url: claude-code-router has no runtime to read beyond its "
                          "config file (use --live PATH); it is for --target litellm")

    def compare(self, compiled: Compiled, live: LiveView) -> Comparison:
        stamp = read_stamp(live.path)
        differences = compare(live.data, compiled.data, synced_config(stamp, compiled.profile))
        indexes = provider_indexes(live.data)
        pointers = {diff.unit: file_pointer(diff.unit, indexes) for diff in differences}
        return Comparison(compiled, live, tuple(differences), pointers, stamp)

    def plan_sync(self, compiled: Compiled, comparison: Comparison | None, path: Path,
                  rules: Sequence[IgnoreRule], today: _dt.date) -> SyncPlan:
        run = None
        if comparison is not None:
            run = DriftRun(_router_config(comparison.live), get_profile(compiled.profile),
                           compiled.data, comparison.stamp, comparison.differences, tuple(rules))
        return plan_sync(run, compiled.data, path, str(path), compiled.profile, today)

    def apply_sync(self, plan: SyncPlan, root: str) -> SyncResult:
        return apply_sync(plan, root)

    def reload(self, path: Path) -> Reload:
        # The router reads its config only at start; `ccr restart` is the reload.
        return Reload(("ccr", "restart"), "restart the router to load it: ccr restart")


def _router_config(live: LiveView) -> LiveConfig:
    # Only this target's read_live makes a comparison's live config; anything else is a bug.
    if not isinstance(live, LiveConfig):
        raise TypeError(f"{live.name} was not read by the claude-code-router target")
    return live
