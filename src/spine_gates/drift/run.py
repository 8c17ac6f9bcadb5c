"""One drift comparison's result as sync and adopt use it, and the ignore rule that covers a unit.

Kept below `drift/check.py` (which reads the gate table) and the proxy targets (which build a
run for sync): both import it, and it imports neither.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.drift.compare import Difference
from spine_gates.drift.ignore import IgnoreRule
from spine_gates.drift.keyed import keyed_pointer


@dataclass(frozen=True)
class DriftRun:
    live: LiveConfig
    profile: CcrProfile
    compiled: dict[str, Any]
    stamp: dict[str, Any] | None
    differences: tuple[Difference, ...]
    rules: tuple[IgnoreRule, ...]


def active_rule(rules: tuple[IgnoreRule, ...] | list[IgnoreRule], unit: tuple[str, ...],
                today: _dt.date) -> IgnoreRule | None:
    """The first unexpired ignore rule matching `unit`, or None."""
    pointer = keyed_pointer(unit)
    for rule in rules:
        if not rule.expired(today) and rule.matches(pointer):
            return rule
    return None
