"""The drift comparison: live config vs the compiled SSOT, one finding per difference.

The `drift` check kind (`drift/gate_kinds.py`), `gates sync` and `gates adopt` share it."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from spine_gates.ccr.compile import ccr_settings, compile_ccr_config
from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.checks.interface import rule_meta
from spine_gates.checks.table import load_gates
from spine_gates.drift.compare import Difference, DriftVerdict, compare, overall
from spine_gates.drift.ignore import IgnoreRule, parse_rules
from spine_gates.drift.overridden import findings as override_findings
from spine_gates.drift.overridden import read_view
from spine_gates.drift.run import DriftRun, active_rule
from spine_gates.drift.stamp import read_stamp
from spine_gates.finding import Finding
from spine_gates.model.governance import GovernanceModel
from spine_gates.targets.interface import Comparison

DRIFT_GATE = "provider-drift"


def gate_ignore_rules() -> list[IgnoreRule]:
    """Ignore rules declared on the provider-drift gate's drift check."""
    gate = load_gates().get(DRIFT_GATE)
    if gate is None:
        return []
    rules: list[IgnoreRule] = []
    for check in gate.checks:
        if check.get("kind") == "drift":
            rules += parse_rules(check.get("ignore"), gate.source)
    return rules


def ignore_rules(model: GovernanceModel, spec: dict[str, Any] | None) -> list[IgnoreRule]:
    """Gate-definition rules plus the spine's own `ccr.ignore` rules."""
    gate_rules = parse_rules(spec.get("ignore"), f"gates/{DRIFT_GATE}.yaml") if spec is not None \
        else gate_ignore_rules()
    return gate_rules + parse_rules(ccr_settings(model).get("ignore"), "spine-gates.yaml")


def run_drift(model: GovernanceModel, live: LiveConfig, profile: CcrProfile,
              rules: list[IgnoreRule]) -> DriftRun:
    # the failover module's path in the compiled config is beside the live file being compared
    compiled = compile_ccr_config(model, profile, live_path=live.path)
    stamp = read_stamp(live.path)
    synced = stamp["compiled"] if stamp and stamp.get("profile") == profile.name else None
    differences = compare(live.data, compiled, synced)
    return DriftRun(live, profile, compiled, stamp, tuple(differences), tuple(rules))


def drift_finding(rule_id: str, message: str, file: str, line: int | None = None,
             pointer: str = "") -> Finding:
    rule = rule_meta(rule_id)  # DRIFT-*, policies/builtin/rules.yaml
    return Finding(rule=rule_id, severity=rule.severity, message=message, file=file, line=line,
                   pointer=pointer, fix=rule.fix, title=rule.title)


def findings_for(comparison: Comparison, rules: list[IgnoreRule],
                 today: _dt.date, root: Path | None = None) -> list[Finding]:
    """One finding per difference (ignored ones suppressed, failover overrides named), expired
    rules, the failover state, and the verdict."""
    live = comparison.live
    view = read_view(comparison.compiled.data, live.data, comparison.differences, root)
    out: list[Finding] = []
    counted: list[Difference] = []
    covered = 0
    for diff in comparison.differences:
        if diff.unit in view.covered:
            covered += 1  # named by its override's finding below
            continue
        pointer = comparison.pointer(diff)
        if diff.verdict is DriftVerdict.PENDING:
            synced_at = (comparison.stamp or {}).get("synced_at", "the last sync")
            item = drift_finding("DRIFT-002", f"{diff.sentence()} (SSOT changed since the "
                                 f"sync at {synced_at}; pending, not a hand edit)", live.name,
                                 live.line(pointer), pointer)
        else:
            item = drift_finding("DRIFT-001", diff.sentence(), live.name, live.line(pointer),
                                 pointer)
        rule = active_rule(rules, diff.unit, today)
        if rule is not None:
            item = item.suppress("waiver", rule.describe())
        else:
            counted.append(diff)
        out.append(item)
    for rule in rules:
        if rule.expired(today):
            out.append(drift_finding("DRIFT-003", f"ignore rule for {rule.pointer} "
                                     f"({rule.owner}) expired on {rule.expires}", rule.source))
    verdict = overall(counted)
    drift = sum(d.verdict is DriftVerdict.DRIFT for d in counted)
    pending = len(counted) - drift
    ignored = len(comparison.differences) - len(counted) - covered
    counts = f"{drift} drifted, {pending} pending, {ignored} ignored"
    if not view.quiet:
        found, problems = override_findings(view, live, drift_finding)
        out += found
        overridden = sum(f.rule == "DRIFT-OVR-001" for f in found)
        counts += f", {overridden} overridden"
        if problems:
            counts += f", {problems} failover problem(s)"
            verdict = DriftVerdict.DRIFT
        elif overridden and verdict is not DriftVerdict.DRIFT:
            verdict = DriftVerdict.OVERRIDDEN
    out.append(drift_finding("DRIFT-000", f"verdict {verdict.value}: {counts} "
                             f"(profile {comparison.compiled.profile})", live.name))
    return out
