"""`gates secrets check`: inline-secret detection plus reference resolution, with a table that
says which source answered for each reference (infisical / cache / manifest / env).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from spine_gates.commands import emit, root_of, skipped
from spine_gates.errors import EXIT_PASS, EXIT_VIOLATIONS
from spine_gates.finding import Finding, Severity


def run_secrets_check(root: Path, fmt: str = "text", require: bool = False,
                      offline: bool = False) -> tuple[str, int]:
    """(report text, exit code); exit 1 when any unwaived error remains."""
    from spine_gates.gates import prepare
    from spine_gates.model.spine import bundled_dir
    from spine_gates.policy.evaluator import evaluate_packs
    from spine_gates.policy.rules import load_packs
    from spine_gates.policy.waivers import apply_waivers, load_waivers
    from spine_gates.secrets import resolve
    from spine_gates.secrets.config import load_settings

    ctx = prepare(root)
    params = ctx.config.settings.get("rule_params") or {}
    findings = evaluate_packs(load_packs(bundled_dir("policies"), ["secrets"]), ctx.model,
                              ctx.today, params)
    settings = load_settings(ctx.config.settings)
    uses = resolve.collect_refs(ctx.model.view(), ctx.model.line_of)
    answers = resolve.resolve_refs(uses, settings, ctx.root, offline=offline, require=require)
    findings += resolve.findings_for(uses, answers, require)
    findings += resolve.unlisted_findings(uses, answers, settings, ctx.root)
    findings = apply_waivers(findings, load_waivers(ctx.root), ctx.today)
    findings.sort(key=lambda f: (f.file, f.line or 0, f.rule, f.pointer))
    failing = [f for f in findings if not f.suppressed and f.severity is Severity.ERROR]
    code = EXIT_VIOLATIONS if failing else EXIT_PASS
    rows = [{
        "reference": use.ref.raw,
        "field": use.field,
        "file": use.file,
        "line": use.line,
        "pointer": use.pointer,
        "status": answers[use.ref].status.value,
        "source": answers[use.ref].source,
        "detail": answers[use.ref].detail,
    } for use in uses]
    if fmt == "json":
        return _json(rows, findings, code), code
    return _text(rows, findings, code), code


def _json(rows: list[dict[str, Any]], findings: list[Finding], code: int) -> str:
    from spine_gates.report.json_format import finding_dict

    data = {
        "command": "secrets check",
        "passed": code == EXIT_PASS,
        "exit_code": code,
        "summary": _summary(findings),
        "references": rows,
        "findings": [finding_dict(f) for f in findings],
    }
    return json.dumps(data, indent=2) + "\n"


def _summary(findings: list[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
    for finding in findings:
        counts["waived" if finding.suppressed else finding.severity.value] += 1
    return counts


def _text(rows: list[dict[str, Any]], findings: list[Finding], code: int) -> str:
    out = []
    if rows:
        width = max(len(r["reference"]) for r in rows)
        out.append(f"{'reference':<{width}}  {'status':<10} {'source':<9} detail")
        for row in rows:
            out.append(f"{row['reference']:<{width}}  {row['status']:<10} {row['source']:<9} "
                       f"{row['detail']}")
        out.append("")
    for finding in findings:
        tag = finding.severity.value + (f", {finding.suppressed_by}" if finding.suppressed else "")
        out.append(f"{finding.location() or '-'}: {finding.rule} [{tag}] {finding.message}")
        if finding.fix and not finding.suppressed:
            out.append(f"    fix: {finding.fix}")
    statuses = Counter(r["status"] for r in rows)
    sources = Counter(r["source"] for r in rows if r["status"] == "found")
    by_source = ", ".join(f"{n} {s}" for s, n in sorted(sources.items()))
    summary = _summary(findings)
    verdict = "PASS" if code == EXIT_PASS else "FAIL"
    out.append(f"secrets check: {verdict} — {len(rows)} references: "
               f"{statuses['found']} found{f' ({by_source})' if by_source else ''}, "
               f"{statuses['missing']} missing, {statuses['unresolved']} unresolved; "
               f"{summary['error']} error, {summary['warning']} warning, "
               f"{summary['waived']} waived")
    return "\n".join(out) + "\n"


def cmd_check(args: argparse.Namespace) -> int:
    root = root_of(args)
    if args.files:
        from spine_gates.changed_files import gate_skip_note

        note = gate_skip_note(root, args.files, "secret-refs", "gates secrets check")
        if skipped(note, args.format):
            return 0
    text, code = run_secrets_check(root, args.format, args.require_resolution, args.offline)
    emit(text, args.output)
    return code
