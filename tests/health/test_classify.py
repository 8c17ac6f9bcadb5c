"""Signal parsing without the network: durations, resets, and the edge cases of each dialect."""

from __future__ import annotations

import datetime as _dt

import pytest

from spine_gates.health.classify import (
    Reply,
    classify_anthropic,
    classify_nim,
    classify_openai,
    classify_zai,
    epoch_or_delta,
    next_month,
    next_week,
    parse_duration,
)
from spine_gates.health.roles import exit_code, role_view
from spine_gates.health.state import Health, State
from spine_gates.health.targets import build_targets, detect_kind, key_env_name
from spine_gates.model.role_status import RoleStatus

NOW = _dt.datetime(2026, 11, 25, 18, 0, tzinfo=_dt.UTC)


@pytest.mark.parametrize("text,seconds", [("6m0s", 360.0), ("12ms", 0.012), ("1h2m3.5s", 3723.5),
                                          ("20s", 20.0), ("0.5", 0.5), ("7", 7.0)])
def test_openai_reset_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "6x", "m6", "6m junk"])
def test_unparsable_durations_are_none(text):
    assert parse_duration(text) is None


def test_resets_as_epoch_ms_epoch_s_delta_or_iso():
    assert epoch_or_delta(1795000000000, NOW) == _dt.datetime.fromtimestamp(1795000000, _dt.UTC)
    assert epoch_or_delta("1795000000", NOW) == _dt.datetime.fromtimestamp(1795000000, _dt.UTC)
    assert epoch_or_delta(30, NOW) == NOW + _dt.timedelta(seconds=30)
    assert epoch_or_delta("2026-11-26T00:00:00Z", NOW) == _dt.datetime(2026, 11, 26,
                                                                        tzinfo=_dt.UTC)
    assert epoch_or_delta("garbage", NOW) is None


def test_calendar_resets():
    assert next_month(_dt.datetime(2026, 12, 31, 23, tzinfo=_dt.UTC)) == _dt.datetime(
        2027, 1, 1, tzinfo=_dt.UTC)
    assert next_week(NOW) == _dt.datetime(2026, 11, 30, tzinfo=_dt.UTC)  # a Monday


def test_retry_after_as_http_date():
    reply = Reply(429, {"retry-after": "Wed, 25 Nov 2026 18:05:00 GMT"},
                  {"error": {"type": "rate_limit_error"}})
    assert classify_anthropic(reply, NOW).until == _dt.datetime(2026, 11, 25, 18, 5,
                                                                tzinfo=_dt.UTC)


def test_a_non_json_error_body_still_classifies_by_status():
    assert classify_openai(Reply(503, {}, None), NOW).state == State.OVERLOADED
    assert classify_openai(Reply(500, {}, None), NOW).state == State.DEGRADED
    assert classify_zai(Reply(401, {}, "nope"), NOW).state == State.AUTH_FAILED


def test_zai_code_in_a_200_body_still_counts():
    health = classify_zai(Reply(200, {}, {"code": 1113, "msg": "balance"}), NOW)
    assert health.state == State.QUOTA_EXHAUSTED


def test_kind_detection_uses_the_registry_base_not_the_provider_name_alone():
    assert detect_kind("anthropic", {"api_format": "anthropic",
                                     "api_base": "https://api.anthropic.com"}) == "anthropic"
    assert detect_kind("glm", {"api_format": "anthropic",
                               "api_base": "https://api.z.ai/api/anthropic"}) == "zai"
    assert detect_kind("gw", {"api_format": "openai",
                              "api_base": "https://openrouter.ai/api/v1"}) == "openrouter"
    assert detect_kind("local", {"api_format": "openai",
                                 "api_base": "http://localhost:1234/v1"}) == "lmstudio"
    assert detect_kind("vllm", {"api_format": "openai",
                                "api_base": "https://llm.example/v1"}) == "openai-compatible"


def test_key_references_map_to_environment_names():
    assert key_env_name("env:MY_KEY") == "MY_KEY"
    assert key_env_name("infisical://spine/ai/providers/OPENAI_API_KEY") == "OPENAI_API_KEY"
    assert key_env_name(None) is None
    assert key_env_name("vault://x") is None


def test_plain_http_is_allowed_to_loopback_only():
    providers = {name: {"api_format": "openai", "api_base": base, "models": ["m"],
                        "api_key_ref": "env:K"}
                 for name, base in [("a", "http://127.0.0.1:9/v1"), ("b", "http://[::1]:9/v1"),
                                    ("c", "http://localhost:9/v1"),
                                    ("d", "http://127.0.0.1.nip.io/v1"),
                                    ("e", "https://api.example/v1"),
                                    ("f", "http://10.0.0.5/v1")]}
    targets = {t.id: t for t in build_targets(providers, {"K": "secret-value-123"}, {})}
    assert [k for k, t in targets.items() if t.problem] == ["d", "f"]


def test_role_view_prefers_a_healthy_fallback_over_a_slow_primary():
    providers = {"a": Health(State.DEGRADED, "slow"), "b": Health(State.HEALTHY, "ok")}
    view = role_view("r", {"primary": "a/m", "fallback_chain": ["b/n"], "ccr_slots": ["think"]},
                     providers)
    assert (view.status, view.serving) == (RoleStatus.DEGRADED, "b/n")
    assert view.router_changes == {"Router.think": "b,n"}


def test_role_view_keeps_a_slow_primary_when_nothing_is_healthy():
    providers = {"a": Health(State.DEGRADED, "slow"), "b": Health(State.UNREACHABLE, "down")}
    view = role_view("r", {"primary": "a/m", "fallback_chain": ["b/n"]}, providers)
    assert (view.status, view.serving, view.router_changes) == (RoleStatus.DEGRADED, "a/m", {})
    assert exit_code([view]) == 1


def test_a_chain_entry_for_an_unknown_provider_never_serves():
    view = role_view("r", {"primary": "ghost/m"}, {})
    assert view.status == RoleStatus.DOWN
    assert view.chain[0].reason == "provider not in the registry"
    assert exit_code([view]) == 2


def test_the_capability_entry_follows_the_spine_schema():
    import yaml

    from tests.helpers import REPO

    data = yaml.safe_load((REPO / "ops" / "capabilities.yaml").read_text())
    entry = data["capabilities"]["providers.status"]
    for name in ("version", "updated"):  # the spine's capability registry header (D63)
        assert data[name]
    assert entry["safety"] == "read-only" and entry["approval"] == "auto"
    assert entry["touches_api"] is True
    assert set(entry["requires"]) >= {"secrets.binding", "secrets.auth.status"}
    assert entry["outputs"] and entry["arg_protocol"] and entry["description"]
    assert "gates providers status" in entry["command"]


def test_keys_are_read_without_surrounding_whitespace():
    providers = {"a": {"api_format": "openai", "api_base": "https://x.example/v1",
                       "models": ["m"], "api_key_ref": "env:K"}}
    (target,) = build_targets(providers, {"K": "  secret-value-123\n"}, {})
    assert target.key == "secret-value-123"
    (blank,) = build_targets(providers, {"K": "  \n"}, {})
    assert blank.key is None and "not in the environment" in (blank.problem or "")


# A provider (or whatever answers at its address) controls these headers and bodies: a wait no
# timedelta can hold crashed the classifier (OverflowError, exit 4). Waits are capped at a year.
HUGE = ["1e20", "inf", "99999999999999999999", "nan"]


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_retry_after_is_capped_not_a_crash(value):
    health = classify_openai(Reply(429, {"retry-after": value}, {"error": {}}), NOW)
    assert health.state == State.RATE_LIMITED
    assert health.until is None or NOW <= health.until <= NOW + _dt.timedelta(days=366)


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_reset_is_capped_not_a_crash(value):
    moment = epoch_or_delta(value, NOW)
    assert moment is None or NOW <= moment <= NOW + _dt.timedelta(days=366)
    reply = Reply(429, {"x-ratelimit-remaining-requests": "0",
                        "x-ratelimit-reset-requests": f"{value}s"}, {"error": {}})
    assert classify_openai(reply, NOW).state in (State.RATE_LIMITED, State.QUOTA_EXHAUSTED)


def test_a_huge_try_again_hint_is_capped_not_a_crash():
    body = {"title": "Too Many Requests", "detail": "Try again in 99999999999999999999 days"}
    health = classify_nim(Reply(429, {}, body), NOW)
    assert health.state == State.RATE_LIMITED
