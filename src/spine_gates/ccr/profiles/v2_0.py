"""claude-code-router 2.0.x: top-level `fallback` lists per scenario (the target profile)."""

from __future__ import annotations

from spine_gates.ccr.profiles.interface import CcrProfile


class Profile20(CcrProfile):
    name = "2.0"
    package_version = "2.0.0"
    supports_fallback = True
