"""A TTL cache of Infisical existence answers in the user cache directory.

Only (host, project, environment, path, name) -> found/missing and when it was checked: never a
value. A pre-commit run answers from here without the network (and never writes, so the atomic
writer is imported in `save`). `XDG_CACHE_HOME` relocates it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from spine_gates.secrets.refs import SecretRef

CACHE_FILE = "secret-refs.json"
DEFAULT_TTL_SECONDS = 24 * 3600
NEGATIVE_TTL_SECONDS = 300  # a missing key may be added any minute: re-ask soon


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/spine-gates`, else the platform's user cache folder."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "spine-gates"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "spine-gates"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "spine-gates" / "Cache"
    return Path.home() / ".cache" / "spine-gates"


def _key(scope: str, ref: SecretRef) -> str:
    return hashlib.sha256(f"{scope}\x1f{ref.path}\x1f{ref.name}".encode()).hexdigest()[:32]


class ExistenceCache:
    """`scope` names the Infisical instance, project and environment the answers came from."""

    def __init__(self, scope: str, ttl: float = DEFAULT_TTL_SECONDS,
                 path: Path | None = None) -> None:
        self.scope = scope
        self.ttl = ttl
        self.path = path or cache_dir() / CACHE_FILE
        self._entries: dict[str, dict[str, object]] | None = None
        self._dirty = False

    def _load(self) -> dict[str, dict[str, object]]:
        if self._entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._entries = data if isinstance(data, dict) else {}
            except (OSError, ValueError, RecursionError):
                self._entries = {}  # a missing or corrupt cache is an empty one
        return self._entries

    def get(self, ref: SecretRef, now: float | None = None) -> tuple[bool, float] | None:
        """(exists, age in seconds) if a fresh answer is cached, else None."""
        entry = self._load().get(_key(self.scope, ref))
        if not isinstance(entry, dict):
            return None
        exists, checked = entry.get("exists"), entry.get("checked_at")
        if not isinstance(exists, bool) or not isinstance(checked, int | float):
            return None
        age = (now if now is not None else time.time()) - checked
        ttl = self.ttl if exists else min(self.ttl, NEGATIVE_TTL_SECONDS)
        if age < 0 or age > ttl:
            return None
        return exists, age

    def put(self, ref: SecretRef, exists: bool, now: float | None = None) -> None:
        self._load()[_key(self.scope, ref)] = {
            "exists": exists, "checked_at": now if now is not None else time.time(),
        }
        self._dirty = True

    def save(self) -> None:
        """Write atomically; an unwritable cache costs a network call next time, nothing more."""
        # tempfile: off `secrets check --offline`, which writes no cache
        from spine_gates.atomic import write_atomic

        if self._entries is None or not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(self._entries, indent=1, sort_keys=True) + "\n",
                         mode=0o600)
            self._dirty = False
        except OSError:
            return
