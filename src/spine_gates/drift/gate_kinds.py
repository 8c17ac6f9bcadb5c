"""The `drift` check kind (gates/provider-drift.yaml): the live router config against what the
SSOT compiles to, one finding per difference (drift/check.py compares; sync and adopt share it)."""

from __future__ import annotations

from typing import Any

from spine_gates.ccr.compile import profile_for
from spine_gates.ccr.live import is_missing, live_path, read_live_config
from spine_gates.ccr.safety import shape_findings
from spine_gates.checks.interface import GateDefinition, RunContext, rule_metas
from spine_gates.drift.check import drift_finding, findings_for, ignore_rules, run_drift
from spine_gates.errors import InputError
from spine_gates.finding import Finding


def drift(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """Live config vs the compiled SSOT: one finding per difference, and the verdict."""
    ctx.rules.update(rule_metas("ccr", "drift"))  # it reports the live config's shape too
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
        return shape_findings(live, profile) + [drift_finding(
            "DRIFT-000", f"verdict not compared: the SSOT does not compile to a router config "
            f"({exc.message})", exc.file or "", exc.line)]
    return shape_findings(live, profile) + findings_for(run, ctx.today)
