"""The sync stamp: what `gates sync` last wrote, kept next to the live config.

It lets the drift gate tell *pending* (the SSOT changed since the last sync) from *drift* (the
live file was edited). It holds the compiled config, which carries `$NAME` placeholders only.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path
from typing import Any

from spine_gates.atomic import write_atomic

STAMP_SUFFIX = ".spine-gates-sync"


def stamp_path(live: Path) -> Path:
    return live.with_name(live.name + STAMP_SUFFIX)


def read_stamp(live: Path) -> dict[str, Any] | None:
    """The last sync's stamp, or None (never synced, or a stamp we cannot trust)."""
    try:
        data = json.loads(stamp_path(live).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("compiled"), dict):
        return None
    return data


def synced_config(stamp: dict[str, Any] | None, profile: str) -> dict[str, Any] | None:
    """What the last sync wrote, if it wrote it for this profile (another profile compiles
    differently, so its config says nothing about pending changes)."""
    if stamp and stamp.get("profile") == profile:
        compiled: dict[str, Any] = stamp["compiled"]
        return compiled
    return None


def write_stamp(live: Path, compiled: dict[str, Any], written: bytes, profile: str,
                root: str) -> dict[str, Any]:
    stamp = {
        "version": 1,
        "synced_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "profile": profile,
        "root": root,
        "live_sha256": hashlib.sha256(written).hexdigest(),
        "compiled": compiled,
    }
    write_atomic(stamp_path(live), json.dumps(stamp, indent=2) + "\n", mode=0o600)
    return stamp
