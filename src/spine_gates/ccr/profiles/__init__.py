"""Router version profiles, looked up by name (`--profile 2.0|1.0`)."""

from __future__ import annotations

from spine_gates.ccr.profiles.interface import CcrProfile
from spine_gates.ccr.profiles.v1_0 import Profile10
from spine_gates.ccr.profiles.v2_0 import Profile20
from spine_gates.errors import InputError

PROFILES: dict[str, CcrProfile] = {"2.0": Profile20(), "1.0": Profile10()}
DEFAULT_PROFILE = "2.0"


def get_profile(name: str | None) -> CcrProfile:
    """The profile called `name` (default 2.0); 3.x is a different store and not supported."""
    key = name or DEFAULT_PROFILE
    if key not in PROFILES:
        raise InputError(f"unknown claude-code-router profile {key!r} "
                         f"(supported: {', '.join(PROFILES)})")
    return PROFILES[key]


__all__ = ["CcrProfile", "DEFAULT_PROFILE", "PROFILES", "get_profile"]
