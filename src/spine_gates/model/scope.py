"""The spine's scope: a file the spine names must resolve inside the spine root.

Registries, SSOT paths, inject files, scenarios, policies, waivers and `receipts/keys` are the
spine's files; a link from one of them to a file outside the root would make the gate read (and
print, and sign) something the spine does not own. Paths the user types on the command line are
the user's choice and do not come through here.
"""

from __future__ import annotations

import os
from pathlib import Path

from spine_gates.errors import InputError


def _resolved(path: Path) -> str | None:
    """`path` with every link followed; a link loop resolves to where it loops (no error here:
    the reader reports a loop as unreadable, with the file's name)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):  # a NUL byte, an unreadable name: the reader reports it
        return None


def _within(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def inside_root(root: Path, rel: str | Path, name: str | None = None) -> Path:
    """`root / rel`, checked to resolve inside `root` after every link is followed.

    A path that does not exist yet is judged by what exists of it (its resolved parent), so a
    missing file is still reported as missing by whoever reads it. Raises InputError (exit 3)
    without opening the file when it leaves the root.
    """
    candidate = root / rel
    real_root, real = _resolved(root), _resolved(candidate)
    if real_root is not None and real is not None and not _within(real, real_root):
        raise InputError(
            "resolves outside the spine root (a link or '..' leaves it); the spine's files "
            "must live inside it, so it was not read", name or str(rel))
    return candidate


def is_inside_root(root: Path, path: Path) -> bool:
    """Whether `path` resolves inside `root` (for walks that skip rather than fail)."""
    real_root, real = _resolved(root), _resolved(path)
    return real_root is not None and real is not None and _within(real, real_root)
