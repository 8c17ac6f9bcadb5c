"""Receipt storage: `receipts/<yyyy>/<mm>/<run-key>.dsse.json` plus an append-only index.

Concurrent gate runs serialize on an fcntl lock, so each receipt names the true previous one.
A write is three steps: the envelope goes to `.pending.dsse.json` (fsynced), its index line is
appended (one `write`), then the envelope is renamed into place. A writer that dies before its
index line leaves no receipt (the next writer discards the pending file: a crashed run writes
none); one that dies after it is completed by the next writer (the index names the digest). One
fsync a receipt keeps signing and writing within a few milliseconds; after a power loss, any torn
state is one that `verify` reports, never one it accepts.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.receipts import dsse
from spine_gates.receipts.keys import SigningKey
from spine_gates.receipts.statement import run_key

RECEIPTS_DIR = "receipts"
INDEX_FILE = "index.jsonl"
LOCK_FILE = ".lock"
PENDING_FILE = ".pending.dsse.json"
SUFFIX = ".dsse.json"


@dataclass(frozen=True)
class IndexEntry:
    seq: int
    path: str  # relative to the receipts folder
    digest: str  # "sha256:<hex>" of the envelope file's bytes
    run_key: str
    line: int

    def to_line(self) -> str:
        return json.dumps({"seq": self.seq, "path": self.path, "digest": self.digest,
                           "runKey": self.run_key}, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class WrittenReceipt:
    path: Path
    digest: str
    run_key: str
    seq: int


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def receipts_dir(root: Path) -> Path:
    return root / RECEIPTS_DIR


@contextmanager
def _flocked(fd: int, mode: int) -> Iterator[None]:
    """Hold `flock(fd, mode)` for the block, then unlock and close `fd`."""
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _open_lock(directory: Path) -> int:
    return os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the receipts lock: one writer at a time across processes."""
    directory.mkdir(parents=True, exist_ok=True)
    with _flocked(_open_lock(directory), fcntl.LOCK_EX):
        yield


@contextmanager
def reading(directory: Path) -> Iterator[None]:
    """Hold the receipts lock shared while taking a snapshot of the store (index and files).

    A writer holds it exclusively from writing the pending file to the rename, so a reader never
    sees an index line whose file is not in place yet (a false "interrupted write"), and readers
    do not block each other. A store that does not exist, or cannot hold a lock file (read-only
    checkout), is read without one: there is no writer to wait for there."""
    try:
        fd = _open_lock(directory) if directory.is_dir() else None
    except OSError:
        fd = None
    if fd is None:
        yield
        return
    with _flocked(fd, fcntl.LOCK_SH):
        yield


def parse_index_line(text: str, line: int) -> IndexEntry:
    """One index line; ValueError says what is wrong with it."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("index line is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("index line is not an object")
    seq, path, digest, key = (data.get(k) for k in ("seq", "path", "digest", "runKey"))
    if not (isinstance(seq, int) and isinstance(path, str) and isinstance(digest, str)
            and isinstance(key, str)):
        raise ValueError("index line needs seq, path, digest, runKey")
    return IndexEntry(seq, path, digest, key, line)


def read_index(directory: Path) -> tuple[list[tuple[int, str]], bool]:
    """The index as (line number, text) pairs, and whether it ends with a newline (every append
    writes a whole line, so a missing one means a torn or truncated write).

    A missing index is an empty chain. An index that exists but cannot be read (a directory, a
    FIFO, no permission, a dangling link) is an InputError: there is nothing to verify, and
    treating it as empty would pass a broken store. Lines are split on `\n` only, so the numbers
    are the ones an editor shows even when the file holds binary garbage.
    """
    path = directory / INDEX_FILE
    name = f"{RECEIPTS_DIR}/{INDEX_FILE}"
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError("is a dangling symbolic link, expected the receipt index",
                             name) from None
        return [], True
    except OSError as exc:
        raise InputError(f"cannot read the receipt index: {exc.strerror or exc}", name) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file, expected the receipt index (JSON lines)", name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the receipt index: {exc.strerror or exc}", name) from None
    text = data.decode("utf-8", "replace")
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    return lines, not data or data.endswith(b"\n")


def _tail(directory: Path) -> IndexEntry | None:
    """The last index entry, read from the end of the file (the chain head)."""
    path = directory / INDEX_FILE
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        block = min(size, 8192)
        handle.seek(size - block)
        data = handle.read(block)
    name = f"{RECEIPTS_DIR}/{INDEX_FILE}"
    if not data.endswith(b"\n"):
        raise InputError("the last index line is incomplete; run `gates receipts verify`", name)
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    try:
        return parse_index_line(last, 0)
    except ValueError as exc:
        raise InputError(f"the last index line is unreadable ({exc})", name) from None


def _append_index(directory: Path, entry: IndexEntry) -> None:
    """One `write` on an O_APPEND descriptor: a reader sees the whole line or none of it."""
    fd = os.open(directory / INDEX_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, entry.to_line().encode("utf-8"))
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_forward(directory: Path, head: IndexEntry | None) -> None:
    """Finish or discard what a writer that died left in the pending file."""
    pending = directory / PENDING_FILE
    if not pending.exists():
        return
    target = directory / head.path if head is not None else None
    if (head is not None and target is not None and not target.exists()
            and digest_bytes(pending.read_bytes()) == head.digest):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(pending, target)  # the index already names it: complete the rename
    else:
        pending.unlink()  # it never reached the index: that run wrote no receipt


def write_receipt(root: Path, key: SigningKey, gate: str,
                  build: Callable[[str, _dt.datetime, str | None], dict[str, Any]],
                  when: _dt.datetime, directory: Path | None = None) -> WrittenReceipt:
    """Sign and store the statement `build(run_key, when, previous_digest)` as the chain's head.

    Everything from reading the head to placing the envelope happens under the lock. `directory`
    is another chain's folder (failover receipts live in the user's state dir), default
    `<root>/receipts/`.
    """
    directory = directory or receipts_dir(root)
    with locked(directory):
        head = _tail(directory)
        _roll_forward(directory, head)
        month = directory / f"{when:%Y}" / f"{when:%m}"
        month.mkdir(parents=True, exist_ok=True)
        key_value = run_key(gate, when)
        while (month / f"{key_value}{SUFFIX}").exists():
            key_value = run_key(gate, when)
        statement = build(key_value, when, head.digest if head else None)
        payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
        data = dsse.sign(payload, key).to_bytes()
        path = month / f"{key_value}{SUFFIX}"
        entry = IndexEntry((head.seq + 1) if head else 1, path.relative_to(directory).as_posix(),
                           digest_bytes(data), key_value, 0)
        pending = directory / PENDING_FILE
        _write_synced(pending, data)
        _append_index(directory, entry)
        os.replace(pending, path)
    return WrittenReceipt(path, entry.digest, key_value, entry.seq)


def stored_envelopes(directory: Path) -> list[str]:
    """Every envelope under `receipts/<yyyy>/<mm>/`, relative and sorted (for orphan detection):
    the entries the globs `[0-9]{4}/[0-9]{2}/*.dsse.json` match, listed with `os.scandir`."""
    found: list[str] = []
    for year in _scan(os.fspath(directory)):
        if len(year.name) == 4 and year.name.isdigit() and year.name.isascii() and year.is_dir():
            for month in _scan(year.path):
                if (len(month.name) == 2 and month.name.isdigit() and month.name.isascii()
                        and month.is_dir()):
                    found.extend(f"{year.name}/{month.name}/{item.name}"
                                 for item in _scan(month.path)
                                 if item.name.endswith(SUFFIX) and not item.name.startswith("."))
    return sorted(found)


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
