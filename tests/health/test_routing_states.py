"""The cached health as routing states: the bridge `gates route explain --live-state` needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from spine_gates.errors import InputError
from spine_gates.health.routing_states import routing_state, routing_states
from spine_gates.routing.fallback import Failures
from tests.health.fakes import closed_port


def test_cached_states_become_routing_states_the_evaluator_accepts(status, fake, spine,
                                                                   health_env, monkeypatch):
    fake.script("anthropic", status=529, body={"type": "error",
                                               "error": {"type": "overloaded_error"}})
    fake.script("openai", status=429, body={"error": {"code": "insufficient_quota"}})
    fake.script("openrouter", body={"data": {"limit": None, "limit_remaining": None,
                                             "free_model_daily_requests": {"remaining": 0}}})
    fake.script("zai", status=429, body={"error": {"code": "1302"}})
    env = dict(health_env, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
        local_lmstudio=f"http://127.0.0.1:{closed_port()}/v1"))
    status(env=env)
    monkeypatch.setenv("XDG_STATE_HOME", env["XDG_STATE_HOME"])
    states = routing_states(spine)
    assert states == {
        "anthropic": "http_529", "openai": "quota_exhausted", "nvidia_nim": "ok",
        "openrouter": "ok", "openrouter/qwen/qwen3-coder:free": "quota_exhausted",
        "openrouter/z-ai/glm-4.5-air:free": "quota_exhausted", "zai": "http_429",
        "local_lmstudio": "connection_error"}
    failures = Failures.from_mapping(states)
    assert failures.state_of("anthropic", "claude-opus-4-5").status == 529
    assert failures.state_of("local_lmstudio", "qwen3-32b").status is None
    assert failures.state_of("openrouter", "z-ai/glm-4.5-air:free").status == 429
    assert failures.state_of("openrouter", "anthropic/claude-opus-4-5").ok


def test_without_a_cache_it_is_bad_input(spine: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "empty"))
    with pytest.raises(InputError, match="run `gates providers status` first"):
        routing_states(spine)


@pytest.mark.parametrize("entry,expected", [
    ({"state": "auth_failed", "http_status": 403}, "http_403"),
    ({"state": "auth_failed", "http_status": None}, "http_401"),
    ({"state": "unreachable", "reason": "no answer within 5 s"}, "timeout"),
    ({"state": "degraded", "http_status": 500}, "http_500"),
    ({"state": "degraded", "http_status": 200, "reason": "slow"}, "ok"),
])
def test_state_mapping(entry, expected):
    assert routing_state(entry) == expected


def test_route_explain_live_state_uses_the_cached_health(status, fake, spine, health_env,
                                                         tmp_path):
    """A rate-limited anthropic in the cache moves the think slot to its first fallback."""
    import json

    from tests.helpers import run_gates

    fake.script("anthropic", status=429, body={"type": "error",
                                               "error": {"type": "rate_limit_error"}},
                headers={"retry-after": "30"})
    status()
    request = tmp_path / "think.json"
    request.write_text(json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10,
                                   "thinking": {"type": "enabled", "budget_tokens": 1024},
                                   "messages": [{"role": "user", "content": "hi"}]}))

    def explain(*extra: str) -> dict:
        proc = run_gates("route", "explain", str(request), "--root", str(spine),
                         "--format", "json", *extra, env=health_env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    assert explain()["outcome"]["model"] == "anthropic/claude-opus-4-5"
    live = explain("--live-state")["outcome"]
    assert live["model"] == "openrouter/anthropic/claude-opus-4-5"
    assert live["attempts"][0]["state"] == "http_429"
    forced = explain("--live-state", "--fail", "anthropic=ok")["outcome"]
    assert forced["model"] == "anthropic/claude-opus-4-5"
