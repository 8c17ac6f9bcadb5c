"""Where a report goes with `--output FILE` (and `compile ccr --out FILE`): what is there decides.

`-` and a descriptor's alias (`/dev/stdout`, `/dev/fd/N`) are the process's own streams; a
character device (`/dev/null`, a terminal) or a FIFO is written through; a regular file, or a link
to one, is replaced atomically at the link's target, keeping the file's mode; a missing file in an
existing folder is created with the umask's mode. Anything else is bad input (exit 3): replacing
it would turn a block device, a directory's name, a socket or a dangling link into a report, and
as root even `/dev/null`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError

_FD_PATH = re.compile(r"/(?:dev/fd|proc/self/fd|proc/(\d+)/fd)/(\d+)")
_MAX_LINKS = 40  # the kernel's own limit on links followed in one lookup


@dataclass(frozen=True)
class OutputTarget:
    """What `--output` names: `kind` is stdout, fd, file, new, char or fifo."""

    kind: str
    path: Path | None = None
    fd: int | None = None
    mode: int | None = None  # the file's permission bits to keep, or the new file's


def _descriptor(name: str) -> int | None:
    """The open descriptor `name` stands for (`/dev/stdout` -> 1), following links by name.

    Resolving such a link on disk would name whatever the descriptor is open on, and replacing
    that file would leave the descriptor writing to a deleted one."""
    current = name
    for _ in range(_MAX_LINKS):
        match = _FD_PATH.fullmatch(os.path.normpath(os.path.abspath(current)))
        if match and match.group(1) in (None, str(os.getpid())):
            return int(match.group(2))
        try:
            target = os.readlink(current)
        except OSError:
            return None
        current = os.path.join(os.path.dirname(current), target)
    return None


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def resolve_output(output: str) -> OutputTarget:
    """Classify `output`, refusing what can never take a report (InputError, exit 3)."""
    if output == "-":
        return OutputTarget("stdout")
    fd = _descriptor(output)
    if fd is not None:
        return OutputTarget("fd", fd=fd)
    path = Path(output)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError("--output is a dangling link (its target does not exist); "
                             "nothing written", output) from None
        if not path.parent.is_dir():
            raise InputError("--output folder does not exist", output) from None
        return OutputTarget("new", path, mode=_umask_mode())
    except NotADirectoryError:
        raise InputError("--output folder does not exist", output) from None
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            raise  # the CLI's handler reports these with the name shortened
        raise InputError(f"cannot use --output: {exc.strerror or exc}", output) from None
    kind = info.st_mode
    if stat.S_ISREG(kind):
        return OutputTarget("file", Path(os.path.realpath(path)), mode=stat.S_IMODE(kind))
    if stat.S_ISCHR(kind):
        return OutputTarget("char", path)
    if stat.S_ISFIFO(kind):
        return OutputTarget("fifo", path)
    what = ("a directory" if stat.S_ISDIR(kind) else "a block device" if stat.S_ISBLK(kind)
            else "a socket" if stat.S_ISSOCK(kind) else "not a regular file")
    raise InputError(f"--output is {what}; write to a file, a FIFO, a character device or "
                     "'-' (stdout); nothing written", output)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _write_through(target: OutputTarget, output: str, payload: bytes) -> None:
    assert target.path is not None
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC
    if target.kind == "fifo":
        flags |= os.O_NONBLOCK  # with no reader, open fails at once (ENXIO) instead of waiting
    try:
        fd = os.open(target.path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO and target.kind == "fifo":
            raise InputError("FIFO has no reader (start the reader first); nothing written",
                             output) from None
        raise InputError(f"cannot write --output: {exc.strerror or exc}", output) from None
    try:
        opened = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(opened) or stat.S_ISFIFO(opened)):  # swapped since we looked
            raise InputError("--output changed while being written; nothing written", output)
        os.set_blocking(fd, True)
        _write_all(fd, payload)
    except OSError as exc:  # the reader went away, the device refused
        raise InputError(f"cannot write --output: {exc.strerror or exc}", output) from None
    finally:
        os.close(fd)


def write_output(output: str, text: str) -> None:
    """Write `text` (already redacted) where `output` says; InputError (exit 3) if it cannot."""
    target = resolve_output(output)
    if target.kind == "stdout" or (target.kind == "fd" and target.fd in (1, 2)):
        stream = sys.stderr if target.fd == 2 else sys.stdout
        stream.write(text)
        stream.flush()
        return
    payload = text.encode("utf-8")
    if target.kind == "fd":
        assert target.fd is not None
        try:
            _write_all(target.fd, payload)
        except OSError as exc:
            raise InputError(f"cannot write --output: {exc.strerror or exc}", output) from None
        return
    if target.kind in ("char", "fifo"):
        _write_through(target, output, payload)
        return
    assert target.path is not None
    try:
        write_atomic(target.path, payload, target.mode)
    except OSError as exc:  # a read-only or special file system, no space
        raise InputError(f"cannot write --output: {exc.strerror or exc}", output) from None
