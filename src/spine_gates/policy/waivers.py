"""Waivers: a reasoned, owned, expiring exception for a rule at a file and/or pointer.

A waived finding is counted, never hidden. An expired waiver waives nothing and is itself reported
(WAIVER-001), so the violation is back in the result with the reason it was waived.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import load_yaml

WAIVERS_FILE = "waivers.yaml"
_FIELDS = {"rule", "file", "pointer", "reason", "owner", "expires"}


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    owner: str
    expires: _dt.date
    file: str = ""
    pointer: str = ""
    source: str = WAIVERS_FILE
    line: int | None = None

    def covers(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.file and finding.file != self.file:
            return False
        under = finding.pointer.startswith(self.pointer.rstrip("/") + "/")
        return not self.pointer or finding.pointer == self.pointer or under


def load_waivers(root: Path, name: str = WAIVERS_FILE) -> list[Waiver]:
    path = root / name
    if not path.exists() and not path.is_symlink():  # a broken link is an error, not "none"
        return []
    document = load_yaml(path, name)
    data = document.data
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise InputError("expected a top-level 'waivers:' list", name, 1)
    waivers = []
    for index, raw in enumerate(data["waivers"]):
        line = document.line_of(f"/waivers/{index}")
        if not isinstance(raw, dict):
            raise InputError("each waiver must be a mapping", name, line)
        unknown = set(raw) - _FIELDS
        if unknown:
            raise InputError(f"unknown waiver field {sorted(unknown)[0]!r}", name, line)
        for required in ("rule", "reason", "owner", "expires"):
            if not raw.get(required):
                raise InputError(f"waiver needs {required!r}", name, line)
        try:
            expires = _dt.date.fromisoformat(str(raw["expires"])[:10])
        except ValueError:
            raise InputError(f"'expires' must be a YYYY-MM-DD date, not {raw['expires']!r}",
                             name, document.line_of(f"/waivers/{index}/expires")) from None
        waivers.append(
            Waiver(
                rule=str(raw["rule"]),
                reason=str(raw["reason"]).strip(),
                owner=str(raw["owner"]),
                expires=expires,
                file=str(raw.get("file") or ""),
                pointer=str(raw.get("pointer") or ""),
                source=name,
                line=line,
            )
        )
    return waivers


def apply_waivers(findings: list[Finding], waivers: list[Waiver],
                  today: _dt.date) -> list[Finding]:
    """Mark findings covered by a live waiver; report expired waivers that still match."""
    out: list[Finding] = []
    expired_hits: dict[int, Waiver] = {}
    for finding in findings:
        if finding.suppressed:
            out.append(finding)
            continue
        match = None
        for index, waiver in enumerate(waivers):
            if waiver.covers(finding):
                if waiver.expires >= today:
                    match = waiver
                    break
                expired_hits[index] = waiver
        if match is not None:
            out.append(finding.suppress(
                "waiver", f"{match.reason} ({match.owner}, until {match.expires})"))
        else:
            out.append(finding)
    for waiver in expired_hits.values():
        out.append(
            Finding(
                rule="WAIVER-001",
                severity=Severity.WARNING,
                title="Waiver has expired",
                message=(f"the waiver for {waiver.rule} ({waiver.owner}: {waiver.reason}) "
                         f"expired on {waiver.expires}; its findings count again"),
                file=waiver.source,
                line=waiver.line,
                pointer="",
                fix="Fix the finding, or renew the waiver with a new expiry and a reason.",
            )
        )
    return out
