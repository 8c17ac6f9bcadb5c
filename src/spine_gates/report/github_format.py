"""GitHub Actions workflow commands: one annotation per active finding.

GitHub's runner decodes `%25`, `%0D` and `%0A` in a command's data (and also `%3A`, `%2C` in its
properties), so a newline in a message is `%0A`: part of the annotation, never the start of a
forged command. Every other control, bidi or zero-width character is made visible first.
"""

from __future__ import annotations

from spine_gates.checks.interface import GateResult
from spine_gates.finding import Severity
from spine_gates.printable import visible

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return visible(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: GateResult, colour: bool = False) -> str:
    lines = []
    for finding in result.active:
        props = [f"title={_escape_property(finding.rule + ' ' + finding.title).strip()}"]
        if finding.file:
            props.insert(0, f"file={_escape_property(finding.file)}")
            if finding.line:
                props.insert(1, f"line={finding.line}")
        message = finding.message + (f" — fix: {finding.fix}" if finding.fix else "")
        lines.append(f"::{_COMMAND[finding.severity]} {','.join(props)}::{_escape_data(message)}")
    summary = result.summary()
    lines.append(f"gate {visible(result.gate)}: {'PASS' if result.passed else 'FAIL'} "
                 f"({summary['error']} error, {summary['warning']} warning, "
                 f"{summary['waived']} waived)")
    return "\n".join(lines) + "\n"
