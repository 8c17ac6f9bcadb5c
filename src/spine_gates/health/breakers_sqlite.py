"""The `BreakerStore` of one machine: the `breakers` table of the SQLite state store."""

from __future__ import annotations

import datetime as _dt
import sqlite3

from spine_gates.health.breaker import (
    CLOSED,
    PROVIDER_WIDE,
    Breaker,
    Position,
    Step,
    from_record,
    to_record,
)
from spine_gates.health.state_store import transaction

_COLUMNS = ("position", "state", "reason", "until", "opened_at", "ejections", "api_base")


class SqliteBreakers:
    scope = "machine"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def load(self, provider: str, model: str, credential: str) -> Breaker:
        row = self.conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM breakers WHERE provider = ? AND model = ? AND "
            "credential = ?", (provider, model, credential)).fetchone()
        return CLOSED if row is None else from_record(dict(zip(_COLUMNS, row, strict=True)))

    def update_breaker(self, provider: str, model: str, credential: str, step: Step,
                       now: _dt.datetime) -> Breaker:
        with transaction(self.conn):
            before = self.load(provider, model, credential)
            after = step(before)
            if after == before:
                return after
            if after.position == Position.CLOSED:
                self.conn.execute("DELETE FROM breakers WHERE provider = ? AND model = ? AND "
                                  "credential = ?", (provider, model, credential))
                return after
            rec = to_record(after)
            self.conn.execute(
                f"INSERT OR REPLACE INTO breakers (provider, model, credential, "
                f"{', '.join(_COLUMNS)}, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (provider, model, credential, *(rec[c] for c in _COLUMNS), now.timestamp()))
        return after

    def breaker_models(self, provider: str, credential: str) -> list[str]:
        rows = self.conn.execute("SELECT model FROM breakers WHERE provider = ? AND "
                                 "credential = ? AND model != ?",
                                 (provider, credential, PROVIDER_WIDE)).fetchall()
        return [row[0] for row in rows]

    def count_requests(self, provider: str, credential: str, sent: int,
                       now: _dt.datetime) -> int | None:
        return None  # one machine's count is no budget for a key the team shares
