"""The `secret_refs` check kind: every reference in the spine resolves (gates/secret-refs.yaml).

Options: `require_resolution` / `offline` in the check spec, the run's options, or the
environment (`SPINE_GATES_REQUIRE_RESOLUTION=1`, `SPINE_GATES_OFFLINE=1`, for hooks and CI).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from spine_gates.checks.interface import GateDefinition, RunContext, rule_metas
from spine_gates.finding import Finding, Severity
from spine_gates.secrets import resolve
from spine_gates.secrets.config import load_settings


def _flag(name: str, spec: dict[str, Any], ctx: RunContext) -> bool:
    env = os.environ.get(f"SPINE_GATES_{name.upper()}", "")
    return bool(spec.get(name) or ctx.options.get(name) or env.lower() in ("1", "true", "yes"))


def secret_refs(spec: dict[str, Any], ctx: RunContext,
                gate: GateDefinition) -> list[Finding]:
    """Check each reference exists, never reading a value; the message names the source."""
    require = _flag("require_resolution", spec, ctx)
    offline = _flag("offline", spec, ctx)
    metas = rule_metas("secret-refs")
    if require:  # SEC-011 fails closed when resolution is required
        unresolved = metas[resolve.UNRESOLVED_RULE]
        metas[unresolved.id] = replace(unresolved, severity=Severity.ERROR)
    ctx.rules.update(metas)
    settings = load_settings(ctx.config.settings)
    uses = resolve.collect_refs(ctx.model.view(), ctx.model.line_of)
    answers = resolve.resolve_refs(uses, settings, ctx.root, offline=offline, require=require)
    ctx.options.setdefault("secret_resolutions", {}).update(answers)
    return [*resolve.findings_for(uses, answers, require, settings.manifest),
            *resolve.unlisted_findings(uses, answers, settings, ctx.root)]
