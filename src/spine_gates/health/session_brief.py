"""`gates session check`: one `provider_brief:` line from the cached state, never blocking.

The foreground reads the SQLite snapshot only (no network, no YAML parsing: a session-start hook
has 15 s and the whole process stays near 100 ms). A stale or missing snapshot starts a detached
`gates providers status` in the background for the next session. Nothing here may fail the
session: every problem becomes the brief's text and the exit code stays 0. What a brief does not
always need (hashing the registries, starting a refresh, the background run's redaction service)
is imported where it is used.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spine_gates.clock import now as clock_now
from spine_gates.errors import InputError
from spine_gates.health import state_store
from spine_gates.health.freshness import cache_ttl_s
from spine_gates.health.router import check_router
from spine_gates.model.discovery import spine_root
from spine_gates.model.scope import is_inside_root
from spine_gates.printable import visible

REFRESH_ENV = "SPINE_GATES_HEALTH_REFRESH"  # "0" disables the background refresh
REFRESH_GRACE_S = 120.0  # a refresh started this recently is still running: do not start another
SESSION_BUSY_MS = 200
ROUTER_TIMEOUT_S = 0.3  # a session-start hook has 15 s; a router that is up answers in ms



def resolve_root(root: str | None, reference: bool = False) -> Path:
    """The spine every other command would act on (`model.discovery`, which loads no YAML);
    ValueError with the brief's wording when there is none."""
    if root is not None and not reference and not Path(root).is_dir():
        raise ValueError(f"--root {root} is not a directory")
    try:
        return spine_root(root, reference=reference)
    except InputError as exc:  # no spine here: say so, never brief the bundled one instead
        raise ValueError(str(exc)) from None


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{max(int(seconds), 0)}s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)}m ago"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def digest_files(root: Path, files: list[str]) -> str:
    """Changes to the registries make a cached state stale (read bytes, no YAML parsing)."""
    import hashlib

    sha = hashlib.sha256()
    for rel in files:
        sha.update(rel.encode())
        if not is_inside_root(root, root / rel):  # never read: the status run refuses it
            sha.update(b"outside")
            continue
        try:
            sha.update(hashlib.sha256((root / rel).read_bytes()).digest())
        except OSError:
            sha.update(b"missing")
    return sha.hexdigest()


def brief_lines(payload: Mapping[str, Any], age_s: float, note: str) -> list[str]:
    roles = payload.get("roles") or []
    providers = payload.get("providers") or []
    counts = {s: sum(1 for r in roles if r.get("status") == s)
              for s in ("healthy", "degraded", "down")}
    healthy_providers = sum(1 for p in providers if p.get("state") == "healthy")
    parts = [f"roles {counts['healthy']} healthy, {counts['degraded']} degraded, "
             f"{counts['down']} down", f"providers {healthy_providers}/{len(providers)} healthy",
             f"checked {_ago(age_s)}"]
    if payload.get("offline"):
        parts.append("offline check")
    if note:
        parts.append(note)
    lines = ["provider_brief: " + "; ".join(parts)]
    for role in roles:
        chain = role.get("chain") or []
        head = chain[0] if chain else None
        if head is None or head.get("state") == "healthy":
            continue
        until = f" until {head['until']}" if head.get("until") else ""
        serving = role.get("serving") or "nothing (role down)"
        lines.append(f"provider_warning: role {role.get('role')}: primary {head.get('ref')} is "
                     f"{head.get('state') or 'unknown'}{until} ({head.get('reason')}); "
                     f"serving {serving}")
    return [visible(line) for line in lines]  # one line each, whatever a ref or reason holds


def _spawn_refresh(conn: Any, root: Path, now: float) -> str:
    """Start a detached `gates providers status` unless one started recently; say what happened."""
    import subprocess

    try:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT started_at, finished_at FROM refreshes WHERE root = ?",
                           (str(root),)).fetchone()
        running = row is not None and row[1] is None and now - row[0] < REFRESH_GRACE_S
        if not running:
            conn.execute("INSERT OR REPLACE INTO refreshes (root, started_at, finished_at, error)"
                         " VALUES (?, ?, NULL, NULL)", (str(root), now))
        conn.execute("COMMIT")
    except Exception as exc:  # busy beyond the short timeout, or not a database
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return f"refresh not started (state store: {exc})"
    if running:
        return "refresh already running"
    subprocess.Popen(
        [sys.executable, "-m", "spine_gates", "providers", "status", "--root", str(root),
         "--format", "json", "--session-refresh"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True, cwd=str(root))
    return "refreshing in the background"


def session_check(root_arg: str | None, env: Mapping[str, str] | None = None,
                  reference: bool = False, live: str | None = None) -> list[str]:
    """The lines to print. Never raises; sends nothing but one GET of the router's /health on
    127.0.0.1 (bounded by ROUTER_TIMEOUT_S)."""
    env = env if env is not None else os.environ
    try:
        lines = _session_check(root_arg, env, reference)
    except Exception as exc:  # the session must start whatever happens here
        lines = [f"provider_brief: unavailable ({type(exc).__name__}: {exc})"]
    return lines + [visible(line) for line in failover_lines() + router_lines(live, env)]


def failover_lines() -> list[str]:
    """One `provider_failover:` line per recorded override: the active ones (slot, route,
    expiry, reason) and the expired ones still on record (drift until reverted)."""
    import datetime as _dt

    try:
        entries = _recorded_overrides()
        now = clock_now()
    except Exception as exc:  # a corrupt file, a bad SPINE_GATES_NOW: a line, never a failure
        return [f"provider_failover: unknown ({exc})"]
    lines = []
    for entry, expires in entries:
        stamp = expires.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if now < expires:  # the boundary itself is expired, as for the router module
            left = int((expires - now).total_seconds())
            lines.append(f"provider_failover: {entry['slot']} -> {entry['route']} (replaces "
                         f"{entry['replaces']}) until {stamp}, {_left(left)} left: "
                         f"{entry['reason']} [{entry['id']}]")
        else:
            lines.append(f"provider_failover: {entry['slot']} override {entry['id']} expired at "
                         f"{stamp} and is still recorded: `gates failover revert {entry['id']}`")
    return lines


def _recorded_overrides() -> list[tuple[dict[str, Any], Any]]:
    """The override file `failover.overrides` writes, read without importing it (its imports
    cost ~150 ms: the schema and YAML modules); the same corruption is refused in its words."""
    import datetime as _dt

    path = state_store.state_dir() / "overrides.json"

    def bad(what: str) -> InputError:
        return InputError(f"corrupted failover state: {what}; fix or remove the file (removing "
                          "it ends every override)", str(path))

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except ValueError as exc:
        raise bad(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != 1 \
            or not isinstance(data.get("overrides"), list):
        raise bad('expected {"version": 1, "overrides": [...]}')
    out = []
    for index, entry in enumerate(data["overrides"]):
        fields = ("id", "slot", "route", "replaces", "expires_at", "reason")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields):
            raise bad(f"overrides[{index}] lacks one of {', '.join(fields)}")
        try:
            expires = _dt.datetime.fromisoformat(entry["expires_at"].replace("Z", "+00:00"))
        except ValueError:
            raise bad(f"overrides[{index}].expires_at is not an ISO-8601 time") from None
        out.append((entry, expires if expires.tzinfo else expires.replace(tzinfo=_dt.UTC)))
    return out


def _left(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 5400:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def router_lines(live: str | None, env: Mapping[str, str]) -> list[str]:
    """`provider_router:` when the router is set up here and does not answer: every
    proxy-compatible CLI is then stuck, and the line names the way around it."""
    path = Path(live).expanduser() if live else None
    router = check_router(path, env, timeout=ROUTER_TIMEOUT_S)
    if not router.failed:
        return []
    return ["provider_router: " + router.line().removeprefix("router: ")]


def _session_check(root_arg: str | None, env: Mapping[str, str], reference: bool) -> list[str]:
    try:
        root = resolve_root(root_arg, reference)
    except ValueError as exc:
        return [f"provider_brief: unavailable ({exc})"]
    refresh_allowed = env.get(REFRESH_ENV, "1") != "0"
    now = time.time()
    conn = state_store.connect_existing()
    row = None
    last_error = None
    unreadable = ""
    if conn is not None:
        try:
            conn.execute(f"PRAGMA busy_timeout = {SESSION_BUSY_MS}")
            row = conn.execute("SELECT written_at, files, digest, payload FROM snapshots "
                               "WHERE root = ?", (str(root),)).fetchone()
            refresh = conn.execute("SELECT error FROM refreshes WHERE root = ?",
                                   (str(root),)).fetchone()
            last_error = refresh[0] if refresh and refresh[0] else None
        except Exception as exc:  # corrupt, or written by an incompatible version
            row = None
            unreadable = f"state store unreadable ({exc}): delete {state_store.db_path()}"
    stale = True
    payload: dict[str, Any] = {}
    age = 0.0
    if row is not None:
        written_at, files, digest, raw = row
        payload = json.loads(raw)
        age = now - float(written_at)
        ttl = cache_ttl_s(payload, env)
        stale = age > ttl or digest_files(root, json.loads(files)) != digest
    note = ""
    if stale:
        if not refresh_allowed:
            note = "stale (background refresh disabled)"
        else:
            if conn is None:
                conn = state_store.connect()
                conn.execute(f"PRAGMA busy_timeout = {SESSION_BUSY_MS}")
            note = _spawn_refresh(conn, root, now)
            if row is not None:
                note = "stale, " + note
    if conn is not None:
        conn.close()
    if row is None:
        why = unreadable or (f"last refresh failed: {last_error}" if last_error
                             else "no provider state cached")
        return [f"provider_brief: unknown ({why}); {note or 'run `gates providers status`'}"]
    if last_error and stale:
        note += f"; last refresh failed: {last_error}"
    return brief_lines(payload, age, note)


def record_refresh(root: Path, error: str | None) -> None:
    """Called by the background `providers status`: mark the refresh finished (or failed).

    The error is an exception's message (it may quote a URL or value holding a key) and
    `session check` prints it without redacting (speed), so it is scrubbed before it is stored.
    """
    if error:
        from spine_gates.secrets.redact import redact_text  # the background run's only

        error = redact_text(error)
    conn = state_store.connect()
    try:
        with state_store.transaction(conn):
            conn.execute("INSERT OR REPLACE INTO refreshes (root, started_at, finished_at, error)"
                         " VALUES (?, COALESCE((SELECT started_at FROM refreshes WHERE root = ?),"
                         " ?), ?, ?)", (str(root), str(root), time.time(), time.time(), error))
    finally:
        conn.close()
