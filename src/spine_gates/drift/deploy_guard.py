"""The deploy guard: `gates compile ccr` and `gates sync` refuse an SSOT that would deploy wrong.

A deploy depends on the registries matching their schema (SCHEMA-001), reading as written
(YAML-001), holding no secrets (SEC-*) and cross-referencing (REG-*); an error of these classes
makes the compiled proxy config wrong or unsafe, so nothing is written. Freshness (SSOT-004) and
warnings never block. Waivers and baselines do not lift the block: a waived inline key is still
deployed as a key. The checks run on the model the command already loaded.

The compiled config itself is checked last: a key the redaction service knows (the value behind
an `api_key_ref`, registered when the spine was loaded) pasted into a model id or a URL compiles
into it whatever its format, and would be deployed as written while every report shows its
fingerprint.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from spine_gates.errors import EXIT_VIOLATIONS, GatesError
from spine_gates.finding import Finding, Severity
from spine_gates.model.coercions import coercion_findings
from spine_gates.model.schemas import validate_document
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.evaluator import evaluate_packs
from spine_gates.policy.rules import load_packs
from spine_gates.secrets.redact import redact_text

if TYPE_CHECKING:
    from spine_gates.checks.interface import RunContext

# The rule classes whose errors make a deployed config wrong or unsafe, and the shipped packs
# that hold the declarative ones.
BLOCKING_RULES = re.compile(r"^(SCHEMA|YAML|SEC|REG)-\d{3}$")
_PACKS = ["registry", "secrets"]


class DeployRefused(GatesError):
    """The SSOT has blocking findings; the message lists them. Exit 1, like a failed gate."""

    exit_code = EXIT_VIOLATIONS


def blocks_deploy(finding: Finding) -> bool:
    return finding.severity is Severity.ERROR and bool(BLOCKING_RULES.match(finding.rule))


def deploy_blockers(ctx: RunContext) -> list[Finding]:
    """The errors that block a deploy, waived or baselined or not, in file and line order."""

    findings: list[Finding] = []
    for kind, document in ctx.model.documents.items():
        findings.extend(validate_document(kind, document))
        findings.extend(coercion_findings(kind, document))
    params = ctx.config.settings.get("rule_params") or {}
    findings.extend(evaluate_packs(load_packs(bundled_dir("policies"), _PACKS), ctx.model,
                                   ctx.today, params))
    unique = {f.fingerprint: f for f in findings if blocks_deploy(f)}
    return sorted(unique.values(), key=lambda f: (f.file, f.line or 0, f.rule, f.pointer))


def refuse_broken_ssot(ctx: RunContext, action: str) -> None:
    """Raise DeployRefused (nothing written yet) if the SSOT has blocking findings."""
    blockers = deploy_blockers(ctx)
    if blockers:
        raise DeployRefused(refusal_text(blockers, action))


def refusal_text(blockers: list[Finding], action: str) -> str:
    lines = [f"refusing to {action}: the SSOT has {len(blockers)} error(s) that would make the "
             "deployed config wrong or unsafe; nothing written"]
    for finding in blockers:
        lines.append(f"{finding.location() or '-'}: {finding.rule} [{finding.severity.value}] "
                     f"{finding.message}")
        if finding.fix:
            lines.append(f"    fix: {finding.fix}")
    lines.append("Schema, YAML coercion, secret (SEC-*) and cross-reference (REG-*) errors block "
                 "a deploy; a waiver or baseline does not lift that (a waived inline key is still "
                 "deployed as a key). Fix the SSOT, then deploy again.")
    return "\n".join(lines)


def refuse_known_keys(compiled_text: str, action: str) -> None:
    """Raise DeployRefused if the compiled config holds a key the redaction service knows."""

    redacted = redact_text(compiled_text)
    if redacted == compiled_text:
        return
    changed = [line.strip() for line, before in zip(redacted.splitlines(),
                                                     compiled_text.splitlines(), strict=False)
               if line != before]
    lines = [f"refusing to {action}: the compiled config would hold a key the SSOT references "
             "(the value of an api_key_ref in this environment) or a known key format; "
             "nothing written. Where it lands, with the key as its fingerprint:"]
    lines += [f"  {line}" for line in changed]
    lines.append("Remove the key from the SSOT (a model id, an api_base, a route), rotate it, "
                 "then deploy again.")
    raise DeployRefused("\n".join(lines))
