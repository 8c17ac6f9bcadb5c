"""Per-provider signal parsing: an HTTP reply becomes a state with a reason and an until-time.

Each provider speaks its own dialect (see the reference notes): Anthropic's RFC 3339 reset
headers, OpenAI's duration resets and `insufficient_quota`, OpenRouter's credits and
`limit_source`, NIM's bare `{status, title}` body, Z.ai's business codes. Status codes alone are
not enough: a 429 can mean "wait a second" or "stop until next month". Pure functions, no I/O.

A reason quotes a provider's error code or type only when it is shaped like one (`code`):
providers echo the request's key in error bodies, and a masked piece of it
(`sk-proj-AbCdEfGh****wxyz`) is nothing redaction can recognise.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import math
import re
from dataclasses import dataclass, field
from typing import Any

from spine_gates.health.state import Health, Limit, State, parse_iso

DEFAULT_RATE_WAIT_S = 60.0
DEFAULT_OVERLOAD_WAIT_S = 30.0


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, reduced to what classification needs (headers lower-cased)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # parsed JSON, or None
    latency_ms: float | None = None
    path: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    """A finite number, or None (a provider's `inf` or `nan` is no number)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


# The longest wait a provider's answer may set: whatever it says (a header, a reset, a "try again
# in" text) is capped here, since a value no timedelta holds would crash the classifier.
MAX_WAIT_S = 365 * 86400.0


def later(now: _dt.datetime, seconds: float) -> _dt.datetime:
    """`now` plus a provider-given wait, clamped to 0..MAX_WAIT_S (nan counts as 0)."""
    wait = seconds if math.isfinite(seconds) else (MAX_WAIT_S if seconds > 0 else 0.0)
    return now + _dt.timedelta(seconds=min(max(wait, 0.0), MAX_WAIT_S))


# `rate_limit_exceeded`, `invalid-request.error`, `1113`: lowercase words (up to two trailing
# digits) or short numbers. A key or a piece of one has mixed case, digit runs or long words.
_CODE = re.compile(r"(?:\d{1,6}|[a-z]{1,16}\d{0,2})(?:[_.\-](?:[a-z]{1,16}\d{0,2}|\d{1,4})){0,7}")
UNRECOGNISED = "<unrecognised code>"


def code(value: Any) -> str:
    """A provider's error code or type as a reason may quote it: itself when it is shaped like
    a code, `<unrecognised code>` when it is not (it may be an echoed key), "" when absent."""
    text = str(value or "")
    if not text:
        return ""
    return text if _CODE.fullmatch(text) else UNRECOGNISED


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str | None) -> float | None:
    """OpenAI's reset durations: `6m0s`, `12ms`, `1h2m3.5s`, `20s` -> seconds."""
    if not text:
        return None
    text = text.strip()
    plain = _float(text)
    if plain is not None:
        return plain
    pos, total = 0, 0.0
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    return total if pos == len(text) and pos else None


def retry_after(reply: Reply, now: _dt.datetime) -> _dt.datetime | None:
    """`retry-after` as seconds or an HTTP date."""
    value = reply.header("retry-after")
    if not value:
        return None
    seconds = _float(value)
    if seconds is not None:
        return later(now, seconds)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


def epoch_or_delta(value: Any, now: _dt.datetime) -> _dt.datetime | None:
    """A reset given as epoch milliseconds, epoch seconds, seconds from now, or an ISO time."""
    number = _float(value)
    if number is None:
        return parse_iso(value) if isinstance(value, str) else None
    if number > 1e9:  # epoch milliseconds, or seconds (a past one stays past: already reset)
        epoch = number / 1000 if number > 1e12 else number
        if epoch - now.timestamp() > MAX_WAIT_S:
            return later(now, MAX_WAIT_S)
        return _dt.datetime.fromtimestamp(epoch, _dt.UTC)
    return later(now, number)


def next_day(now: _dt.datetime) -> _dt.datetime:
    return (now + _dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def next_week(now: _dt.datetime) -> _dt.datetime:
    days = 7 - now.weekday()
    return (now + _dt.timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)


def next_month(now: _dt.datetime) -> _dt.datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return _dt.datetime(year, month, 1, tzinfo=_dt.UTC)


def _rate_until(reply: Reply, now: _dt.datetime, *candidates: _dt.datetime | None) -> _dt.datetime:
    known = [c for c in (*candidates, retry_after(reply, now)) if c is not None]
    return max(known) if known else now + _dt.timedelta(seconds=DEFAULT_RATE_WAIT_S)


def _generic_status(reply: Reply, now: _dt.datetime, what: str) -> Health | None:
    """The part every provider shares: auth, redirects, server errors."""
    status = reply.status
    if status in (401, 403):
        return Health(State.AUTH_FAILED, f"HTTP {status} from {what}: key rejected",
                      http_status=status)
    if 300 <= status < 400:
        return Health(State.DEGRADED, f"HTTP {status} redirect from {what} (not followed; "
                      "credentials never follow a redirect)", http_status=status)
    if status in (502, 503, 504):
        return Health(State.OVERLOADED, f"HTTP {status} from {what}",
                      _rate_until(reply, now, now + _dt.timedelta(
                          seconds=DEFAULT_OVERLOAD_WAIT_S)), http_status=status)
    if status >= 500:
        return Health(State.DEGRADED, f"HTTP {status} from {what}", http_status=status)
    return None


# Anthropic ---------------------------------------------------------------------------------

_ANTHROPIC_KINDS = ("requests", "tokens", "input-tokens", "output-tokens")


def anthropic_limits(reply: Reply) -> tuple[Limit, ...]:
    limits = []
    for kind in _ANTHROPIC_KINDS:
        remaining = _float(reply.header(f"anthropic-ratelimit-{kind}-remaining"))
        if remaining is None:
            continue
        limits.append(Limit(kind, remaining,
                            _float(reply.header(f"anthropic-ratelimit-{kind}-limit")),
                            parse_iso(reply.header(f"anthropic-ratelimit-{kind}-reset"))))
    return tuple(limits)


def classify_anthropic(reply: Reply, now: _dt.datetime) -> Health:
    limits = anthropic_limits(reply)
    error = _dict(_dict(reply.body).get("error"))
    etype = code(error.get("type"))
    error_code = str(_dict(error.get("details")).get("error_code") or "")
    status = reply.status
    base: dict[str, Any] = {"http_status": status, "limits": limits, "latency_ms": reply.latency_ms}
    if status == 429 and error_code == "enforced_spend_limit_reached":
        return Health(State.QUOTA_EXHAUSTED, "429 enforced_spend_limit_reached: spend limit "
                      "reached, blocked until the 1st of next month", next_month(now),
                      quota_evidence=True, **base)
    if status == 402 or etype == "billing_error":
        return Health(State.QUOTA_EXHAUSTED, f"{status} billing_error: billing problem",
                      quota_evidence=True, **base)
    if status == 529 or etype == "overloaded_error":
        return Health(State.OVERLOADED, f"{status} overloaded_error",
                      _rate_until(reply, now, now + _dt.timedelta(
                          seconds=DEFAULT_OVERLOAD_WAIT_S)), **base)
    if status == 429:
        exhausted = [lim.reset for lim in limits if lim.remaining == 0 and lim.reset]
        wait = _float(reply.header("retry-after"))
        reason = f"429 {etype or 'rate_limit_error'}" + (
            f", retry-after {wait:g} s" if wait is not None else "")
        return Health(State.RATE_LIMITED, reason, _rate_until(reply, now, *exhausted), **base)
    return _header_limited(reply, now, limits, base, etype)


def _header_limited(reply: Reply, now: _dt.datetime, limits: tuple[Limit, ...],
                    base: dict[str, Any], detail: str) -> Health:
    """The answer once provider-specific errors are ruled out: the generic statuses, then a 2xx
    whose rate-limit headers may still say a window is used up (Anthropic and OpenAI alike)."""
    status = reply.status
    generic = _generic_status(reply, now, reply.path or "the API")
    if generic:
        return generic.with_(limits=limits, latency_ms=reply.latency_ms)
    if 200 <= status < 300:
        empty = [lim for lim in limits if lim.remaining == 0]
        if empty:
            until = max((lim.reset for lim in empty if lim.reset), default=None)
            return Health(State.RATE_LIMITED, f"no {empty[0].name} left in this window",
                          until or now + _dt.timedelta(seconds=DEFAULT_RATE_WAIT_S), **base)
        return Health(State.HEALTHY, f"{reply.path or 'API'} answered {status}", **base)
    return Health(State.DEGRADED, f"unexpected HTTP {status} {detail}".rstrip(), **base)


# OpenAI-compatible -------------------------------------------------------------------------

_OPENAI_QUOTA_CODES = {"insufficient_quota", "credit_balance_exhausted",
                       "organization_usage_limit_exceeded"}


def openai_limits(reply: Reply, now: _dt.datetime) -> tuple[Limit, ...]:
    limits = []
    for kind in ("requests", "tokens"):
        remaining = _float(reply.header(f"x-ratelimit-remaining-{kind}"))
        if remaining is None:
            continue
        reset_s = parse_duration(reply.header(f"x-ratelimit-reset-{kind}"))
        reset = later(now, reset_s) if reset_s is not None else None
        limits.append(Limit(kind, remaining, _float(reply.header(f"x-ratelimit-limit-{kind}")),
                            reset))
    return tuple(limits)


def _is_openai_quota(error_code: str, etype: str) -> bool:
    return (error_code in _OPENAI_QUOTA_CODES or etype in _OPENAI_QUOTA_CODES
            or error_code.endswith("_spend_limit_exceeded"))


def classify_openai(reply: Reply, now: _dt.datetime) -> Health:
    limits = openai_limits(reply, now)
    error = _dict(_dict(reply.body).get("error"))
    error_code = code(error.get("code"))
    etype = code(error.get("type"))
    status = reply.status
    base: dict[str, Any] = {"http_status": status, "limits": limits, "latency_ms": reply.latency_ms}
    if status == 429 and _is_openai_quota(error_code, etype):
        return Health(State.QUOTA_EXHAUSTED, f"429 {error_code or etype}: quota exhausted, do "
                      "not retry (billing must change)", quota_evidence=True, **base)
    if status == 429:
        exhausted = [lim.reset for lim in limits if lim.remaining == 0 and lim.reset]
        return Health(State.RATE_LIMITED, f"429 {error_code or etype or 'rate_limit_exceeded'}",
                      _rate_until(reply, now, *exhausted), **base)
    return _header_limited(reply, now, limits, base, error_code)


# OpenRouter --------------------------------------------------------------------------------

def _openrouter_reset(period: Any, now: _dt.datetime) -> _dt.datetime | None:
    return {"daily": next_day, "weekly": next_week, "monthly": next_month}.get(
        str(period or "").lower(), lambda _now: None)(now)


def classify_openrouter_key(reply: Reply, now: _dt.datetime,
                            models: tuple[str, ...] = ()) -> Health:
    """`GET /api/v1/key`: auth and credits in one call; this one measures quota itself."""
    status = reply.status
    if status != 200:
        return classify_openrouter_error(reply, now)
    data = _dict(_dict(reply.body).get("data"))
    limits: list[Limit] = []
    limit = _float(data.get("limit"))
    remaining = _float(data.get("limit_remaining"))
    reset = _openrouter_reset(data.get("limit_reset"), now)
    if limit is not None or remaining is not None:
        limits.append(Limit("credits", remaining, limit, reset))
    free = _dict(data.get("free_model_daily_requests"))
    free_remaining = _float(free.get("remaining"))
    model_states: dict[str, Health] = {}
    if free:
        limits.append(Limit("free requests today", free_remaining, _float(free.get("limit")),
                            next_day(now)))
        if free_remaining is not None and free_remaining <= 0:
            for model in models:
                if model.endswith(":free"):
                    model_states[model] = Health(
                        State.QUOTA_EXHAUSTED, "free-model daily requests used up",
                        next_day(now), http_status=status, quota_evidence=True)
    base: dict[str, Any] = {"http_status": status, "limits": tuple(limits),
                            "latency_ms": reply.latency_ms, "quota_evidence": True,
                            "models": model_states}
    if remaining is not None and remaining <= 0:
        when = f", resets {data.get('limit_reset')}" if reset else ""
        return Health(State.QUOTA_EXHAUSTED, f"key credit limit reached{when}", reset, **base)
    return Health(State.HEALTHY, "key valid, credits available", **base)


def classify_openrouter_error(reply: Reply, now: _dt.datetime) -> Health:
    error = _dict(_dict(reply.body).get("error"))
    meta = _dict(error.get("metadata"))
    source = code(meta.get("limit_source"))
    status = reply.status
    reset_header = reply.header("x-ratelimit-reset")
    header_reset = epoch_or_delta(reset_header, now) if reset_header else None
    base: dict[str, Any] = {"http_status": status, "latency_ms": reply.latency_ms}
    if status == 402 and source == "openrouter_in_flight_budget":
        return Health(State.RATE_LIMITED, "402 openrouter_in_flight_budget (transient)",
                      _rate_until(reply, now, header_reset), **base)
    if status == 402:
        what = {"openrouter_credits": "account credits exhausted",
                "openrouter_key_limit": "key spending limit reached"}.get(source,
                                                                        "payment required")
        return Health(State.QUOTA_EXHAUSTED, f"402 {source or 'payment_required'}: {what}",
                      quota_evidence=True, **base)
    if status == 429:
        kind = code(meta.get("error_type")) or "rate_limit_exceeded"
        return Health(State.RATE_LIMITED, f"429 {kind}", _rate_until(reply, now, header_reset),
                      **base)
    generic = _generic_status(reply, now, reply.path or "the API")
    if generic:
        return generic.with_(latency_ms=reply.latency_ms)
    return classify_openai(reply, now)


# NVIDIA NIM --------------------------------------------------------------------------------

_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?", re.I)


def classify_nim(reply: Reply, now: _dt.datetime) -> Health:
    body = _dict(reply.body)
    status = reply.status
    base: dict[str, Any] = {"http_status": status, "latency_ms": reply.latency_ms}
    if status == 429:
        text = " ".join(str(body.get(k) or "") for k in ("title", "detail", "message"))
        match = _TRY_AGAIN.search(text)
        hinted = None
        if match:
            unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[match.group(2).lower()]
            hinted = later(now, float(match.group(1)) * unit)
        shape = "NIM" if "title" in body else "OpenAI-shaped"
        hint = f", {match.group(0)}" if match else ""
        return Health(State.RATE_LIMITED, f"429 Too Many Requests ({shape} body{hint})",
                      _rate_until(reply, now, hinted), **base)
    generic = _generic_status(reply, now, reply.path or "the API")
    if generic:
        return generic.with_(latency_ms=reply.latency_ms)
    if 200 <= status < 300:
        return Health(State.HEALTHY, "catalogue reachable (capacity unproven: NIM has no "
                      "usage endpoint)", **base)
    return classify_openai(reply, now)


# Z.ai --------------------------------------------------------------------------------------

ZAI_BACKOFF = {"1302": "concurrency limit", "1303": "request frequency limit",
               "1305": "traffic limit"}
ZAI_OVERLOADED = {"1312": "model overloaded"}
ZAI_QUOTA = {"1113": "account balance exhausted", "1304": "daily call limit reached",
             "1308": "usage cap reached", "1309": "plan expired",
             "1310": "weekly/monthly limit reached"}
ZAI_CONFIG = {"1311": "model not in plan"}


def _find_key(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for item in value.values():
            found = _find_key(item, key)
            if found is not None:
                return found
    return None


def classify_zai(reply: Reply, now: _dt.datetime) -> Health:
    """HTTP 429 means many things at Z.ai: the body's business `code` decides."""
    body = _dict(reply.body)
    error = _dict(body.get("error"))
    business = code(error.get("code") or body.get("code"))
    status = reply.status
    base: dict[str, Any] = {"http_status": status, "latency_ms": reply.latency_ms}
    if business in ZAI_BACKOFF:
        return Health(State.RATE_LIMITED, f"code {business}: {ZAI_BACKOFF[business]}",
                      _rate_until(reply, now), **base)
    if business in ZAI_OVERLOADED:
        return Health(State.OVERLOADED, f"code {business}: {ZAI_OVERLOADED[business]}",
                      _rate_until(reply, now, now + _dt.timedelta(
                          seconds=DEFAULT_OVERLOAD_WAIT_S)), **base)
    if business in ZAI_QUOTA:
        flush = _find_key(body, "next_flush_time")
        until = epoch_or_delta(flush, now) if flush is not None else None
        when = ", resets at next_flush_time" if until else ""
        return Health(State.QUOTA_EXHAUSTED, f"code {business}: {ZAI_QUOTA[business]}{when}",
                      until, quota_evidence=True, **base)
    if business in ZAI_CONFIG:
        return Health(State.AUTH_FAILED, f"code {business}: {ZAI_CONFIG[business]}", **base)
    if status == 429:
        return Health(State.RATE_LIMITED, f"429 with unknown business code {business or '-'}",
                      _rate_until(reply, now), **base)
    return classify_openai(reply, now)


# LM Studio ---------------------------------------------------------------------------------

def model_ids(reply: Reply) -> set[str]:
    """Model ids from an OpenAI-style `/models` list (`data: [{id}]`)."""
    data = _dict(reply.body).get("data")
    if not isinstance(data, list):
        return set()
    return {str(item.get("id")) for item in data if isinstance(item, dict) and item.get("id")}


def classify_lmstudio(reply: Reply, now: _dt.datetime, models: tuple[str, ...] = ()) -> Health:
    if not 200 <= reply.status < 300:
        return classify_openai(reply, now)
    listed = model_ids(reply)
    missing = {m: Health(State.DEGRADED, "not in LM Studio's model list (not downloaded or "
                         "not loaded; the first call may load it slowly)",
                         http_status=reply.status)
               for m in models if m not in listed}
    reason = f"{len(listed)} model(s) listed"
    if missing:
        reason += f"; missing {', '.join(sorted(missing))}"
    return Health(State.HEALTHY, reason, http_status=reply.status, latency_ms=reply.latency_ms,
                  models=missing)
