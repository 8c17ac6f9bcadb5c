"""The gate runner: runs each check of a gate through the table of check kinds
(`checks/table.py`), applies waivers and baselines, and combines gates for `gates run all`.

It returns GateResults built only from findings; rendering and signing happen elsewhere.
"""

from __future__ import annotations

import os
import time

from spine_gates.checks.interface import GateDefinition, GateResult, RunContext, rule_metas
from spine_gates.checks.table import check_kind
from spine_gates.errors import EXIT_DRIFT, EXIT_PASS, EXIT_VIOLATIONS
from spine_gates.finding import Finding, Severity
from spine_gates.spine_files import BASELINE_FILE, WAIVERS_FILE


def run_gate(gate: GateDefinition, ctx: RunContext) -> GateResult:
    started = time.perf_counter()
    findings: list[Finding] = []
    for check in gate.checks:
        findings.extend(check_kind(check["kind"])(check, ctx, gate))
    # A spine without a waivers or baseline file has nothing to apply: the pre-commit path skips
    # importing the code that would (lexists: a broken waivers link is still loaded, an error).
    if os.path.lexists(ctx.root / WAIVERS_FILE):
        from spine_gates.policy.waivers import apply_waivers, inert_waivers, load_waivers

        waivers = load_waivers(ctx.root)
        findings = apply_waivers(findings, waivers, ctx.today)
        if waivers:
            from spine_gates.policy.catalogue import known_rule_ids

            findings += inert_waivers(waivers, known_rule_ids(ctx.root), ctx.root)
    if not ctx.options.get("no_baseline") and os.path.lexists(ctx.root / BASELINE_FILE):
        from spine_gates.policy.baseline import apply_baseline, load_baseline

        findings = apply_baseline(findings, load_baseline(ctx.root))
    # baseline create accepts every finding, the ones a schema error would hide included: once
    # the schema error is baselined, it hides nothing and they are reported
    if not ctx.options.get("keep_cascades"):
        findings = without_cascades(findings)
    findings = _dedupe(findings)
    for rule_id, meta in rule_metas("waivers").items():
        ctx.rules.setdefault(rule_id, meta)
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


# Rules that judge an entry even while it breaks its schema: the schema itself, YAML's reading
# of it, and secrets (a key is a key whatever the shape around it).
_ALWAYS = ("SCHEMA-", "YAML-", "SEC-")


def _entry(pointer: str) -> str:
    """`/roles/architect/ccr_slots` -> `/roles/architect`; "" above entry level."""
    parts = pointer.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


def without_cascades(findings: list[Finding]) -> list[Finding]:
    """Findings of an entry that breaks its schema (an active SCHEMA-001 error inside it) come
    from that violation alone: other rules read a missing or mistyped field as empty and would
    report its consequences (a typo'd `fallback_chain` is not also a one-provider chain). They
    are left out until the entry matches its schema; the SCHEMA-001 error keeps the gate failing,
    and a waived or baselined one hides nothing."""
    # a field of the entry breaks the schema (`/roles/a/fallback_chain`); an id that breaks its
    # pattern (`/roles/<id>`) leaves the fields as written, and the rules judge them as usual
    broken = {(f.file, _entry(f.pointer)) for f in findings
              if f.rule == "SCHEMA-001" and not f.suppressed and f.severity is Severity.ERROR
              and _entry(f.pointer) and f.pointer != _entry(f.pointer)}
    if not broken:
        return findings
    return [f for f in findings if f.rule.startswith(_ALWAYS)
            or (f.file, _entry(f.pointer)) not in broken]


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
    findings = _dedupe(without_cascades([f for r in results for f in r.findings]))
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
