"""The resolver interface: a source that says whether referenced secrets exist.

A resolver never returns a value. Each answer names its source (`infisical`, `cache`,
`manifest`, `env`) so the output can say who vouched for a reference.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

from spine_gates.secrets.refs import SecretRef


class Status(StrEnum):
    FOUND = "found"
    MISSING = "missing"  # the source answered: no such secret
    UNRESOLVED = "unresolved"  # the source could not answer (unreachable, not configured, denied)


@dataclass(frozen=True)
class Resolution:
    ref: SecretRef
    status: Status
    source: str
    detail: str = ""


class Resolver(ABC):
    """One source of truth about secret existence."""

    name: str = ""

    @abstractmethod
    def resolve(self, refs: list[SecretRef]) -> list[Resolution]:
        """One resolution per ref, in order; never raises for an unreachable source."""
