"""Each provider's signals from the reference notes, reproduced by a fake on 127.0.0.1, end to
end through `gates providers status`: the state, reason and until-time the tool reports."""

from __future__ import annotations

import datetime as _dt
import time

import pytest

from tests.health.fakes import closed_port
from tests.health.health_helpers import provider, role

UTC = _dt.UTC


def _at(text: str | None) -> _dt.datetime:
    assert text, "expected an until-time"
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _near(until: str | None, seconds: float, started: float, ended: float) -> None:
    moment = _at(until).timestamp()
    assert started + seconds - 1.5 <= moment <= ended + seconds + 1.5, (until, seconds)


def _run(run_status, fake, name, **script):
    fake.script(name, **script)
    started = time.time()
    proc = run_status()
    ended = time.time()
    return proc, provider(proc, name), started, ended


def _rfc3339(delta_s: int) -> str:
    moment = _dt.datetime.now(UTC).replace(microsecond=0) + _dt.timedelta(seconds=delta_s)
    return moment.isoformat().replace("+00:00", "Z")


# Anthropic -------------------------------------------------------------------------------------

def test_anthropic_healthy_reports_rate_limit_headers(status, fake):
    reset = _rfc3339(40)
    proc, p, *_ = _run(status, fake, "anthropic", body={"data": []}, headers={
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-limit": "80000",
        "anthropic-ratelimit-tokens-remaining": "79000"})
    assert p["state"] == "healthy"
    assert {"name": "requests", "remaining": 49.0, "limit": 50.0, "reset": reset} in p["limits"]
    assert proc.returncode == 0


def test_anthropic_no_requests_left_is_rate_limited_until_the_header_reset(status, fake):
    reset = _rfc3339(45)
    _, p, *_ = _run(status, fake, "anthropic", body={"data": []}, headers={
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": reset})
    assert p["state"] == "rate_limited"
    assert p["reason"] == "no requests left in this window"
    assert p["until"] == reset


def test_anthropic_429_with_retry_after(status, fake):
    _, p, started, ended = _run(status, fake, "anthropic", status=429,
                                headers={"retry-after": "30"},
                                body={"type": "error", "error": {"type": "rate_limit_error",
                                                                 "message": "slow down"}})
    assert p["state"] == "rate_limited"
    assert p["reason"] == "429 rate_limit_error, retry-after 30 s"
    _near(p["until"], 30, started, ended)


def test_anthropic_529_is_overloaded_with_a_short_open(status, fake):
    _, p, started, ended = _run(status, fake, "anthropic", status=529,
                                body={"type": "error", "error": {"type": "overloaded_error"}})
    assert p["state"] == "overloaded"
    assert p["reason"] == "529 overloaded_error"
    _near(p["until"], 30, started, ended)


def test_anthropic_spend_limit_blocks_until_the_first_of_next_month(status, fake):
    _, p, *_ = _run(status, fake, "anthropic", status=429, body={
        "type": "error", "error": {"type": "rate_limit_error", "message": "spend limit",
                                   "details": {"error_code": "enforced_spend_limit_reached"}}})
    now = _dt.datetime.now(UTC)
    first = _dt.datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    assert p["state"] == "quota_exhausted"
    assert p["reason"].startswith("429 enforced_spend_limit_reached")
    assert _at(p["until"]) == first


@pytest.mark.parametrize("code", [401, 403])
def test_anthropic_rejected_key_is_auth_failed_with_no_until(status, fake, code):
    _, p, *_ = _run(status, fake, "anthropic", status=code,
                    body={"type": "error", "error": {"type": "authentication_error"}})
    assert p["state"] == "auth_failed"
    assert p["until"] is None


def test_anthropic_402_billing_error_is_quota(status, fake):
    _, p, *_ = _run(status, fake, "anthropic", status=402,
                    body={"type": "error", "error": {"type": "billing_error"}})
    assert (p["state"], p["until"]) == ("quota_exhausted", None)


# OpenAI ----------------------------------------------------------------------------------------

def test_openai_insufficient_quota_is_quota_not_rate_limit(status, fake):
    _, p, *_ = _run(status, fake, "openai", status=429, body={"error": {
        "message": "You exceeded your current quota", "type": "insufficient_quota",
        "code": "insufficient_quota"}})
    assert p["state"] == "quota_exhausted"
    assert p["reason"].startswith("429 insufficient_quota")
    assert p["until"] is None


@pytest.mark.parametrize("code", ["credit_balance_exhausted", "monthly_spend_limit_exceeded",
                                  "organization_usage_limit_exceeded"])
def test_openai_quota_codes(status, fake, code):
    _, p, *_ = _run(status, fake, "openai", status=429,
                    body={"error": {"type": "requests", "code": code}})
    assert p["state"] == "quota_exhausted"
    assert code in p["reason"]


def test_openai_rate_limit_exceeded_waits_for_the_duration_reset(status, fake):
    _, p, started, ended = _run(status, fake, "openai", status=429, headers={
        "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-tokens": "1000",
        "x-ratelimit-reset-tokens": "12ms"},
        body={"error": {"type": "requests", "code": "rate_limit_exceeded"}})
    assert p["state"] == "rate_limited"
    assert p["reason"] == "429 rate_limit_exceeded"
    _near(p["until"], 360, started, ended)
    requests = next(lim for lim in p["limits"] if lim["name"] == "requests")
    assert (requests["remaining"], requests["limit"]) == (0.0, 500.0)


def test_openai_healthy_shows_remaining_requests_and_tokens(status, fake):
    _, p, started, ended = _run(status, fake, "openai", body={"data": []}, headers={
        "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms", "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "29000", "x-ratelimit-reset-tokens": "1m30s"})
    assert p["state"] == "healthy"
    tokens = next(lim for lim in p["limits"] if lim["name"] == "tokens")
    assert tokens["remaining"] == 29000.0
    _near(tokens["reset"], 90, started, ended)


# OpenRouter ------------------------------------------------------------------------------------

def test_openrouter_key_endpoint_reports_credits(status, fake):
    _, p, *_ = _run(status, fake, "openrouter", body={"data": {
        "limit": 20, "limit_remaining": 12.5, "limit_reset": None, "usage": 7.5,
        "is_free_tier": False}})
    assert p["state"] == "healthy"
    assert p["limits"][0]["name"] == "credits"
    assert (p["limits"][0]["remaining"], p["limits"][0]["limit"]) == (12.5, 20.0)
    assert [s.path for s in fake.seen if s.provider == "openrouter"] == ["/openrouter/api/v1/key"]


def test_openrouter_key_limit_reached_resets_with_its_period(status, fake):
    _, p, *_ = _run(status, fake, "openrouter", body={"data": {
        "limit": 10, "limit_remaining": 0, "limit_reset": "daily", "usage": 10}})
    tomorrow = (_dt.datetime.now(UTC) + _dt.timedelta(days=1)).date()
    assert p["state"] == "quota_exhausted"
    assert _at(p["until"]) == _dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day,
                                           tzinfo=UTC)


def test_openrouter_free_daily_requests_used_up_marks_free_models_only(status, fake):
    proc, p, *_ = _run(status, fake, "openrouter", body={"data": {
        "limit": None, "limit_remaining": None, "usage": 0, "is_free_tier": True,
        "free_model_daily_requests": {"used": 50, "limit": 50, "remaining": 0}}})
    assert p["state"] == "healthy"
    assert set(p["models"]) == {"z-ai/glm-4.5-air:free", "qwen/qwen3-coder:free"}
    assert p["models"]["z-ai/glm-4.5-air:free"]["state"] == "quota_exhausted"
    chain = {e["ref"]: e["state"] for e in role(proc, "background")["chain"]}
    assert chain["openrouter/z-ai/glm-4.5-air:free"] == "quota_exhausted"
    assert {e["ref"]: e["state"] for e in role(proc, "architect")["chain"]}[
        "openrouter/anthropic/claude-opus-4-5"] == "healthy"


@pytest.mark.parametrize("source,words", [("openrouter_credits", "account credits exhausted"),
                                          ("openrouter_key_limit", "key spending limit")])
def test_openrouter_402_limit_source_is_quota(status, fake, source, words):
    _, p, *_ = _run(status, fake, "openrouter", status=402, body={"error": {
        "code": 402, "message": "Insufficient credits", "metadata": {"limit_source": source}}})
    assert p["state"] == "quota_exhausted"
    assert source in p["reason"] and words in p["reason"]


def test_openrouter_in_flight_budget_is_transient(status, fake):
    _, p, started, ended = _run(status, fake, "openrouter", status=402,
                                headers={"retry-after": "5"}, body={"error": {
                                    "code": 402, "metadata": {
                                        "limit_source": "openrouter_in_flight_budget"}}})
    assert p["state"] == "rate_limited"
    _near(p["until"], 5, started, ended)


def test_openrouter_429_uses_its_rate_limit_reset_header(status, fake):
    reset_ms = int((time.time() + 20) * 1000)
    _, p, *_ = _run(status, fake, "openrouter", status=429,
                    headers={"x-ratelimit-limit": "20", "x-ratelimit-remaining": "0",
                             "x-ratelimit-reset": str(reset_ms)},
                    body={"error": {"code": 429, "message": "Rate limit exceeded",
                                    "metadata": {"error_type": "rate_limit_exceeded"}}})
    assert p["state"] == "rate_limited"
    assert p["reason"] == "429 rate_limit_exceeded"
    assert abs(_at(p["until"]).timestamp() - reset_ms / 1000) < 1.5


# NVIDIA NIM ------------------------------------------------------------------------------------

def test_nim_429_body_shape(status, fake):
    _, p, started, ended = _run(status, fake, "nvidia_nim", status=429,
                                body={"status": 429, "title": "Too Many Requests"})
    assert p["state"] == "rate_limited"
    assert p["reason"] == "429 Too Many Requests (NIM body)"
    _near(p["until"], 60, started, ended)


def test_nim_long_lockout_hint(status, fake):
    _, p, started, ended = _run(status, fake, "nvidia_nim", status=429, body={
        "status": 429, "title": "Too Many Requests", "detail": "Please try again in 5 hours"})
    assert p["state"] == "rate_limited"
    _near(p["until"], 5 * 3600, started, ended)


def test_nim_catalogue_success_says_capacity_is_unproven(status, fake):
    _, p, *_ = _run(status, fake, "nvidia_nim", body={"data": []})
    assert p["state"] == "healthy"
    assert "capacity unproven" in p["reason"]


# Z.ai ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,state", [
    ("1302", "rate_limited"), ("1303", "rate_limited"), ("1305", "rate_limited"),
    ("1312", "overloaded"),
    ("1113", "quota_exhausted"), ("1304", "quota_exhausted"), ("1308", "quota_exhausted"),
    ("1309", "quota_exhausted"), ("1310", "quota_exhausted"), ("1311", "auth_failed")])
def test_zai_business_code_decides_not_the_status(status, fake, code, state):
    _, p, *_ = _run(status, fake, "zai", status=429,
                    body={"error": {"code": code, "message": "…"}})
    assert p["state"] == state
    assert p["reason"].startswith(f"code {code}:")
    if state == "rate_limited":
        assert p["until"] is not None
    if state in ("quota_exhausted", "auth_failed") and code != "1308":
        assert p["until"] is None


def test_zai_usage_cap_resets_at_next_flush_time(status, fake):
    flush = _dt.datetime.now(UTC).replace(microsecond=0) + _dt.timedelta(hours=3)
    _, p, *_ = _run(status, fake, "zai", status=429, body={"error": {
        "code": "1308", "message": "usage cap", "next_flush_time": int(flush.timestamp() * 1000)}})
    assert p["state"] == "quota_exhausted"
    assert p["reason"] == "code 1308: usage cap reached, resets at next_flush_time"
    assert _at(p["until"]) == flush


# LM Studio and transport -----------------------------------------------------------------------

def test_lmstudio_down_is_connection_refused(status, fake, health_env):
    port = closed_port()
    env = dict(health_env, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
        local_lmstudio=f"http://127.0.0.1:{port}/v1"))
    p = provider(status(env=env), "local_lmstudio")
    assert p["state"] == "unreachable"
    assert p["reason"] == "connection refused"


def test_lmstudio_model_not_listed_is_degraded_for_that_model(status, fake):
    proc, p, *_ = _run(status, fake, "local_lmstudio", body={"data": [{"id": "qwen3-32b"}]})
    assert p["state"] == "healthy"
    assert p["models"]["qwen2.5-coder"]["state"] == "degraded"
    assert "qwen3-32b" not in p.get("models", {})


def test_hanging_provider_is_unreachable_within_the_timeout(status, fake):
    fake.script("zai", body={"data": []}, delay=30)
    started = time.monotonic()
    proc = status("--timeout", "1", "--deadline", "3")
    elapsed = time.monotonic() - started
    p = provider(proc, "zai")
    assert p["state"] == "unreachable"
    assert p["reason"] == "no answer within 1 s"
    assert elapsed < 3.0
    assert provider(proc, "anthropic")["state"] == "healthy"


def test_a_redirect_is_not_followed_and_carries_no_key(status, fake):
    fake.script("openai", status=302, headers={"location": fake.url("stolen", "/models")})
    p = provider(status(), "openai")
    assert p["state"] == "degraded"
    assert "redirect" in p["reason"]
    assert not [s for s in fake.seen if s.provider == "stolen"]
