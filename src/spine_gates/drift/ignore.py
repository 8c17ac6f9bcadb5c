"""Ignore rules: intended local differences, each with a reason, an owner and an expiry.

They come from the provider-drift gate definition (`ignore:` on the drift check) and from the
spine's `ccr.ignore` setting. `gates sync` keeps the live value at an ignored pointer: that is
what a declared local override means.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass
from typing import Any

from spine_gates.errors import InputError

_FIELDS = {"pointer", "reason", "owner", "expires"}


@dataclass(frozen=True)
class IgnoreRule:
    pointer: str
    reason: str
    owner: str
    expires: _dt.date | None
    source: str

    def matches(self, keyed_pointer: str) -> bool:
        """A glob over keyed pointers (`/Providers/*/api_base_url`), or an ancestor pointer."""
        return fnmatch.fnmatchcase(keyed_pointer, self.pointer) or \
            keyed_pointer.startswith(self.pointer.rstrip("/") + "/")

    def expired(self, today: _dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def describe(self) -> str:
        until = f", until {self.expires.isoformat()}" if self.expires else ""
        return f"ignored: {self.reason} ({self.owner}{until})"


def parse_rules(raw: Any, source: str) -> list[IgnoreRule]:
    """Validate a list of ignore rules; a malformed rule is bad input (exit 3)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError("'ignore' must be a list of {pointer, reason, owner, expires}", source)
    rules = []
    for index, item in enumerate(raw):
        where = f"ignore rule {index + 1}"
        if not isinstance(item, dict):
            raise InputError(f"{where} must be a mapping", source)
        unknown = sorted(set(item) - _FIELDS)
        if unknown:
            raise InputError(f"{where} has unknown field {unknown[0]!r}", source)
        for key in ("pointer", "reason", "owner"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise InputError(f"{where} needs a non-empty {key!r}", source)
        if not item["pointer"].startswith("/"):
            raise InputError(f"{where}: pointer must start with '/'", source)
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = _dt.date.fromisoformat(expires)
            except ValueError:
                raise InputError(f"{where}: expires {expires!r} is not YYYY-MM-DD",
                                 source) from None
        elif expires is not None and not isinstance(expires, _dt.date):
            raise InputError(f"{where}: expires must be a YYYY-MM-DD date", source)
        rules.append(IgnoreRule(item["pointer"], item["reason"].strip(), item["owner"].strip(),
                                expires, source))
    return rules
