"""The check kinds that judge the registries' content: `schema`, `yaml-coercion` and `policy`
(the declarative rule packs, shipped and the spine's own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spine_gates.checks.interface import GateDefinition, RuleMeta, RunContext, rule_metas
from spine_gates.finding import Finding
from spine_gates.model.coercions import coercion_findings
from spine_gates.model.loader import Document
from spine_gates.model.schemas import validate_document
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.evaluator import evaluate_packs
from spine_gates.policy.rules import load_packs, spine_packs


def _per_document(ctx: RunContext, group: str,
                  judge: Callable[[str, Document], list[Finding]]) -> list[Finding]:
    ctx.rules.update(rule_metas(group))
    return [finding for kind, document in ctx.model.documents.items()
            for finding in judge(kind, document)]


def schema(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """SCHEMA-001: each registry matches its schema."""
    return _per_document(ctx, "schema", validate_document)


def yaml_coercion(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """YAML-001: values YAML 1.1 and 1.2 read differently."""
    return _per_document(ctx, "yaml-coercion", coercion_findings)


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
