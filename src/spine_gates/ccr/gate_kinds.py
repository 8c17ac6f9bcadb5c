"""The `ccr-proxy` check kind: the live router config is safe to run (gates/proxy-safety.yaml)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from spine_gates.ccr.activate import check_activate, find_ccr, run_activate
from spine_gates.ccr.compile import profile_for
from spine_gates.ccr.live import is_missing, live_path, read_live_config
from spine_gates.ccr.safety import check_proxy_config, finding
from spine_gates.checks.interface import GateDefinition, RunContext, rule_meta, rule_metas
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import read_text


def finding_missing(path: Path) -> Finding:
    return Finding("CCR-000", Severity.INFO, f"no live router config at {path}; proxy safety "
                   "not checked (pass --live PATH)", str(path), title=rule_meta("CCR-000").title)


def proxy_safety(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    ctx.rules.update(rule_metas("ccr", "drift"))  # as the drift kind: `all` reports one set
    if ctx.options.get("target") not in (None, "ccr"):
        return []  # another proxy's config (its own check kind reads it)
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
