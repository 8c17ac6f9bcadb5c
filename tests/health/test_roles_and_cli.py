"""The role view and exit code that follow from provider states, the text table, credentials
handling and bad input, through the real CLI."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

from tests.health.fakes import KEYS, closed_port
from tests.health.health_helpers import assert_no_keys, provider, role
from tests.helpers import REPO, drain_pty, run_gates

SPEND_LIMIT = {"type": "error", "error": {"type": "rate_limit_error", "details": {
    "error_code": "enforced_spend_limit_reached"}}}


def test_all_healthy_exits_0_and_every_role_is_served_by_its_primary(status):
    proc = status()
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["roles"] == {"healthy": 3, "degraded": 0, "down": 0}
    for view in data["roles"]:
        assert view["serving"] == view["primary"]
        assert view["router_changes"] == {}


def test_quota_exhausted_primary_degrades_the_role_and_suggests_the_router_change(status, fake):
    fake.script("anthropic", status=429, body=SPEND_LIMIT)
    proc = status()
    assert proc.returncode == 1
    architect = role(proc, "architect")
    assert architect["status"] == "degraded"
    assert architect["serving"] == "openrouter/anthropic/claude-opus-4-5"
    assert architect["router_changes"] == {
        "Router.think": "openrouter,anthropic/claude-opus-4-5",
        "Router.longContext": "openrouter,anthropic/claude-opus-4-5"}
    assert role(proc, "executor")["status"] == "healthy"


def test_fallback_skips_unhealthy_entries_to_the_first_healthy_one(status, fake):
    fake.script("openai", status=429, body={"error": {"code": "insufficient_quota"}})
    fake.script("openrouter", status=402, body={"error": {"metadata": {
        "limit_source": "openrouter_credits"}}})
    proc = status()
    executor = role(proc, "executor")
    assert executor["serving"] == "zai/glm-5"
    assert executor["router_changes"] == {"Router.default": "zai,glm-5",
                                          "Router.webSearch": "zai,glm-5"}


def test_a_role_with_nothing_serving_is_down_and_exits_2(status, fake, health_env):
    fake.script("nvidia_nim", status=429, body={"status": 429, "title": "Too Many Requests"})
    fake.script("openrouter", status=401, body={"error": {"code": 401}})
    env = dict(health_env, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
        local_lmstudio=f"http://127.0.0.1:{closed_port()}/v1"))
    proc = status(env=env)
    assert proc.returncode == 2
    background = role(proc, "background")
    assert background["status"] == "down"
    assert background["serving"] is None
    assert [e["state"] for e in background["chain"]] == ["rate_limited", "auth_failed",
                                                         "unreachable"]
    assert "earliest reset" in background["suggestion"]


def test_text_table_shows_state_reason_latency_quota_and_router_change(status, fake):
    fake.script("anthropic", status=429, body=SPEND_LIMIT)
    proc = status(fmt="text")
    out = proc.stdout
    assert proc.returncode == 1
    assert "PROVIDER" in out and "QUOTA/RATE" in out and "RESET" in out
    line = next(x for x in out.splitlines() if x.startswith("anthropic "))
    assert "quota_exhausted" in line and "enforced_spend_limit_reached" in line
    assert "ms" in next(x for x in out.splitlines() if x.startswith("openai "))
    assert "credits 42.50/50" in next(x for x in out.splitlines() if x.startswith("openrouter "))
    assert 'router change: Router.think: "openrouter,anthropic/claude-opus-4-5"' in out
    assert "2 healthy, 1 degraded, 0 down" in out


def test_each_provider_gets_its_own_key_in_its_own_header(status, fake):
    status()
    by_provider = {s.provider: s.headers for s in fake.seen}
    assert by_provider["anthropic"]["x-api-key"] == KEYS["ANTHROPIC_API_KEY"]
    assert "authorization" not in by_provider["anthropic"]
    assert by_provider["openai"]["authorization"] == f"Bearer {KEYS['OPENAI_API_KEY']}"
    assert by_provider["zai"]["authorization"] == f"Bearer {KEYS['Z_AI_API_KEY']}"
    assert "authorization" not in by_provider["local_lmstudio"]


def test_credentials_are_shown_only_as_fingerprints(status):
    data = json.loads(status().stdout)
    creds = {p["id"]: p["credential"] for p in data["providers"]}
    assert creds["local_lmstudio"] == "none"
    assert all(c.startswith("sha256:") and len(c) == 15
               for k, c in creds.items() if k != "local_lmstudio")


def test_a_missing_key_is_reported_without_a_request(status, fake, health_env):
    env = {k: v for k, v in health_env.items() if k != "OPENAI_API_KEY"}
    p = provider(status(env=env), "openai")
    assert p["state"] == "auth_failed"
    assert "$OPENAI_API_KEY not in the environment" in p["reason"]
    assert not [s for s in fake.seen if s.provider == "openai"]


def test_plain_http_to_a_non_loopback_host_never_gets_the_key(status, fake, health_env):
    # 192.0.2.0/24 is TEST-NET-1: nothing is contacted, the rule refuses before any request.
    env = dict(health_env, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
        openai="http://192.0.2.10/v1"))
    p = provider(status(env=env), "openai")
    assert p["state"] == "auth_failed"
    assert "refusing to send the key over plain http to 192.0.2.10" in p["reason"]


def test_the_cli_override_flag_also_keeps_the_tls_rule(status):
    proc = status("--api-base-override", "anthropic=http://192.0.2.20")
    p = provider(proc, "anthropic")
    assert p["state"] == "auth_failed"
    assert p["api_base"] == "http://192.0.2.20"


def test_override_for_an_unknown_provider_is_bad_input(status):
    proc = status("--api-base-override", "nosuch=http://127.0.0.1:9")
    assert proc.returncode == 3
    assert proc.stderr.startswith("gates: error: api base override for unknown provider")
    assert "Traceback" not in proc.stderr


def test_malformed_override_is_bad_input(status):
    proc = status("--api-base-override", "openai")
    assert proc.returncode == 3
    assert "expected PROVIDER=URL" in proc.stderr


def test_bad_health_settings_are_bad_input(status, spine):
    (spine / "spine-gates.yaml").write_text("health:\n  timeout_s: fast\n")
    proc = status()
    assert proc.returncode == 3
    assert "health.timeout_s must be a positive number" in proc.stderr


def test_offline_makes_no_request_and_reports_breakers(status, fake):
    fake.script("anthropic", status=429, body=SPEND_LIMIT)
    status()
    fake.seen.clear()
    fake.script("anthropic", body={"data": []})
    proc = status("--offline")
    assert fake.seen == []
    data = json.loads(proc.stdout)
    assert data["offline"] is True
    anthropic = provider(proc, "anthropic")
    assert anthropic["state"] == "quota_exhausted"
    assert anthropic["source"] == "breaker"
    assert provider(proc, "openai")["reason"].startswith("offline: not probed")


def test_progress_is_drawn_on_stderr_only_when_it_is_a_tty(spine, health_env):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "spine_gates", "providers", "status", "--root", str(spine),
             "--timeout", "2"], cwd=REPO, env=health_env, stdout=subprocess.PIPE,
            stderr=slave, timeout=60, text=True)
        os.close(slave)
        slave = -1
        tty_err = drain_pty(master).decode()
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    assert "probing 6/6" in tty_err
    assert "probing" not in proc.stdout
    assert_no_keys(tty_err)
    piped = run_gates("providers", "status", "--root", str(spine), env=health_env)
    assert "probing" not in piped.stderr


def test_slowness_degrades_only_after_a_minimum_sample(status, fake, spine):
    (spine / "spine-gates.yaml").write_text("health:\n  slow_ms: 150\n")
    fake.script("zai", body={"data": []}, delay=0.3)
    states = [provider(status(), "zai")["state"] for _ in range(3)]
    assert states == ["healthy", "healthy", "degraded"]
    proc = status()
    p = provider(proc, "zai")
    assert re.fullmatch(r"slow: median (\d+) ms over the last 3 probes \(> 150 ms\)", p["reason"])
    assert int(re.search(r"\d+", p["reason"]).group()) >= 300
    assert role(proc, "executor")["chain"][2]["state"] == "degraded"


def test_https_certificates_are_verified_and_no_key_crosses_a_failed_handshake(
        status, fake, health_env, tmp_path):
    from tests.health.fakes import FakeProviders, self_signed_context

    with FakeProviders(tls=self_signed_context(tmp_path)) as untrusted:
        untrusted.script("openai", body={"data": []})
        env = dict(health_env, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
            openai=untrusted.url("openai", "/v1")))
        p = provider(status(env=env), "openai")
        assert untrusted.seen == []
    assert p["state"] == "unreachable"
    assert p["reason"] == "TLS handshake failed"
    assert p["api_base"].startswith("https://127.0.0.1:")


def test_a_trusted_https_endpoint_gets_the_key(status, fake, health_env, tmp_path):
    from tests.health.fakes import FakeProviders, self_signed_context

    with FakeProviders(tls=self_signed_context(tmp_path)) as trusted:
        trusted.script("openai", body={"data": []})
        env = dict(health_env, SSL_CERT_FILE=str(tmp_path / "cert.pem"),
                   SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(
                       openai=trusted.url("openai", "/v1")))
        p = provider(status(env=env), "openai")
        sent = [s.headers.get("authorization") for s in trusted.seen]
    assert p["state"] == "healthy"
    assert sent == [f"Bearer {KEYS['OPENAI_API_KEY']}"]


def test_an_unusable_state_directory_is_one_clear_error(status, health_env, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    proc = status(env=dict(health_env, XDG_STATE_HOME=str(blocker)))
    assert proc.returncode == 3
    assert proc.stderr.startswith("gates: error: ")
    assert "cannot open the health state store" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_zero_timeout_is_bad_input(status):
    proc = status("--timeout", "0")
    assert proc.returncode == 3
    assert "must be positive" in proc.stderr
