"""How a role is served: healthy, degraded (a fallback or a slow primary answers) or down.

One vocabulary for the offline resilience analysis (`routing.resilience`) and live provider
health (`health.roles`); both print these values in text and JSON.
"""

from __future__ import annotations

from enum import StrEnum


class RoleStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
