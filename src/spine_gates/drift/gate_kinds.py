"""The `drift` check kind (gates/provider-drift.yaml): the live proxy config against what the
SSOT compiles to, one finding per difference (the proxy target compares; drift/check.py makes
the findings, sync and adopt share it)."""

from __future__ import annotations

from typing import Any

from spine_gates.ccr.compile import profile_for
from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.ccr.safety import shape_findings
from spine_gates.checks.interface import GateDefinition, RunContext, rule_metas
from spine_gates.drift.check import drift_finding, findings_for, ignore_rules
from spine_gates.errors import InputError
from spine_gates.finding import Finding
from spine_gates.targets import get_target
from spine_gates.targets.interface import LiveView


def drift(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """Live config vs the compiled SSOT: one finding per difference, and the verdict."""
    ctx.rules.update(rule_metas("ccr", "drift"))  # it reports the live config's shape too
    target = get_target(ctx.options.get("target"))
    path, explicit = target.live_path(ctx.options.get("live"))
    # No file where none was named: no proxy on this machine (a CI runner), so nothing to
    # compare, and nothing to report that a baseline or a SARIF upload would carry around.
    live = target.read_live(path, required=explicit)
    # `--live-url`: the running proxy itself (LiteLLM), read through its endpoints
    url = ctx.options.get("live_url")
    runtime = target.read_runtime(url) if url else None
    if live is None and runtime is None:
        return []
    # the router's version profile matters only to the router target
    profile = profile_for(ctx.options.get("profile"), ctx.model, spec.get("profile")) \
        if target.name == "ccr" else None
    try:
        compiled = target.compile(ctx.model, profile.name if profile else
                                  ctx.options.get("profile"), live_path=path)
    except InputError as exc:
        # A registry fault (a dangling chain entry) is a policy finding the registry rules
        # report; aborting here would hide every finding of `gates run all` behind exit 3.
        if exc.file not in {document.name for document in ctx.model.documents.values()}:
            raise
        return _shape(live, profile) + [drift_finding(
            "DRIFT-000", f"verdict not compared: the SSOT does not compile to a router config "
            f"({exc.message})", exc.file or "", exc.line)]
    rules = ignore_rules(ctx.model, spec)
    found: list[Finding] = []
    for view in (live, runtime):
        if view is not None:
            found += findings_for(target.compare(compiled, view), rules, ctx.today, ctx.root)
    if any(f.rule.startswith("DRIFT-OVR-") for f in found):
        ctx.rules.update(rule_metas("overrides"))
    return _shape(live, profile) + found

def _shape(live: LiveView | None, profile: CcrProfile | None) -> list[Finding]:
    # The CCR-* shape rules read a claude-code-router config; another target's file is not one.
    if isinstance(live, LiveConfig) and profile is not None:
        return shape_findings(live, profile)
    return []
