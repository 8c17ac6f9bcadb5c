"""Passive signals: 429s and 5xx that real traffic met, folded from claude-code-router's log.

The router (2.0.0) logs pino NDJSON to `~/.claude-code-router/logs/ccr-*.log`; failed upstream
calls carry `Error from provider(p,m: 429): <body>`. The body is classified with the provider's
own dialect, so an `insufficient_quota` seen by real traffic counts as quota evidence. Only the
newest files' tails are read, and only lines inside the window count. Nothing from the log is
ever printed: it holds prompts and, at debug level, upstream keys.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from spine_gates.health import classify
from spine_gates.health.classify import Reply
from spine_gates.health.state import Health, State

WINDOW_S = 900.0
RECENT_429_S = 60.0
MIN_5XX_SAMPLE = 5
TAIL_BYTES = 2 * 1024 * 1024
MAX_FILES = 3

_PROVIDER_ERROR = re.compile(
    r"Error from provider\((?P<provider>[^,()]+),(?P<model>[^()]*?): (?P<status>\d{3})\)"
    r"(?::\s*(?P<body>.*))?", re.S)

Classifier = Callable[[Reply, _dt.datetime], Health]
_CLASSIFIERS: dict[str, Classifier] = {
    "anthropic": classify.classify_anthropic,
    "openai-compatible": classify.classify_openai,
    "openrouter": classify.classify_openrouter_error,
    "nvidia_nim": classify.classify_nim,
    "zai": classify.classify_zai,
    "lmstudio": classify.classify_openai,
}


@dataclass
class Tally:
    """Failures one provider (or provider+model) met in the window."""

    count_429: int = 0
    count_5xx: int = 0
    last_429: _dt.datetime | None = None
    worst: Health | None = None
    models: dict[str, Tally] = field(default_factory=dict)


def log_dir() -> Path:
    return Path.home() / ".claude-code-router" / "logs"


def _lines(directory: Path) -> list[str]:
    try:
        files = sorted(directory.glob("ccr-*.log"))[-MAX_FILES:]
    except OSError:
        return []
    lines: list[str] = []
    for path in files:
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(size - TAIL_BYTES, 0))
                chunk = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        lines.extend(chunk.splitlines())
    return lines


def _text_of(record: dict[str, object]) -> str:
    parts = [str(record.get("msg") or "")]
    err = record.get("err") or record.get("error")
    if isinstance(err, dict):
        parts.append(str(err.get("message") or ""))
    elif isinstance(err, str):
        parts.append(err)
    return "\n".join(parts)


def _note(tally: Tally, health: Health, status: int, at: _dt.datetime) -> None:
    if status == 429:
        tally.count_429 += 1
        tally.last_429 = max(tally.last_429 or at, at)
    elif status >= 500:
        tally.count_5xx += 1
    if tally.worst is None or health.state.rank >= tally.worst.state.rank:
        tally.worst = health


def read_tallies(kinds: Mapping[str, str], now: _dt.datetime, directory: Path | None = None,
                 window_s: float = WINDOW_S) -> dict[str, Tally]:
    """Per provider id (matched case-insensitively to the router's provider name)."""
    by_lower = {ident.lower(): ident for ident in kinds}
    tallies: dict[str, Tally] = {}
    oldest = now - _dt.timedelta(seconds=window_s)
    for line in _lines(directory or log_dir()):
        if "Error from provider(" not in line:
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # a log line is not input we may fail on
            continue
        if not isinstance(record, dict) or not isinstance(record.get("time"), int | float):
            continue
        at = _dt.datetime.fromtimestamp(float(record["time"]) / 1000, _dt.UTC)
        if at < oldest or at > now + _dt.timedelta(seconds=5):
            continue
        match = _PROVIDER_ERROR.search(_text_of(record))
        if not match:
            continue
        ident = by_lower.get(match.group("provider").strip().lower())
        if ident is None:
            continue
        status = int(match.group("status"))
        try:
            body = json.loads(match.group("body") or "null")
        except (ValueError, RecursionError):
            body = None
        reply = Reply(status=status, body=body, path="router traffic")
        health = _CLASSIFIERS.get(kinds[ident], classify.classify_openai)(reply, at)
        tally = tallies.setdefault(ident, Tally())
        _note(tally, health, status, at)
        model = match.group("model").strip()
        if model:
            _note(tally.models.setdefault(model, Tally()), health, status, at)
    return tallies


def fold(tally: Tally | None, now: _dt.datetime) -> Health | None:
    """A passive verdict, or None when the log shows nothing that still matters now."""
    if tally is None or tally.worst is None:
        return None
    worst = tally.worst
    lasting = worst.state in (State.QUOTA_EXHAUSTED, State.AUTH_FAILED)
    if lasting and (worst.until is None or worst.until > now):
        return worst.with_(source="router log", reason=f"router traffic: {worst.reason}")
    if tally.last_429 and now - tally.last_429 < _dt.timedelta(seconds=RECENT_429_S):
        until = worst.until if worst.state == State.RATE_LIMITED and worst.until else (
            tally.last_429 + _dt.timedelta(seconds=RECENT_429_S))
        return Health(State.RATE_LIMITED, f"router traffic: {tally.count_429}× 429 in the last "
                      f"{int(WINDOW_S // 60)} min, latest {tally.last_429:%H:%M:%SZ}", until,
                      source="router log")
    if worst.state == State.OVERLOADED and worst.until and worst.until > now:
        return worst.with_(source="router log", reason=f"router traffic: {worst.reason}")
    if tally.count_5xx >= MIN_5XX_SAMPLE:
        return Health(State.DEGRADED, f"router traffic: {tally.count_5xx} server errors in the "
                      f"last {int(WINDOW_S // 60)} min", source="router log")
    return None
