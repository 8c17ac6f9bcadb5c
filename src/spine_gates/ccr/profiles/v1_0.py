"""claude-code-router 1.0.x: the 2.0 schema without `fallback` (a failed primary is final).

Measured on the real 1.0.73 (tests/routing/test_profile_1_0_facts.py): it fills `$NAME` in every
string of the config, `Router` included, and with no providers it still binds 127.0.0.1."""

from __future__ import annotations

from spine_gates.ccr.profiles.interface import CcrProfile


class Profile10(CcrProfile):
    name = "1.0"
    package_version = "1.0.73"
    supports_fallback = False
    interpolated_keys = None
    no_providers_bind = "127.0.0.1"
