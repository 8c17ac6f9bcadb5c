"""`env:NAME` references: the variable must be set in the environment of this process."""

from __future__ import annotations

import os
from collections.abc import Mapping

from spine_gates.secrets.redact import register_secret
from spine_gates.secrets.refs import SecretRef
from spine_gates.secrets.resolvers.interface import Resolution, Resolver, Status


class EnvResolver(Resolver):
    name = "env"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def resolve(self, refs: list[SecretRef]) -> list[Resolution]:
        out = []
        for ref in refs:
            value = self.environ.get(ref.name)
            if value is None:
                out.append(Resolution(ref, Status.UNRESOLVED, self.name,
                                      f"{ref.name} is not set in the environment"))
            elif not value.strip():
                out.append(Resolution(ref, Status.MISSING, self.name, f"{ref.name} is empty"))
            else:
                # The value is never used, but it is in this process now: scrub it from output.
                register_secret(value)
                out.append(Resolution(ref, Status.FOUND, self.name, f"{ref.name} is set"))
        return out
