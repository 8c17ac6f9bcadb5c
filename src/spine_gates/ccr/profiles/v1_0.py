"""claude-code-router 1.0.x: the 2.0 schema without `fallback` (a failed primary is final)."""

from __future__ import annotations

from spine_gates.ccr.profiles.interface import CcrProfile


class Profile10(CcrProfile):
    name = "1.0"
    package_version = "1.0.73"
    supports_fallback = False
