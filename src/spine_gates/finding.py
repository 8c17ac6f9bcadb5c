"""The one result type: every check yields findings, every report and receipt renders them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (error, warning, info)") from None


@dataclass(frozen=True)
class Finding:
    """One violation, located by file, line and JSON pointer.

    `fingerprint` identifies the finding across line moves (rule, file, pointer, message), so
    baselines and waivers survive edits elsewhere in the file.
    """

    rule: str
    severity: Severity
    message: str
    file: str = ""
    line: int | None = None
    pointer: str = ""
    fix: str = ""
    title: str = ""
    suppressed_by: str = ""  # "", "waiver", "baseline"
    suppression_reason: str = ""
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.fingerprint:
            key = "\x1f".join((self.rule, self.file, self.pointer, self.message))
            digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
            object.__setattr__(self, "fingerprint", digest)

    @property
    def suppressed(self) -> bool:
        return bool(self.suppressed_by)

    def suppress(self, by: str, reason: str) -> Finding:
        return replace(self, suppressed_by=by, suppression_reason=reason)

    def location(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file
