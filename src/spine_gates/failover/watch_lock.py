"""One watcher per live config: an fcntl lock on `watch-<key>.lock` beside the override file.

The lock is taken without waiting and held for the watcher's life; the kernel drops it when the
process ends, however it ends (a SIGKILLed watcher never leaves a stale lock). The file holds
the holder's pid, for the message the second watcher prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.failover.watch_state import live_key
from spine_gates.health.state_store import state_dir


class WatcherRunning(Exception):
    """Another process holds this live config's watcher lock."""

    def __init__(self, live: Path, pid: str) -> None:
        super().__init__(f"another failover watcher (pid {pid or '?'}) is watching {live}")
        self.live = live
        self.pid = pid


def lock_path(live: Path) -> Path:
    return state_dir() / f"watch-{live_key(live)}.lock"


@contextmanager
def watching(live: Path) -> Iterator[None]:
    """Hold the watcher lock for `live`; WatcherRunning at once when another process has it."""
    path = lock_path(live)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InputError(f"cannot lock the failover watcher: {exc}", str(path)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise WatcherRunning(live, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
