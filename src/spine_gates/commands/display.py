"""What a findings report lists under `--severity` and `--quiet`; never what the run decided.

The exit code, the pass/fail verdict, the summary counts and the receipt all come from the whole
run: these options only narrow the findings a report lists. `--quiet` follows ruff's: the text
report keeps the active findings alone (no summary line, no waived or baselined findings); the
machine formats keep their shape.
"""

from __future__ import annotations

import dataclasses

from spine_gates.checks.interface import GateResult
from spine_gates.finding import Finding, Severity


@dataclasses.dataclass(frozen=True)
class ShownResult(GateResult):
    """A result that lists fewer findings while its summary still counts every one."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return dict(self.counts)


def listed(findings: tuple[Finding, ...] | list[Finding], minimum: str | None,
           active_only: bool = False) -> list[Finding]:
    """The findings at or above `minimum` (all when None); without suppressed ones if asked."""
    rank = Severity.parse(minimum).rank if minimum else 0
    return [f for f in findings
            if f.severity.rank >= rank and not (active_only and f.suppressed)]


def shown(result: GateResult, minimum: str | None, active_only: bool = False) -> GateResult:
    """`result` listing only the findings a reader asked to see."""
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(GateResult)}
    fields.update(findings=tuple(listed(result.findings, minimum, active_only)),
                  members=tuple(shown(m, minimum, active_only) for m in result.members))
    return ShownResult(**fields, counts=result.summary())


def without_summary(text: str) -> str:
    """The text report without its last line, the summary (`--quiet`)."""
    return "".join(text.splitlines(keepends=True)[:-1])
