"""Failover overrides as drift sees them: the `overridden` verdict and what is drift about them.

An override (failover/overrides.py) is an intended, expiring, recorded change of which model
serves a router slot. With the router module (`failover.router_module: true`) it lives in the
override file, not in config.json, so drift reads that file: an active override with a receipt
is `overridden` (exit 0); an expired one still on record, one without a receipt, one whose
receipt is not a verified receipt of the spine's failover chain recording it, one the router
cannot apply (no module, and the live slot unchanged), and an installed module that is not the
one spine-gates renders are drift. A live `Router.<slot>` difference that is exactly an active,
recorded override (live = its route, SSOT = what it replaces) is that override, not a hand edit.

With no override on record and no module in the compiled config, nothing here adds a finding.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates import clock
from spine_gates.drift.compare import Difference
from spine_gates.drift.ignore import IgnoreRule
from spine_gates.failover import overrides, router_module
from spine_gates.failover.receipt import chain_dir
from spine_gates.failover.record import Override
from spine_gates.failover.router_module import recorded_chain
from spine_gates.finding import Finding
from spine_gates.health.state import iso
from spine_gates.receipts.store import RECEIPTS_DIR, parse_index_line, read_index
from spine_gates.receipts.verify import verify_chain
from spine_gates.targets.interface import LiveView

OWNER = "gates failover"


@dataclass(frozen=True)
class OverrideView:
    """The recorded overrides at `now`, and which live differences are exactly one of them."""

    recorded: tuple[Override, ...]
    now: _dt.datetime
    # the module named by the compiled config and the one installed there: (path, expected,
    # installed digest or None), or None when the compiled config names no module
    module: tuple[Path, str, str | None] | None = None
    covered: dict[tuple[str, ...], Override] = field(default_factory=dict)
    # override id -> why its receipt is not evidence for it (read_view with a spine root)
    receipt_problems: dict[str, str] = field(default_factory=dict)
    # the user's own router module the failover module chains (recorded by sync), or None
    chained: str | None = None

    @property
    def in_force(self) -> list[Override]:
        """Active and recorded (a receipt names them): what `overridden` means."""
        return [o for o in self.recorded if o.active(self.now) and o.receipt]

    @property
    def quiet(self) -> bool:
        """Nothing to say: the output stays what it was before failover existed."""
        return not self.recorded and self.module is None


def read_view(compiled: dict[str, Any], live: dict[str, Any],
              differences: tuple[Difference, ...] | list[Difference],
              root: Path | None = None) -> OverrideView:
    """The override state now (SPINE_GATES_NOW pins it) against a compiled and a live config.
    With the spine's `root`, each active override's receipt is verified against the spine's
    failover chain and trust anchors (the drift gate does; sync and adopt only need `covered`)."""
    recorded = tuple(overrides.read())
    now = clock.now()
    module = _module_state(compiled)
    chained = None
    if module is not None:
        chained = recorded_chain(module[0])
    view = OverrideView(recorded, now, module, chained=chained)
    receipted = [o for o in recorded if o.active(now) and o.receipt]
    if root is not None and receipted:
        view.receipt_problems.update(_receipt_problems(root, receipted))
    by_unit = {d.unit: d for d in differences}
    for override in view.in_force:
        diff = by_unit.get(("Router", override.slot))
        if diff is not None and diff.live == override.route and diff.ssot == override.replaces:
            view.covered[diff.unit] = override
    return view


def _receipt_problems(root: Path, receipted: list[Override]) -> dict[str, str]:
    """Why each override's receipt is not evidence for it: missing from the spine's failover
    chain, not verifying there (signature under the trust anchors, file digest, chain), or not
    an `apply` that records this override (id, slot, route, replaced route, expiry)."""
    directory = chain_dir(root)
    report = verify_chain(root, directory)
    verified = {r.digest: r for r in report.receipts}
    why = {p.receipt: p.reason for p in report.problems}
    listed: dict[str, str] = {}  # digest -> the problem name of its file
    for number, text in (read_index(directory)[0] if directory.is_dir() else []):
        try:
            entry = parse_index_line(text, number)
        except ValueError:
            continue
        listed.setdefault(entry.digest, f"{RECEIPTS_DIR}/{entry.path}")
    out: dict[str, str] = {}
    for override in receipted:
        digest = str(override.receipt)
        receipt = verified.get(digest)
        if receipt is None and digest not in listed:
            out[override.id] = f"its receipt {_short(digest)} is not in the failover chain " \
                               f"({directory})"
        elif receipt is None:
            reason = why.get(listed[digest], "it is not evidence in a chain with problems")
            out[override.id] = f"its receipt {_short(digest)} does not verify: {reason}"
        elif not _records(receipt.predicate, override):
            gate = receipt.predicate.get("gate", "?")
            out[override.id] = f"its receipt {_short(digest)} ({gate}) does not record it"
    return out


def _records(predicate: dict[str, Any], override: Override) -> bool:
    """Whether a verified failover receipt is an apply that signed exactly this override."""
    if predicate.get("gate") != "failover.apply":
        return False
    mine = override.to_json()
    keys = ("id", "slot", "route", "replaces", "expires_at")
    signed = predicate.get("overrides")
    return isinstance(signed, list) and any(
        isinstance(o, dict) and all(o.get(k) == mine[k] for k in keys) for o in signed)


def _module_state(compiled: dict[str, Any]) -> tuple[Path, str, str | None] | None:
    named = compiled.get("CUSTOM_ROUTER_PATH")
    if not isinstance(named, str):
        return None

    path = Path(named)
    return path, router_module.expected_digest(path), router_module.installed_digest(path)


def _applied(override: Override, view: OverrideView, live: dict[str, Any]) -> bool:
    """Whether the running router can apply it: through the module the live config names, or
    because the live slot already routes to it."""
    router = live.get("Router")
    if isinstance(router, dict) and router.get(override.slot) == override.route:
        return True
    return view.module is not None and live.get("CUSTOM_ROUTER_PATH") == str(view.module[0])


def _short(digest: str) -> str:
    return digest[:19]  # sha256: and 12 hex digits: enough to find the receipt or the file


def findings(view: OverrideView, live: LiveView,
             make: Callable[..., Finding]) -> tuple[list[Finding], int]:
    """The override findings (`make` builds a drift-rule finding) and how many are drift."""
    out: list[Finding] = []
    problems = 0
    if view.module is not None:
        path, expected, installed = view.module
        if installed is None:
            out.append(make("DRIFT-OVR-004", "the failover router module the config names "
                            "does not exist", str(path)))
            problems += 1
        elif installed != expected:
            out.append(make("DRIFT-OVR-004", f"the failover router module is {_short(installed)}"
                            f", spine-gates renders {_short(expected)}", str(path)))
            problems += 1
        if view.chained is not None:
            out.append(make("DRIFT-OVR-007", f"the failover router module chains the router "
                            f"module {view.chained}: requests it does not override are routed "
                            "by it", str(path)))
    for override in view.recorded:
        pointer = f"/Router/{override.slot}"
        line = live.line(pointer)
        expires = iso(override.expires_at)
        what = f"failover override {override.id}: Router.{override.slot} routes " \
               f"{override.route} instead of {override.replaces}"
        if not override.active(view.now):
            out.append(make("DRIFT-OVR-002", f"{what}; expired at {expires} and still on "
                            "record", live.name, line, pointer))
            problems += 1
        elif not override.receipt:
            out.append(make("DRIFT-OVR-003", f"{what} until {expires}, with no receipt "
                            "(unrecorded: apply was interrupted, or the file was edited)",
                            live.name, line, pointer))
            problems += 1
        elif override.id in view.receipt_problems:
            out.append(make("DRIFT-OVR-006", f"{what} until {expires}, but "
                            f"{view.receipt_problems[override.id]}", live.name, line, pointer))
            problems += 1
        elif not _applied(override, view, live.data):
            out.append(make("DRIFT-OVR-005", f"{what} until {expires}, but the router cannot "
                            "apply it: the live config names no failover router module and "
                            f"its Router.{override.slot} is unchanged", live.name, line,
                            pointer))
            problems += 1
        else:
            out.append(make("DRIFT-OVR-001", f"{what} until {expires} (receipt "
                            f"{_short(override.receipt)}; {override.reason})", live.name, line,
                            pointer))
    return out, problems


def keep_rules(view: OverrideView) -> list[IgnoreRule]:
    """For sync: keep the live value of a slot that is exactly an active, recorded override (as
    an ignore rule keeps a declared local difference)."""
    return [IgnoreRule(f"/{'/'.join(unit)}", f"failover override {o.id} until "
                       f"{iso(o.expires_at)}", OWNER, o.expires_at.date(), "overrides.json")
            for unit, o in view.covered.items()]
