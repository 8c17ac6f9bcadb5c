"""Breakers: positions and waits, persistence across runs, the quota rule, concurrent writers."""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import sqlite3
from pathlib import Path

from spine_gates.health import breaker, state_store
from spine_gates.health.breaker import CLOSED, Position, advance
from spine_gates.health.breakers_sqlite import SqliteBreakers
from spine_gates.health.state import Health, State
from tests.health.health_helpers import provider

T0 = _dt.datetime(2026, 11, 25, 18, 0, tzinfo=_dt.UTC)
OK = Health(State.HEALTHY, "catalogue answered 200")
QUOTA_HOLD = Health(State.QUOTA_EXHAUSTED, "429 insufficient_quota")
SPEND = {"type": "error", "error": {"type": "rate_limit_error", "details": {
    "error_code": "enforced_spend_limit_reached"}}}


def _s(seconds: float) -> _dt.timedelta:
    return _dt.timedelta(seconds=seconds)


def test_overload_opens_with_exponential_waits_capped_at_300_s():
    b, waits = CLOSED, []
    for i in range(6):
        b = advance(b, Health(State.OVERLOADED, "529"), T0 + _s(i * 1000))
        waits.append((b.until - (T0 + _s(i * 1000))).total_seconds())
    assert waits[:5] == [30, 60, 120, 240, 300]
    assert waits[5] == 300
    assert b.ejections == 6


def test_an_open_breaker_turns_half_open_after_its_wait_and_closes_on_success():
    b = advance(CLOSED, Health(State.UNREACHABLE, "connection refused"), T0)
    assert b.position == Position.OPEN
    assert advance(b, None, T0 + _s(31)).position == Position.HALF_OPEN
    assert advance(b, OK, T0 + _s(31)) == CLOSED



def test_an_open_breaker_turns_half_open_at_its_until_time_not_before():
    b = advance(CLOSED, Health(State.UNREACHABLE, "connection refused"), T0)
    assert b.until is not None
    assert advance(b, None, b.until - _dt.timedelta(microseconds=1)).position == Position.OPEN
    assert advance(b, None, b.until).position == Position.HALF_OPEN


def test_a_rate_limit_hold_ends_at_its_stated_reset_not_before():
    reset = T0 + _s(45)
    b = advance(CLOSED, Health(State.RATE_LIMITED, "429", reset), T0)
    assert advance(b, OK, reset - _dt.timedelta(microseconds=1)).position == Position.OPEN
    assert advance(b, OK, reset) == CLOSED

def test_a_cheap_success_never_closes_a_quota_breaker_without_a_reset():
    b = advance(CLOSED, QUOTA_HOLD, T0)
    assert b.until is None
    for days in (1, 10, 40):
        b = advance(b, OK, T0 + _dt.timedelta(days=days))
        assert (b.position, b.state) == (Position.OPEN, State.QUOTA_EXHAUSTED)


def test_quota_evidence_closes_a_quota_breaker():
    b = advance(CLOSED, QUOTA_HOLD, T0)
    assert advance(b, OK.with_(quota_evidence=True), T0 + _s(5)) == CLOSED


def test_a_quota_breaker_with_a_stated_reset_holds_until_then():
    reset = T0 + _dt.timedelta(days=6)
    b = advance(CLOSED, QUOTA_HOLD.with_(until=reset), T0)
    assert advance(b, OK, reset - _s(1)).position == Position.OPEN
    assert advance(b, OK, reset + _s(1)) == CLOSED


def test_a_lesser_failure_does_not_shorten_a_quota_hold():
    b = advance(CLOSED, QUOTA_HOLD, T0)
    after = advance(b, Health(State.UNREACHABLE, "refused"), T0 + _s(10))
    assert after.state == State.QUOTA_EXHAUSTED and after.until is None


def test_a_rate_limit_holds_until_its_reset_even_if_the_catalogue_answers():
    b = advance(CLOSED, Health(State.RATE_LIMITED, "429", T0 + _s(45)), T0)
    assert advance(b, OK, T0 + _s(20)).position == Position.OPEN
    assert advance(b, OK, T0 + _s(46)) == CLOSED


def test_auth_failure_holds_until_a_probe_succeeds_or_the_config_changes():
    b = advance(CLOSED, Health(State.AUTH_FAILED, "401"), T0, "https://a")
    assert b.until is None
    assert advance(b, None, T0 + _dt.timedelta(days=3), "https://a").position == Position.OPEN
    assert advance(b, None, T0 + _s(1), "https://b") == CLOSED


def test_breakers_persist_per_provider_model_and_credential(tmp_path: Path):
    conn = state_store.connect(tmp_path / "h.sqlite3")
    breaker.update(SqliteBreakers(conn), "openai", "*", "sha256:aaaaaaaa", QUOTA_HOLD, T0,
                   "https://x")
    conn.close()
    conn = state_store.connect(tmp_path / "h.sqlite3")
    store = SqliteBreakers(conn)
    held = breaker.update(store, "openai", "*", "sha256:aaaaaaaa", OK, T0 + _s(60), "https://x")
    other_key = breaker.update(store, "openai", "*", "sha256:bbbbbbbb", OK, T0 + _s(60),
                               "https://x")
    conn.close()
    assert held.state == State.QUOTA_EXHAUSTED and held.source == "breaker"
    assert other_key.state == State.HEALTHY


def test_the_state_store_uses_wal_in_the_xdg_state_dir(status, health_env):
    status()
    path = Path(health_env["XDG_STATE_HOME"]) / "spine-gates" / "health.sqlite3"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_cheap_probe_does_not_heal_a_spend_limit_across_runs(status, fake):
    fake.script("anthropic", status=429, body=SPEND)
    first = provider(status(), "anthropic")
    fake.script("anthropic", body={"data": []})
    second_proc = status()
    second = provider(second_proc, "anthropic")
    assert first["state"] == second["state"] == "quota_exhausted"
    assert second["source"] == "breaker"
    assert "breaker open since" in second["reason"]
    assert second["until"] == first["until"]
    assert second_proc.returncode == 1


def test_openrouter_credits_back_closes_its_quota_breaker(status, fake):
    fake.script("openrouter", status=402, body={"error": {"metadata": {
        "limit_source": "openrouter_credits"}}})
    assert provider(status(), "openrouter")["state"] == "quota_exhausted"
    fake.all_healthy()
    assert provider(status(), "openrouter")["state"] == "healthy"


def test_an_overload_closes_when_the_next_probe_succeeds(status, fake):
    fake.script("anthropic", status=529, body={"type": "error",
                                               "error": {"type": "overloaded_error"}})
    assert provider(status(), "anthropic")["state"] == "overloaded"
    fake.all_healthy()
    assert provider(status(), "anthropic")["state"] == "healthy"


def _hammer(path: str, worker: int, rounds: int) -> int:
    conn = state_store.connect(Path(path))
    for i in range(rounds):
        observed = QUOTA_HOLD if (i + worker) % 3 == 0 else Health(State.OVERLOADED, "529")
        breaker.update(SqliteBreakers(conn), f"p{i % 4}", "*", "none", observed, T0 + _s(i),
                       "https://x")
        with state_store.transaction(conn):
            count = conn.execute("SELECT COALESCE(MAX(ejections), 0) FROM breakers").fetchone()
            conn.execute("INSERT INTO samples (provider, at, latency_ms) VALUES (?, ?, ?)",
                         (f"w{worker}", float(i), float(count[0])))
    conn.close()
    return rounds


def test_concurrent_runs_never_lose_writes_or_fail_on_locks(tmp_path: Path):
    path = str(tmp_path / "h.sqlite3")
    state_store.connect(Path(path)).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(6) as pool:
        done = pool.starmap(_hammer, [(path, w, 40) for w in range(6)])
    assert done == [40] * 6
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 240
    states = {row[0] for row in conn.execute("SELECT state FROM breakers")}
    conn.close()
    assert states <= {"quota_exhausted", "overloaded"} and states


def test_only_a_deep_probe_closes_a_quota_breaker_without_a_reset(status, fake):
    fake.script("openai", status=429, body={"error": {"code": "insufficient_quota"}})
    assert provider(status(), "openai")["state"] == "quota_exhausted"
    fake.script("openai", body={"data": [{"id": "o4-mini"}]})
    assert provider(status(), "openai")["state"] == "quota_exhausted"  # /models proves nothing
    fake.script("openai", method="POST", body={"choices": [{"message": {"content": "."}}]})
    healed = provider(status("--deep"), "openai")
    assert healed["state"] == "healthy"
    assert healed["reason"] == "1-token completion on o4-mini answered 200"
    posts = [s for s in fake.seen if s.method == "POST" and s.provider == "openai"]
    assert posts[-1].path == "/openai/v1/chat/completions"
    assert posts[-1].body == {"model": "o4-mini", "max_tokens": 1,
                              "messages": [{"role": "user", "content": "."}]}


def test_a_deep_probe_finds_the_quota_a_catalogue_call_cannot_see(status, fake):
    fake.script("anthropic", method="POST", status=429, body={
        "type": "error", "error": {"type": "rate_limit_error", "details": {
            "error_code": "enforced_spend_limit_reached"}}})
    assert provider(status(), "anthropic")["state"] == "healthy"
    deep = provider(status("--deep"), "anthropic")
    assert deep["state"] == "quota_exhausted"
    post = [s for s in fake.seen if s.method == "POST" and s.provider == "anthropic"][-1]
    assert post.path == "/anthropic/v1/messages"
    assert post.body["max_tokens"] == 1 and post.body["model"] == "claude-opus-4-5"
