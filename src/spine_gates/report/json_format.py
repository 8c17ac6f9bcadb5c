"""The JSON report (shape fixed in DESIGN.md)."""

from __future__ import annotations

from typing import Any

from spine_gates.checks.interface import GateResult
from spine_gates.finding import Finding
from spine_gates.report.envelope import dumps


def finding_dict(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "file": finding.file,
        "line": finding.line,
        "pointer": finding.pointer,
        "message": finding.message,
        "fix": finding.fix,
        "fingerprint": finding.fingerprint,
    }
    if finding.suppressed:
        out["suppressed"] = {"by": finding.suppressed_by, "reason": finding.suppression_reason}
    return out


def result_dict(result: GateResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "gate": result.gate,
        "passed": result.passed,
        "exit_code": result.exit_code,
        "summary": result.summary(),
        "findings": [finding_dict(f) for f in result.findings],
        "receipt": result.extras.get("receipt"),
        "files": list(result.files),
    }
    if result.gate == "all":
        out["gates"] = result.extras.get("gates", {})
    return out


def render(result: GateResult, colour: bool = False) -> str:
    return dumps(result_dict(result))
