"""The check kinds that judge the registries' content: `schema`, `yaml-coercion` and `policy`
(the declarative rule packs, shipped and the spine's own)."""

from __future__ import annotations

from typing import Any

from spine_gates.checks.interface import GateDefinition, RuleMeta, RunContext, rule_metas
from spine_gates.finding import Finding
from spine_gates.model.coercions import coercion_findings
from spine_gates.model.schemas import validate_document
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.evaluator import evaluate_packs
from spine_gates.policy.rules import load_packs, spine_packs


def schema(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """SCHEMA-001: each registry matches its schema."""
    ctx.rules.update(rule_metas("schema"))
    findings: list[Finding] = []
    for kind, document in ctx.model.documents.items():
        findings.extend(validate_document(kind, document))
    return findings


def yaml_coercion(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """YAML-001: values YAML 1.1 and 1.2 read differently."""
    ctx.rules.update(rule_metas("yaml-coercion"))
    findings: list[Finding] = []
    for kind, document in ctx.model.documents.items():
        findings.extend(coercion_findings(kind, document))
    return findings


def policy(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """The rule packs the spec names (`packs`), and the spine's own with `spine_packs: true`."""
    packs = load_packs(bundled_dir("policies"), spec.get("packs"))
    if spec.get("spine_packs"):  # the spine's own rules in <root>/policies/
        packs += spine_packs(ctx.root)
    for pack in packs:
        for rule in pack.rules:
            ctx.rules[rule.id] = RuleMeta(rule.id, rule.title, rule.severity, rule.rationale,
                                          rule.fix)
    params = {**(ctx.config.settings.get("rule_params") or {}), **gate.rule_params}
    return evaluate_packs(packs, ctx.model, ctx.today, params)
