"""The gate runner: reads `gates/*.yaml`, runs each gate's checks, applies waivers and baselines.

It returns GateResults built only from findings; rendering and signing happen elsewhere.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.errors import EXIT_DRIFT, EXIT_PASS, EXIT_VIOLATIONS, InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import load_yaml
from spine_gates.model.spine import SpineConfig, bundled_dir, load_config, load_documents

_GATE_FIELDS = {"name", "description", "checks", "fail_on", "kind", "spine_gate_id", "ring",
                "rule_params"}


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    severity: Severity
    help: str = ""
    fix: str = ""


@dataclass(frozen=True)
class GateDefinition:
    name: str
    description: str
    checks: tuple[dict[str, Any], ...]
    fail_on: Severity = Severity.ERROR
    kind: str = "policy"  # "policy" fails with exit 1, "drift" with exit 2
    spine_gate_id: str = ""
    ring: str = "standard"
    rule_params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def reads(self) -> frozenset[str]:
        """The spine folders this gate reads besides the registries and settings (which every
        gate reads): `policies` (the spine's own rule packs), `scenarios`. A receipt names as
        subjects exactly the files its gate read."""
        folders = set()
        for check in self.checks:
            if check.get("kind") == "policy" and check.get("spine_packs"):
                folders.add("policies")
            if check.get("kind") == "routing-scenarios":
                folders.add("scenarios")
        return frozenset(folders)


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    exit_code: int
    findings: tuple[Finding, ...]
    rules: tuple[RuleMeta, ...]
    fail_on: Severity
    root: str
    files: tuple[str, ...]
    duration_ms: float
    spine_gate_id: str = ""
    description: str = ""
    gates: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    members: tuple[GateResult, ...] = ()  # for `all`: each gate's own result

    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0, "baselined": 0}
        for finding in self.findings:
            if finding.suppressed_by == "waiver":
                counts["waived"] += 1
            elif finding.suppressed_by == "baseline":
                counts["baselined"] += 1
            else:
                counts[finding.severity.value] += 1
        return counts

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


@dataclass
class RunContext:
    """What every check may use: the spine, its model, today's date, rule parameters."""

    root: Path
    config: SpineConfig
    model: GovernanceModel
    today: _dt.date
    options: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, RuleMeta] = field(default_factory=dict)


CheckFunc = Callable[[dict[str, Any], RunContext, GateDefinition], list[Finding]]
CHECKS: dict[str, CheckFunc] = {}


def register(kind: str) -> Callable[[CheckFunc], CheckFunc]:
    def wrap(func: CheckFunc) -> CheckFunc:
        CHECKS[kind] = func
        return func

    return wrap


def today() -> _dt.date:
    """Today in UTC, or SPINE_GATES_TODAY (YYYY-MM-DD) for reproducible runs."""
    pinned = os.environ.get("SPINE_GATES_TODAY")
    if pinned:
        try:
            return _dt.date.fromisoformat(pinned)
        except ValueError:
            raise InputError(f"SPINE_GATES_TODAY={pinned!r} is not a YYYY-MM-DD date") from None
    return _dt.datetime.now(_dt.UTC).date()


@register("schema")
def _schema_check(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.model.schemas import SCHEMA_RULE, SCHEMA_TITLE, validate_document

    ctx.rules[SCHEMA_RULE] = RuleMeta(SCHEMA_RULE, SCHEMA_TITLE, Severity.ERROR,
                                      "Each registry must match its schema (types, required "
                                      "fields, allowed values, no unknown fields).")
    findings: list[Finding] = []
    for kind, document in ctx.model.documents.items():
        findings.extend(validate_document(kind, document))
    return findings


@register("yaml-coercion")
def _coercion_check(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition
                    ) -> list[Finding]:
    from spine_gates.model import coercions

    ctx.rules[coercions.COERCION_RULE] = RuleMeta(
        coercions.COERCION_RULE, coercions.COERCION_TITLE, Severity.ERROR,
        coercions.COERCION_HELP, "Quote the value, or write it in a form YAML 1.1 and 1.2 read "
        "alike.")
    findings: list[Finding] = []
    for kind, document in ctx.model.documents.items():
        findings.extend(coercions.coercion_findings(kind, document))
    return findings


@register("policy")
def _policy_check(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.policy.evaluator import evaluate_packs
    from spine_gates.policy.rules import load_packs, spine_packs

    packs = load_packs(bundled_dir("policies"), spec.get("packs"))
    if spec.get("spine_packs"):  # the spine's own rules in <root>/policies/
        packs += spine_packs(ctx.root)
    for pack in packs:
        for rule in pack.rules:
            ctx.rules[rule.id] = RuleMeta(rule.id, rule.title, rule.severity, rule.rationale,
                                          rule.fix)
    params = {**(ctx.config.settings.get("rule_params") or {}), **gate.rule_params}
    return evaluate_packs(packs, ctx.model, ctx.today, params)


def load_gate(path: Path) -> GateDefinition:
    # Registers the `drift` and `ccr-proxy` check kinds (light module; its checks import lazily).
    import spine_gates.ccr.checks  # noqa: F401
    import spine_gates.routing.checks  # noqa: F401  routing-scenarios, routing-resilience
    import spine_gates.secrets.gate_check  # noqa: F401  the `secret_refs` check kind

    name = f"gates/{path.name}"
    document = load_yaml(path, name)
    data = document.data
    if not isinstance(data, dict):
        raise InputError("a gate definition must be a mapping", name, 1)
    unknown = set(data) - _GATE_FIELDS
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"unknown gate field {key!r}", name, document.line_of(f"/{key}"))
    checks = data.get("checks")
    if not isinstance(checks, list) or not checks:
        raise InputError("a gate needs a non-empty 'checks' list", name, 1)
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or check.get("kind") not in CHECKS:
            raise InputError(
                f"check needs a known 'kind' (one of {', '.join(sorted(CHECKS))})",
                name,
                document.line_of(f"/checks/{index}"),
            )
    try:
        fail_on = Severity.parse(str(data.get("fail_on", "error")))
    except ValueError as exc:
        raise InputError(str(exc), name, document.line_of("/fail_on")) from None
    kind = str(data.get("kind", "policy"))
    if kind not in ("policy", "drift"):
        raise InputError("'kind' must be policy or drift", name, document.line_of("/kind"))
    return GateDefinition(
        name=str(data.get("name") or path.stem),
        description=str(data.get("description", "")).strip(),
        checks=tuple(checks),
        fail_on=fail_on,
        kind=kind,
        spine_gate_id=str(data.get("spine_gate_id", "")),
        ring=str(data.get("ring", "standard")),
        rule_params=dict(data.get("rule_params") or {}),
        source=name,
    )


def load_gates(directory: Path | None = None) -> dict[str, GateDefinition]:
    directory = directory or bundled_dir("gates")
    gates = {}
    for path in sorted(directory.glob("*.yaml")):
        gate = load_gate(path)
        gates[gate.name] = gate
    return gates


def prepare(root: Path, options: dict[str, Any] | None = None) -> RunContext:
    config = load_config(root)
    documents = load_documents(root, config)
    model = GovernanceModel(root, documents, config)
    _register_referenced_keys(model)
    return RunContext(root, config, model, today(), dict(options or {}))


def _register_referenced_keys(model: GovernanceModel) -> None:
    """The keys the spine's references name, when this process holds them, are scrubbed from
    every output of the run (a key pasted into a model id or a scenario is then a fingerprint,
    whether or not the detector knows its format)."""
    from spine_gates.secrets.refs import register_referenced_keys

    refs: list[object] = [body.get("api_key_ref") for body in model.providers.values()
                          if isinstance(body, dict)]
    ccr = model.config.settings.get("ccr")
    if isinstance(ccr, dict):
        refs.append(ccr.get("apikey_ref"))
    register_referenced_keys(refs, os.environ)


def run_gate(gate: GateDefinition, ctx: RunContext) -> GateResult:
    from spine_gates.policy.baseline import apply_baseline, load_baseline
    from spine_gates.policy.waivers import WAIVER_RULES, apply_waivers, inert_waivers, load_waivers

    started = time.perf_counter()
    findings: list[Finding] = []
    for check in gate.checks:
        findings.extend(CHECKS[check["kind"]](check, ctx, gate))
    waivers = load_waivers(ctx.root)
    findings = apply_waivers(findings, waivers, ctx.today)
    if waivers:
        from spine_gates.policy.catalogue import known_rule_ids

        findings += inert_waivers(waivers, known_rule_ids(ctx.root), ctx.root)
    if not ctx.options.get("no_baseline"):
        findings = apply_baseline(findings, load_baseline(ctx.root))
    findings = _dedupe(findings)
    for rule_id, (title, why) in WAIVER_RULES.items():
        ctx.rules.setdefault(rule_id, RuleMeta(rule_id, title, Severity.WARNING, why))
    failing = [f for f in findings if not f.suppressed and f.severity.rank >= gate.fail_on.rank]
    passed = not failing
    exit_code = EXIT_PASS if passed else (EXIT_DRIFT if gate.kind == "drift" else EXIT_VIOLATIONS)
    return GateResult(
        gate=gate.name,
        passed=passed,
        exit_code=exit_code,
        findings=tuple(findings),
        rules=tuple(ctx.rules[r] for r in sorted(ctx.rules)),
        fail_on=gate.fail_on,
        root=str(ctx.root),
        files=tuple(d.name for d in ctx.model.documents.values()),
        duration_ms=(time.perf_counter() - started) * 1000,
        spine_gate_id=gate.spine_gate_id,
        description=gate.description,
        gates=(gate.name,),
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for finding in findings:
        if finding.fingerprint in seen:
            continue
        seen.add(finding.fingerprint)
        out.append(finding)
    return sorted(out, key=lambda f: (f.file, f.line or 0, f.rule, f.pointer))


def combine(results: list[GateResult]) -> GateResult:
    """`gates run all`: one result; drift outranks violations in the exit code."""
    findings = _dedupe([f for r in results for f in r.findings])
    rules = {m.id: m for r in results for m in r.rules}
    return GateResult(
        gate="all",
        passed=all(r.passed for r in results),
        exit_code=max((r.exit_code for r in results), default=EXIT_PASS),
        findings=tuple(findings),
        rules=tuple(rules[k] for k in sorted(rules)),
        fail_on=min((r.fail_on for r in results), key=lambda s: s.rank, default=Severity.ERROR),
        root=results[0].root if results else "",
        files=tuple(dict.fromkeys(f for r in results for f in r.files)),
        duration_ms=sum(r.duration_ms for r in results),
        gates=tuple(r.gate for r in results),
        extras={"gates": {r.gate: {"passed": r.passed, "exit_code": r.exit_code}
                          for r in results}},
        members=tuple(results),
    )
