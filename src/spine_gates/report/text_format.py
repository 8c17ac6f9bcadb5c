"""Human-readable report; colour only on a TTY and never when NO_COLOR is set.

Every value from the spine goes through `visible` before it is painted, so the only escape
sequences on the terminal are the report's own colours.
"""

from __future__ import annotations

from spine_gates.checks.interface import GateResult
from spine_gates.finding import Finding, Severity
from spine_gates.printable import visible

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _line(finding: Finding, colour: bool) -> list[str]:
    where = visible(finding.location() or "-")
    rule, message = visible(finding.rule), visible(finding.message)
    tag = finding.severity.value
    if finding.suppressed:
        tag = f"{tag}, {visible(finding.suppressed_by)}"
        head = f"{where}: {rule} [{tag}] {message}"
        return [_paint(head, "2", colour), f"    ({visible(finding.suppression_reason)})"]
    head = f"{where}: {_paint(rule, _COLOURS[finding.severity], colour)} [{tag}] {message}"
    lines = [head]
    if finding.fix:
        lines.append(f"    fix: {visible(finding.fix)}")
    return lines


def render(result: GateResult, colour: bool = False) -> str:
    out: list[str] = []
    for finding in result.findings:
        out.extend(_line(finding, colour))
    summary = result.summary()
    verdict = _paint("PASS", "32", colour) if result.passed else _paint("FAIL", "31", colour)
    counts = ", ".join(f"{summary[k]} {k}" for k in ("error", "warning", "info"))
    suppressed = f"{summary['waived']} waived, {summary['baselined']} baselined"
    gates = f" ({visible(', '.join(result.gates))})" if result.gate == "all" else ""
    out.append(f"gate {visible(result.gate)}{gates}: {verdict} — {counts}; {suppressed}; "
               f"{len(result.files)} files checked")
    return "\n".join(out) + "\n"
