"""Text and JSON views of a StatusReport and the progress line; every output is scrubbed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from spine_gates.health.state import Health, iso
from spine_gates.model.role_status import RoleStatus
from spine_gates.printable import visible, visible_lines
from spine_gates.report.envelope import dumps

if TYPE_CHECKING:  # the command imports this module before the probes start: keep it light
    from spine_gates.health.provider_status import StatusReport
    from spine_gates.health.targets import ProviderTarget


def scrub(text: str, keys: list[str]) -> str:
    """Replace any key that slipped into text with its fingerprint (defence in depth)."""
    from spine_gates.secrets.redact import redact_text, register_secret  # after the probes start

    for key in keys:
        register_secret(key)
    return redact_text(text)


def _quota(health: Health) -> str:
    return ", ".join(limit.describe() for limit in health.limits) or "-"


def _reset(health: Health) -> str:
    if health.until:
        return iso(health.until) or "-"
    resets = sorted(limit.reset for limit in health.limits if limit.reset)
    return (iso(resets[0]) or "-") if resets else "-"


def _latency(health: Health) -> str:
    return f"{health.latency_ms:.0f} ms" if health.latency_ms is not None else "-"


def render_text(report: StatusReport) -> str:
    rows = [("PROVIDER", "STATE", "LATENCY", "QUOTA/RATE", "RESET", "REASON")]
    notes: dict[int, list[str]] = {}
    for status in report.providers:
        h = status.health
        rows.append((visible(status.id), h.state.value, _latency(h), visible(_quota(h)),
                     _reset(h), visible(h.reason)))
        notes[len(rows) - 1] = [
            f"  model {name}: {m.state.value}" + (f" until {iso(m.until)}" if m.until else "")
            + f" ({m.reason})" for name, m in sorted(h.models.items())]
        if status.budget is not None:
            notes[len(rows) - 1].append(f"  {status.budget.describe()}")
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    mode = "offline (breakers and router log only)" if report.offline else "probed"
    lines = [f"providers ({mode}, {iso(report.checked_at)})"]
    if report.state_store:
        lines.append(f"state: {report.state_store}, shared by the team")
    for index, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
        lines.extend(notes.get(index, []))
    lines.append("")
    if report.router is not None:
        lines.append(visible(report.router.line()))
        lines.append("")
    lines.append("roles")
    width = max([len(visible(v.role)) for v in report.roles] + [4])
    for view in report.roles:
        serving = view.serving or "nothing"
        lines.append(f"{visible(view.role).ljust(width)}  {view.status.value:<8}  "
                     f"serving {serving}")
        if view.status != RoleStatus.HEALTHY:
            head = view.chain[0] if view.chain else None
            if head is not None:
                state = head.state.value if head.state else "unknown"
                until = f" until {head.until}" if head.until else ""
                lines.append(f"  primary {head.ref} is {state}{until} ({head.reason})")
            lines.append(f"  suggestion: {view.suggestion}")
            for slot, value in view.router_changes.items():
                lines.append(f'  router change: {slot}: "{value}"')
    counts = {s: sum(1 for v in report.roles if v.status == s) for s in RoleStatus}
    lines.append("")
    lines.append(f"{counts[RoleStatus.HEALTHY]} healthy, {counts[RoleStatus.DEGRADED]} degraded, "
                 f"{counts[RoleStatus.DOWN]} down ({report.duration_ms:.0f} ms)")
    return visible_lines(lines)


def render_json(report: StatusReport) -> str:
    return dumps(report.to_json())


class Progress:
    """`probing 3/6: anthropic rate_limited` on one rewritten stderr line, only on a TTY."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.active = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.drawn = False

    def __call__(self, target: ProviderTarget, health: Health, done: int, total: int) -> None:
        if not self.active:
            return
        self.stream.write(f"\r\033[Kprobing {done}/{total}: {visible(target.id)} "
                          f"{health.state.value}")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
