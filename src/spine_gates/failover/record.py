"""One failed-over router slot, as the override state file and the plan both know it."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from spine_gates.health.state import iso


@dataclass(frozen=True)
class Override:
    """One failed-over slot: `route` replaces `replaces` until `expires_at` (exclusive)."""

    id: str
    slot: str
    route: str  # "provider,model", as the router module returns it
    replaces: str
    created_at: _dt.datetime
    expires_at: _dt.datetime
    reason: str
    evidence: Any
    receipt: str | None = None

    def active(self, now: _dt.datetime) -> bool:
        """In force while now < expires_at; the router module applies the same test."""
        return now < self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "slot": self.slot, "route": self.route,
                "replaces": self.replaces, "created_at": iso(self.created_at),
                "expires_at": iso(self.expires_at), "reason": self.reason,
                "evidence": self.evidence, "receipt": self.receipt}
