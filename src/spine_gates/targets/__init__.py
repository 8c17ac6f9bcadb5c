"""Proxy targets, looked up by name (`--target ccr`): one literal table, read by the commands.

Each entry imports its implementation only when asked for, so listing the names (the CLI's
`--target` choices) stays off the heavy imports of compile, drift and sync.
"""

from __future__ import annotations

from collections.abc import Callable

from spine_gates.targets.interface import ProxyTarget, TargetError, UnknownTarget


def _ccr() -> ProxyTarget:
    from spine_gates.targets.ccr import CcrTarget  # compile, drift, sync: only when asked

    return CcrTarget()


def _litellm() -> ProxyTarget:
    from spine_gates.targets.litellm import LitellmTarget

    return LitellmTarget()


TARGETS: dict[str, Callable[[], ProxyTarget]] = {"ccr": _ccr, "litellm": _litellm}
DEFAULT_TARGET = "ccr"


def get_target(name: str | None) -> ProxyTarget:
    """The target called `name` (default ccr)."""
    key = name or DEFAULT_TARGET
    if key not in TARGETS:
        raise UnknownTarget(f"unknown proxy target {key!r} (known: {', '.join(TARGETS)})")
    return TARGETS[key]()


__all__ = ["DEFAULT_TARGET", "TARGETS", "ProxyTarget", "TargetError", "UnknownTarget",
           "get_target"]
