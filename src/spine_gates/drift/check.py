"""The provider-drift check: live config vs the compiled SSOT, one finding per difference."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from spine_gates.ccr.compile import ccr_settings, compile_ccr_config, profile_for
from spine_gates.ccr.live import LiveConfig, is_missing, live_path, read_live_config
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.ccr.safety import shape_findings
from spine_gates.drift.compare import Difference, DriftVerdict, compare, overall
from spine_gates.drift.ignore import IgnoreRule, parse_rules
from spine_gates.drift.keyed import file_pointer, keyed_pointer, provider_indexes
from spine_gates.drift.stamp import read_stamp
from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.governance import GovernanceModel

DRIFT_GATE = "provider-drift"
RULES = {
    "DRIFT-001": ("Live router config was edited away from the SSOT", Severity.ERROR,
                  "The live config differs from what the SSOT compiles to, and not because the "
                  "SSOT changed since the last sync.",
                  "Run `gates sync` to restore the SSOT, or `gates adopt` to make the SSOT "
                  "match an intended change."),
    "DRIFT-002": ("SSOT changed since the last sync", Severity.WARNING,
                  "The registries compile to something new; the live config still holds what "
                  "the last `gates sync` wrote.", "Run `gates sync`, then restart the router."),
    "DRIFT-003": ("Drift ignore rule has expired", Severity.WARNING,
                  "An expired ignore rule ignores nothing; its differences count again.",
                  "Renew the rule with a new expiry, or remove it and sync."),
    "DRIFT-000": ("Drift verdict", Severity.INFO,
                  "The verdict of the comparison: in sync, pending or drift.", ""),
}


@dataclass(frozen=True)
class DriftRun:
    live: LiveConfig
    profile: CcrProfile
    compiled: dict[str, Any]
    stamp: dict[str, Any] | None
    differences: tuple[Difference, ...]
    rules: tuple[IgnoreRule, ...]


def gate_ignore_rules() -> list[IgnoreRule]:
    """Ignore rules declared on the provider-drift gate's drift check."""
    from spine_gates.gates import load_gates

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


def active_rule(rules: tuple[IgnoreRule, ...] | list[IgnoreRule], unit: tuple[str, ...],
                today: _dt.date) -> IgnoreRule | None:
    pointer = keyed_pointer(unit)
    for rule in rules:
        if not rule.expired(today) and rule.matches(pointer):
            return rule
    return None


def run_drift(model: GovernanceModel, live: LiveConfig, profile: CcrProfile,
              rules: list[IgnoreRule]) -> DriftRun:
    compiled = compile_ccr_config(model, profile)
    stamp = read_stamp(live.path)
    synced = stamp["compiled"] if stamp and stamp.get("profile") == profile.name else None
    differences = compare(live.data, compiled, synced)
    return DriftRun(live, profile, compiled, stamp, tuple(differences), tuple(rules))


def _finding(rule_id: str, message: str, file: str, line: int | None = None,
             pointer: str = "") -> Finding:
    title, severity, _help, fix = RULES[rule_id]
    return Finding(rule=rule_id, severity=severity, message=message, file=file, line=line,
                   pointer=pointer, fix=fix, title=title)


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
            item = _finding("DRIFT-002", f"{diff.sentence()} (SSOT changed since the sync at "
                            f"{synced_at}; pending, not a hand edit)", live.name,
                            live.line(pointer), pointer)
        else:
            item = _finding("DRIFT-001", diff.sentence(), live.name, live.line(pointer), pointer)
        rule = active_rule(run.rules, diff.unit, today)
        if rule is not None:
            item = item.suppress("waiver", rule.describe())
        else:
            counted.append(diff)
        out.append(item)
    for rule in run.rules:
        if rule.expired(today):
            out.append(_finding("DRIFT-003", f"ignore rule for {rule.pointer} ({rule.owner}) "
                                f"expired on {rule.expires}", rule.source))
    verdict = overall(counted)
    drift = sum(d.verdict is DriftVerdict.DRIFT for d in counted)
    pending = len(counted) - drift
    out.append(_finding("DRIFT-000", f"verdict {verdict.value}: {drift} drifted, {pending} "
                        f"pending, {len(run.differences) - len(counted)} ignored "
                        f"(profile {run.profile.name})", live.name))
    return out


def drift_check(spec: dict[str, Any], ctx: Any, gate: Any) -> list[Finding]:
    """The `drift` check kind (see gates/provider-drift.yaml)."""
    path, explicit = live_path(ctx.options.get("live"))
    if not explicit and is_missing(path):
        # No router on this machine (a CI runner): nothing to compare, and nothing to report
        # that a baseline or a SARIF upload would then carry around.
        return []
    live = read_live_config(path)
    profile = profile_for(ctx.options.get("profile"), ctx.model, spec.get("profile"))
    try:
        run = run_drift(ctx.model, live, profile, ignore_rules(ctx.model, spec))
    except InputError as exc:
        # A registry fault (a dangling chain entry) is a policy finding the registry rules
        # report; aborting here would hide every finding of `gates run all` behind exit 3.
        if exc.file not in {document.name for document in ctx.model.documents.values()}:
            raise
        return shape_findings(live, profile) + [_finding(
            "DRIFT-000", f"verdict not compared: the SSOT does not compile to a router config "
            f"({exc.message})", exc.file or "", exc.line)]
    return shape_findings(live, profile) + findings_for(run, ctx.today)


def live_for(option: str | None) -> LiveConfig | None:
    """The live config for sync/adopt, or None when the file does not exist yet."""
    path, _explicit = live_path(option)
    if is_missing(path):
        return None
    return read_live_config(path)

