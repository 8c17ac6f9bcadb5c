"""LiteLLM as a proxy target: a team gateway's `config.yaml`, and the running proxy itself.

Compile, read, compare and sync delegate to the `litellm/` package; the drift gate also reads
the running proxy (`--live-url`), which is the truth when the file was edited under it or a
deployment was added through its API.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from spine_gates.drift.ignore import IgnoreRule
from spine_gates.drift.stamp import read_stamp, synced_config
from spine_gates.drift.sync import SyncPlan, SyncResult
from spine_gates.litellm import live as gateway_live
from spine_gates.litellm.compare import (
    differences,
    file_pointer,
    runtime_live,
    runtime_view,
)
from spine_gates.litellm.compile import compile_litellm_config, render_config
from spine_gates.litellm.sync import apply_sync, plan_sync
from spine_gates.model.governance import GovernanceModel
from spine_gates.targets.interface import Comparison, Compiled, LiveView, Reload, TargetError

PROFILE = "1.108"  # the reviewed, hash-locked LiteLLM release (requirements/litellm.lock)


class LitellmTarget:
    name = "litellm"
    title = "LiteLLM"
    default_live = gateway_live.DEFAULT_LIVE

    def compile(self, model: GovernanceModel, profile: str | None = None, *,
                fallback_profile: str | None = None, live_path: Path | None = None) -> Compiled:
        if profile not in (None, PROFILE):
            raise TargetError(f"--profile {profile} is a claude-code-router version; the litellm "
                              f"target has one profile, {PROFILE}")
        data = compile_litellm_config(model)
        return Compiled(self.name, PROFILE, data, render_config(data))

    def live_path(self, option: str | None) -> tuple[Path, bool]:
        return gateway_live.live_path(option)

    def read_live(self, path: Path, *, required: bool) -> LiveView | None:
        if not required and not path.exists():
            return None
        return gateway_live.read_file(path)

    def read_runtime(self, url: str) -> LiveView:
        return gateway_live.read_runtime(url)

    def compare(self, compiled: Compiled, live: LiveView) -> Comparison:
        if isinstance(live, gateway_live.LitellmRuntime):
            # what the running proxy shows; a sync stamp speaks of the file, not of the process
            ssot = runtime_view(compiled.data, live.data)
            found = differences(runtime_live(live.data, compiled.data), ssot, None)
            stamp = None
        else:
            stamp = read_stamp(live.path)
            found = differences(live.data, compiled.data, synced_config(stamp, compiled.profile))
        pointers = {d.unit: file_pointer(d.unit, live.data) for d in found}
        return Comparison(compiled, live, tuple(found), pointers, stamp)

    def plan_sync(self, compiled: Compiled, comparison: Comparison | None, path: Path,
                  rules: Sequence[IgnoreRule], today: _dt.date) -> SyncPlan:
        live = comparison.live if comparison is not None else None
        if live is not None and not isinstance(live, gateway_live.LitellmFile):
            raise TypeError(f"{live.name} was not read by the LiteLLM target")
        diffs = comparison.differences if comparison is not None else ()
        return plan_sync(compiled.data, live, diffs, path, rules, compiled.profile, today)

    def apply_sync(self, plan: SyncPlan, root: str) -> SyncResult:
        return apply_sync(plan, root)

    def reload(self, path: Path) -> Reload:
        # The proxy reads config.yaml only at start; every instance behind the balancer restarts.
        return Reload(("litellm", "--config", str(path)),
                      f"restart every LiteLLM instance to load it (litellm --config {path})")
