"""Writing init's plan all or nothing: every file is staged beside its target first, then the
staged files are renamed into place; any failure removes what was created and restores what was
merged, so the spine is as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.init.plan import Action, Change


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _target(root: Path, change: Change) -> Path:
    """Where a change lands: through links that stay inside the spine root, never outside it."""
    path = (root / change.path).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InputError("resolves outside the spine root; init writes only inside it",
                         change.path)
    return path


def apply_plan(root: Path, changes: list[Change]) -> None:
    writes = [c for c in changes if c.action in (Action.CREATE, Action.MERGE)]
    targets = [_target(root, c) for c in writes]  # all checked before anything is written
    new_mode = _umask_mode()
    made_dirs: list[Path] = []
    staged: list[tuple[Path, Path, bytes | None]] = []  # (temp file, target, original bytes)
    placed: list[tuple[Path, bytes | None]] = []
    try:
        for change, target in zip(writes, targets, strict=True):
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made_dirs.append(folder)
            original = target.read_bytes() if change.action is Action.MERGE else None
            mode = (target.stat().st_mode & 0o7777) if original is not None else new_mode
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".init")
            staged.append((Path(name), target, original))
            with os.fdopen(fd, "wb") as handle:
                handle.write((change.content or "").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(name, mode)
        for tmp, target, original in staged:
            os.replace(tmp, target)
            placed.append((target, original))
    except OSError as exc:
        _roll_back(staged, placed, made_dirs)
        where = exc.filename or root
        raise InputError(f"cannot write ({exc.strerror or exc}); nothing written",
                         str(where)) from None
    except BaseException:
        _roll_back(staged, placed, made_dirs)
        raise


def _roll_back(staged: list[tuple[Path, Path, bytes | None]],
               placed: list[tuple[Path, bytes | None]], made_dirs: list[Path]) -> None:
    for tmp, _, _ in staged:
        tmp.unlink(missing_ok=True)
    for target, original in reversed(placed):
        with contextlib.suppress(OSError):  # best effort: the error raised says what went wrong
            if original is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(original)
    for folder in reversed(made_dirs):
        with contextlib.suppress(OSError):
            folder.rmdir()
