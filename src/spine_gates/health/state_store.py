"""The health state store: one SQLite file in the user state directory.

`$XDG_STATE_HOME/spine-gates/health.sqlite3` (default `~/.local/state/…`), so tests relocate it
with XDG_STATE_HOME. Safe under concurrent runs: WAL (readers never wait for the writer), a busy
timeout, and `BEGIN IMMEDIATE` around every read-modify-write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

DB_NAME = "health.sqlite3"
BUSY_TIMEOUT_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS breakers (
  provider TEXT NOT NULL, model TEXT NOT NULL, credential TEXT NOT NULL,
  position TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
  until REAL, opened_at REAL, ejections INTEGER NOT NULL DEFAULT 0,
  api_base TEXT NOT NULL DEFAULT '', updated_at REAL NOT NULL,
  PRIMARY KEY (provider, model, credential));
CREATE TABLE IF NOT EXISTS samples (
  provider TEXT NOT NULL, at REAL NOT NULL, latency_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS samples_by_provider ON samples (provider, at);
CREATE TABLE IF NOT EXISTS snapshots (
  root TEXT PRIMARY KEY, written_at REAL NOT NULL, files TEXT NOT NULL, digest TEXT NOT NULL,
  payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refreshes (
  root TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL, error TEXT);
"""


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "spine-gates"


def db_path() -> Path:
    return state_dir() / DB_NAME


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the store for writing."""
    import sqlite3

    path = path or db_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL-safe; a cache need not fsync every commit
    conn.executescript(_SCHEMA)
    return conn


def connect_existing(path: Path | None = None) -> sqlite3.Connection | None:
    """Open an existing store, or None: the session fast path never creates anything."""
    import sqlite3

    path = path or db_path()
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """An IMMEDIATE transaction: take the write lock up front so read-modify-write is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
