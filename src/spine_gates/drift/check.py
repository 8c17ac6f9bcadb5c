"""The drift comparison: live config vs the compiled SSOT, one finding per difference.

The `drift` check kind (`drift/gate_kinds.py`), `gates sync` and `gates adopt` share it."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from spine_gates.ccr.compile import ccr_settings, compile_ccr_config
from spine_gates.ccr.live import LiveConfig, is_missing, live_path, read_live_config
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.checks.interface import rule_meta
from spine_gates.drift.compare import Difference, DriftVerdict, compare, overall
from spine_gates.drift.ignore import IgnoreRule, parse_rules
from spine_gates.drift.keyed import file_pointer, provider_indexes
from spine_gates.drift.run import DriftRun, active_rule
from spine_gates.drift.stamp import read_stamp
from spine_gates.finding import Finding
from spine_gates.model.governance import GovernanceModel

DRIFT_GATE = "provider-drift"


def gate_ignore_rules() -> list[IgnoreRule]:
    """Ignore rules declared on the provider-drift gate's drift check."""
    from spine_gates.checks.table import load_gates

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
    compiled = compile_ccr_config(model, profile)
    stamp = read_stamp(live.path)
    synced = stamp["compiled"] if stamp and stamp.get("profile") == profile.name else None
    differences = compare(live.data, compiled, synced)
    return DriftRun(live, profile, compiled, stamp, tuple(differences), tuple(rules))


def drift_finding(rule_id: str, message: str, file: str, line: int | None = None,
             pointer: str = "") -> Finding:
    rule = rule_meta(rule_id)  # DRIFT-*, policies/builtin/rules.yaml
    return Finding(rule=rule_id, severity=rule.severity, message=message, file=file, line=line,
                   pointer=pointer, fix=rule.fix, title=rule.title)


def findings_for(run: DriftRun, today: _dt.date) -> list[Finding]:
    """One finding per difference (ignored ones suppressed), expired rules, and the verdict."""
    live = run.live
    indexes = provider_indexes(live.data)
    out: list[Finding] = []
    counted: list[Difference] = []
    for diff in run.differences:
        pointer = file_pointer(diff.unit, indexes)
        if diff.verdict is DriftVerdict.PENDING:
            synced_at = (run.stamp or {}).get("synced_at", "the last sync")
            item = drift_finding("DRIFT-002", f"{diff.sentence()} (SSOT changed since the "
                                 f"sync at {synced_at}; pending, not a hand edit)", live.name,
                                 live.line(pointer), pointer)
        else:
            item = drift_finding("DRIFT-001", diff.sentence(), live.name, live.line(pointer),
                                 pointer)
        rule = active_rule(run.rules, diff.unit, today)
        if rule is not None:
            item = item.suppress("waiver", rule.describe())
        else:
            counted.append(diff)
        out.append(item)
    for rule in run.rules:
        if rule.expired(today):
            out.append(drift_finding("DRIFT-003", f"ignore rule for {rule.pointer} "
                                     f"({rule.owner}) expired on {rule.expires}", rule.source))
    verdict = overall(counted)
    drift = sum(d.verdict is DriftVerdict.DRIFT for d in counted)
    pending = len(counted) - drift
    out.append(drift_finding("DRIFT-000", f"verdict {verdict.value}: {drift} drifted, "
                             f"{pending} pending, {len(run.differences) - len(counted)} ignored "
                             f"(profile {run.profile.name})", live.name))
    return out


def live_for(option: str | None) -> LiveConfig | None:
    """The live config for sync/adopt, or None when the file does not exist yet."""
    path, _explicit = live_path(option)
    if is_missing(path):
        return None
    return read_live_config(path)

