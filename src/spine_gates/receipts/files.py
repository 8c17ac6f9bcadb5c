"""Reading the receipt store's files (envelopes, keys) without ever blocking or growing unbounded.

The store is writable by whoever can write to the worktree, so a FIFO, a device or a link to
`/dev/zero` may sit where a receipt or a key should be: those are reported, never read.
"""

from __future__ import annotations

import os
import stat


class NotRegular(OSError):
    """A FIFO, socket or device where a regular file should be."""


class TooLarge(OSError):
    """A regular file over the limit its reader set."""


def read_regular(path: str, limit: int | None = None) -> bytes:
    """A regular file's bytes. O_NONBLOCK so that opening a FIFO cannot hang; `limit` bounds
    what is read (TooLarge past it) for files that are small by nature, such as keys."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(path)
        if limit is not None and info.st_size > limit:
            raise TooLarge(path)
        chunks = []
        size = 0
        while chunk := os.read(fd, info.st_size + 1 if info.st_size else 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:  # grew while being read
                raise TooLarge(path)
        return b"".join(chunks)
    finally:
        os.close(fd)
