"""The spine's drift-gate convention: `D<N> PASS: …` on stdout or `D<N> FAIL: …` on stderr.

The CLI prints PASS lines to stdout and FAIL lines to stderr; this module only builds the lines.
Only the exit code counts in the spine; a line never contains `Traceback` or `ERROR:`, and
stays one line: values from the spine are made visible (a newline in a message is `\\n`).
"""

from __future__ import annotations

from spine_gates.checks.interface import GateResult
from spine_gates.printable import visible


def gate_id(result: GateResult) -> str:
    return result.spine_gate_id or "D0"


def render(result: GateResult, colour: bool = False) -> str:
    """One line per gate; for `all`, a line for each gate under its own spine gate id."""
    if result.members:
        return "".join(_line(member) for member in result.members)
    return _line(result)


def _line(result: GateResult) -> str:
    summary = result.summary()
    ident, gate = visible(gate_id(result)), visible(result.gate)
    if result.passed:
        return (f"{ident} PASS: spine-gates {gate}: {len(result.files)} files, "
                f"{summary['warning']} warning(s), {summary['waived']} waived\n")
    first = result.active[0] if result.active else None
    detail = (f"; first: {visible(first.location())} {visible(first.rule)} "
              f"{visible(first.message)}" if first else "")
    return (f"{ident} FAIL: spine-gates {gate}: {summary['error']} error(s), "
            f"{summary['warning']} warning(s){detail}\n")
