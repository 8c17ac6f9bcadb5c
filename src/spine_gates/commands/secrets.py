"""`gates secrets check`: inline-secret detection plus reference resolution, run through the gate
runner, with a table that says which source answered for each reference (infisical / cache /
manifest / env).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from spine_gates.checks.interface import GateDefinition
from spine_gates.commands import emit, root_of, skipped
from spine_gates.errors import EXIT_PASS
from spine_gates.finding import Finding


# `secrets check` is the secrets pack plus reference resolution, run as one gate by the runner
# (waivers, ordering, pass/fail); it is not in gates/ because `gates run all` already runs both
# halves (registry-policy, secret-refs). Its options are the check's own spec.
def secrets_gate(require: bool, offline: bool) -> GateDefinition:
    return GateDefinition(
        name="secrets-check",
        description="SEC-* detection and secret reference resolution",
        checks=({"kind": "policy", "packs": ["secrets"]},
                {"kind": "secret_refs", "require_resolution": require, "offline": offline}),
    )


# The runner reports waivers that can never match (WAIVER-002/003) in every gate run; this
# command never listed them, and its report stays as it was.
_NOT_LISTED = frozenset({"WAIVER-002", "WAIVER-003"})


def run_secrets_check(root: Path, fmt: str = "text", require: bool = False,
                      offline: bool = False, minimum: str | None = None,
                      quiet: bool = False) -> tuple[str, int]:
    """(report text, exit code); exit 1 when any unwaived error remains. `minimum` and `quiet`
    narrow what the report lists, as for gate runs (commands/display.py)."""
    from spine_gates.checks.interface import prepare
    from spine_gates.gates import run_gate
    from spine_gates.secrets import resolve

    ctx = prepare(root, {"no_baseline": True})
    result = run_gate(secrets_gate(require, offline), ctx)
    findings = [f for f in result.findings if f.rule not in _NOT_LISTED]
    answers = ctx.options.get("secret_resolutions", {})
    uses = resolve.collect_refs(ctx.model.view(), ctx.model.line_of)
    code = result.exit_code
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
    shown = findings
    if minimum or quiet:
        from spine_gates.commands.display import listed

        shown = listed(findings, minimum, active_only=quiet and fmt == "text")
    if fmt == "json":
        return _json(rows, findings, shown, code), code
    if quiet:
        return _findings_text(shown), code
    return _text(rows, findings, shown, code), code


def _json(rows: list[dict[str, Any]], findings: list[Finding], shown: list[Finding],
          code: int) -> str:
    from spine_gates.report.envelope import dumps
    from spine_gates.report.json_format import finding_dict

    data = {
        "command": "secrets check",
        "passed": code == EXIT_PASS,
        "exit_code": code,
        "summary": _summary(findings),
        "references": rows,
        "findings": [finding_dict(f) for f in shown],
    }
    return dumps(data)


def _summary(findings: list[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
    for finding in findings:
        counts["waived" if finding.suppressed else finding.severity.value] += 1
    return counts


def _finding_lines(findings: list[Finding]) -> list[str]:
    out = []
    for finding in findings:
        tag = finding.severity.value + (f", {finding.suppressed_by}" if finding.suppressed else "")
        out.append(f"{finding.location() or '-'}: {finding.rule} [{tag}] {finding.message}")
        if finding.fix and not finding.suppressed:
            out.append(f"    fix: {finding.fix}")
    return out


def _findings_text(findings: list[Finding]) -> str:
    """`--quiet`: the findings alone, nothing on a clean run."""
    return "".join(f"{line}\n" for line in _finding_lines(findings))


def _text(rows: list[dict[str, Any]], findings: list[Finding], shown: list[Finding],
          code: int) -> str:
    out = []
    if rows:
        width = max(len(r["reference"]) for r in rows)
        out.append(f"{'reference':<{width}}  {'status':<10} {'source':<9} detail")
        for row in rows:
            out.append(f"{row['reference']:<{width}}  {row['status']:<10} {row['source']:<9} "
                       f"{row['detail']}")
        out.append("")
    out += _finding_lines(shown)
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
        if skipped(note, args.format, args.quiet):
            return 0
    text, code = run_secrets_check(root, args.format, args.require_resolution, args.offline,
                                   args.severity, args.quiet)
    emit(text, args.output)
    return code
