"""The proxy-target axis: what a routing proxy must offer for the SSOT to govern it.

A target compiles the registries into its config, reads the live config, compares the two (the
drift verdicts), syncs the compiled config safely, and says how the running proxy picks it up.
claude-code-router is the first implementation; a LiteLLM gateway is one more module and one line
in the table in `targets/__init__.py`. Implementations import this module, never each other.

Kept import-light (the CLI reads the table's names on every start): drift and model types are
imported for type checking only.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from spine_gates.errors import InputError

if TYPE_CHECKING:
    from spine_gates.drift.compare import Difference, DriftVerdict
    from spine_gates.drift.ignore import IgnoreRule
    from spine_gates.drift.sync import SyncPlan, SyncResult
    from spine_gates.model.governance import GovernanceModel


class TargetError(InputError):
    """A proxy target cannot do what was asked (exit 3, one line)."""


class UnknownTarget(TargetError):
    """`--target NAME` names no implementation in the table."""


class LiveView(Protocol):
    """A parsed live config: its bytes (for the changed-since-read check), data and lines."""

    @property
    def path(self) -> Path: ...

    @property
    def name(self) -> str: ...

    @property
    def raw(self) -> bytes: ...

    @property
    def data(self) -> dict[str, Any]: ...

    def line(self, pointer: str) -> int | None: ...


@dataclass(frozen=True)
class Compiled:
    """What the SSOT compiles to for one target and version profile: data and the exact bytes."""

    target: str
    profile: str
    data: dict[str, Any]
    text: str


@dataclass(frozen=True)
class Comparison:
    """Live vs compiled, each difference classified (pending or drift) and located in the file."""

    compiled: Compiled
    live: LiveView
    differences: tuple[Difference, ...]
    # keyed unit -> JSON pointer into the live file (its line comes from `live.line`)
    pointers: dict[tuple[str, ...], str]
    # what the last sync wrote (its `synced_at`, `compiled`), or None
    stamp: dict[str, Any] | None

    @property
    def verdict(self) -> DriftVerdict:
        """in_sync, pending or drift, before any ignore rule is applied."""
        from spine_gates.drift.compare import overall  # kept off the CLI's --target choices

        return overall(list(self.differences))

    def pointer(self, difference: Difference) -> str:
        return self.pointers[difference.unit]


@dataclass(frozen=True)
class Reload:
    """How the running proxy picks up a synced file."""

    command: tuple[str, ...]
    sentence: str  # the closing hint of `gates sync`'s report


class ProxyTarget(Protocol):
    """One proxy the SSOT can be deployed to (`--target NAME`)."""

    @property
    def name(self) -> str:
        """The name used on the command line (`--target ccr`)."""

    @property
    def title(self) -> str:
        """The proxy's own name, for sentences (`claude-code-router`)."""

    @property
    def default_live(self) -> str:
        """Where the live config is when `--live` is not given (`~` not yet expanded)."""

    def compile(self, model: GovernanceModel, profile: str | None = None, *,
                fallback_profile: str | None = None, live_path: Path | None = None) -> Compiled:
        """The config the SSOT implies: `profile` (`--profile`), else the spine's setting,
        else `fallback_profile` (a gate's), else the target's default. `live_path` is where it
        is deployed (`--live`): a setting may name a file beside it (the failover module)."""

    def live_path(self, option: str | None) -> tuple[Path, bool]:
        """The live config path and whether the user named it (`--live`)."""

    def read_live(self, path: Path, *, required: bool) -> LiveView | None:
        """The parsed live config; None when nothing is there and `required` is false."""

    def read_runtime(self, url: str) -> LiveView:
        """The running proxy's state through its endpoints (`--live-url`), shaped like its
        config; a target whose proxy has none raises TargetError."""

    def compare(self, compiled: Compiled, live: LiveView) -> Comparison:
        """Every keyed difference, pending where the live value is what the last sync wrote."""

    def plan_sync(self, compiled: Compiled, comparison: Comparison | None, path: Path,
                  rules: Sequence[IgnoreRule], today: _dt.date) -> SyncPlan:
        """What sync would write to `path` (live values kept at ignored pointers)."""

    def apply_sync(self, plan: SyncPlan, root: str) -> SyncResult:
        """Write the plan: atomic, backed up, stamped; refused if the file changed since read."""

    def reload(self, path: Path) -> Reload:
        """How the proxy reading `path` loads what sync wrote."""
