"""The `secret_refs` gate check: every reference in the spine resolves (gates/secret-refs.yaml).

Options: `require_resolution` / `offline` in the check spec, the run's options, or the
environment (`SPINE_GATES_REQUIRE_RESOLUTION=1`, `SPINE_GATES_OFFLINE=1`, for hooks and CI).
"""

from __future__ import annotations

import os
from typing import Any

from spine_gates.finding import Finding, Severity
from spine_gates.gates import GateDefinition, RuleMeta, RunContext, register


def _flag(name: str, spec: dict[str, Any], ctx: RunContext) -> bool:
    env = os.environ.get(f"SPINE_GATES_{name.upper()}", "")
    return bool(spec.get(name) or ctx.options.get(name) or env.lower() in ("1", "true", "yes"))


def rule_metas(require: bool = False) -> list[RuleMeta]:
    """SEC-010..012, for SARIF and the rule catalogue (SEC-011 is an error when resolution is
    required, a warning otherwise)."""
    from spine_gates.secrets import resolve

    return [
        RuleMeta(resolve.MISSING_RULE, resolve.MISSING_TITLE, Severity.ERROR,
                 "A reference to a secret that does not exist compiles into a proxy config "
                 "that fails at the first request."),
        RuleMeta(resolve.UNRESOLVED_RULE, resolve.UNRESOLVED_TITLE,
                 Severity.ERROR if require else Severity.WARNING,
                 "No source could say whether the secret exists (Infisical unreachable or not "
                 "configured, no manifest); with --require-resolution this fails closed."),
        RuleMeta(resolve.UNLISTED_RULE, resolve.UNLISTED_TITLE, Severity.WARNING,
                 "The manifest is the namespace policy: a key is listed there before it is "
                 "referenced, and offline machines check against it."),
    ]


@register("secret_refs")
def secret_refs_check(spec: dict[str, Any], ctx: RunContext,
                      gate: GateDefinition) -> list[Finding]:
    """Check each reference exists, never reading a value; the message names the source."""
    from spine_gates.secrets import resolve
    from spine_gates.secrets.config import load_settings

    require = _flag("require_resolution", spec, ctx)
    offline = _flag("offline", spec, ctx)
    ctx.rules.update({meta.id: meta for meta in rule_metas(require)})
    settings = load_settings(ctx.config.settings)
    uses = resolve.collect_refs(ctx.model.view(), ctx.model.line_of)
    answers = resolve.resolve_refs(uses, settings, ctx.root, offline=offline, require=require)
    ctx.options.setdefault("secret_resolutions", {}).update(answers)
    return [*resolve.findings_for(uses, answers, require),
            *resolve.unlisted_findings(uses, answers, settings, ctx.root)]
