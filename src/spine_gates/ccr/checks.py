"""Registers the `drift` and `ccr-proxy` check kinds with the gate runner.

Kept free of heavy imports: gates.py imports this module whenever it looks up check kinds, and
`gates run registry-policy` must not pay for deepdiff or pyjson5.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from spine_gates.finding import Finding, Severity
from spine_gates.gates import GateDefinition, RuleMeta, RunContext, register


def rule_metas() -> list[RuleMeta]:
    """The CCR-* and DRIFT-* rules these checks report, for SARIF and the rule catalogue."""
    from spine_gates.ccr.safety import RULES as CCR_RULES
    from spine_gates.drift.check import RULES as DRIFT_RULES

    metas = [RuleMeta(r.id, r.title, r.severity, r.help, r.fix) for r in CCR_RULES.values()]
    metas += [RuleMeta(rule_id, title, severity, help_text, fix)
              for rule_id, (title, severity, help_text, fix) in DRIFT_RULES.items()]
    return metas


def _rule_meta(ctx: RunContext) -> None:
    ctx.rules.update({meta.id: meta for meta in rule_metas()})


def finding_missing(path: Path) -> Finding:
    return Finding("CCR-000", Severity.INFO, f"no live router config at {path}; proxy safety "
                   "not checked (pass --live PATH)", str(path), title="No live router config")


@register("drift")
def _drift(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.drift.check import drift_check

    _rule_meta(ctx)
    return drift_check(spec, ctx, gate)


@register("ccr-proxy")
def _proxy(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.ccr.activate import check_activate, find_ccr, run_activate
    from spine_gates.ccr.compile import profile_for
    from spine_gates.ccr.live import is_missing, live_path, read_live_config
    from spine_gates.ccr.safety import check_proxy_config, finding

    _rule_meta(ctx)
    path, explicit = live_path(ctx.options.get("live"))
    if not explicit and is_missing(path):
        if ctx.options.get("activate") is not None:  # `gates proxy check` asked for this one
            return [finding_missing(path)]
        return []
    live = read_live_config(path)
    profile = profile_for(ctx.options.get("profile"), ctx.model, spec.get("profile"))
    env = dict(os.environ)
    findings = check_proxy_config(live, env, profile)
    output_file = ctx.options.get("activate_output")
    if output_file:
        from spine_gates.model.loader import read_text

        findings += check_activate(read_text(Path(output_file), output_file), live, env)
    elif ctx.options.get("activate", spec.get("activate", False)):
        ccr = find_ccr(ctx.options.get("ccr"))
        if ccr is None:
            findings.append(finding("CCR-ACTIVATE-002", "the router CLI `ccr` was not found "
                                    "(PATH, ./node_modules/.bin); `ccr activate` not checked",
                                    live, "/PORT"))
        else:
            try:
                output = run_activate(ccr, live, env)
            except (OSError, subprocess.SubprocessError) as exc:
                findings.append(finding("CCR-ACTIVATE-002", f"`{ccr} activate` failed to run: "
                                        f"{type(exc).__name__}", live, "/PORT"))
            else:
                findings += check_activate(output, live, env)
    return findings
