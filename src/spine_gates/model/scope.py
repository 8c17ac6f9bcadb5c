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


def inside_root(root: Path, rel: str | Path, name: str | None = None) -> Path:
    """`root / rel`, checked to resolve inside `root` after every link is followed.

    A path that does not exist yet is judged by what exists of it (its resolved parent), so a
    missing file is still reported as missing by whoever reads it. Raises InputError (exit 3)
    without opening the file when it leaves the root.
    """
    shown = name or str(rel)
    candidate = root / rel
    try:
        resolved_root = root.resolve(strict=False)
        resolved = candidate.resolve(strict=False)
    except RuntimeError:  # a link loop on Python < 3.13
        raise InputError("path is a symbolic link loop", shown) from None
    except OSError as exc:
        raise InputError(f"cannot resolve: {exc.strerror or exc}", shown) from None
    if resolved != resolved_root and not resolved.is_relative_to(resolved_root):
        raise InputError(
            "resolves outside the spine root (a link or '..' leaves it); the spine's files "
            "must live inside it", shown)
    return candidate


def is_inside_root(root: Path, path: Path) -> bool:
    """Whether `path` resolves inside `root` (for walks that skip rather than fail)."""
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return False
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)
