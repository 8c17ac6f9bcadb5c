"""The real infisicalsdk against a fake Infisical on 127.0.0.1: answers, failures, containment."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from spine_gates.secrets.config import load_settings
from spine_gates.secrets.redact import redact_text
from spine_gates.secrets.refs import parse_ref
from spine_gates.secrets.resolvers.infisical import InfisicalResolver
from spine_gates.secrets.resolvers.interface import Status
from tests.secrets.fake_infisical import NAMESPACE, FakeInfisical


def _ref(name: str, path: str = "spine/ai/providers"):
    return parse_ref(f"infisical://{path}/{name}")


def _resolve(*names: str):
    return InfisicalResolver(load_settings().infisical).resolve([_ref(n) for n in names])


def test_existing_secret_is_found_without_asking_for_its_value(configured):
    (answer,) = _resolve("OPENAI_API_KEY")
    assert answer.status is Status.FOUND and answer.source == "infisical"
    login, get = configured.requests
    assert login["path"] == "/api/v1/auth/universal-auth/login"
    assert get["path"] == "/api/v3/secrets/raw/OPENAI_API_KEY"
    assert get["query"]["viewSecretValue"] == "false"
    assert get["query"]["secretPath"] == NAMESPACE
    assert get["query"]["environment"] == "prod"
    assert get["query"]["workspaceId"] == "proj-1"


def test_environment_comes_from_INFISICAL_ENVIRONMENT(configured, monkeypatch):  # noqa: N802
    monkeypatch.setenv("INFISICAL_ENVIRONMENT", "staging")
    _resolve("OPENAI_API_KEY")
    assert configured.requests[-1]["query"]["environment"] == "staging"


def test_missing_secret_is_missing(configured):
    (answer,) = _resolve("NOPE_API_KEY")
    assert answer.status is Status.MISSING
    assert "not found" in answer.detail


def test_forbidden_secret_is_unresolved_not_missing(configured):
    (answer,) = _resolve("DENIED_KEY")
    assert answer.status is Status.UNRESOLVED
    assert "HTTP 403" in answer.detail


def test_wrong_client_secret_is_a_refused_login(configured, monkeypatch):
    monkeypatch.setenv("INFISICAL_CLIENT_SECRET", "wrong-secret-value")
    answers = _resolve("OPENAI_API_KEY", "Z_AI_API_KEY")
    assert [a.status for a in answers] == [Status.UNRESOLVED, Status.UNRESOLVED]
    assert "login refused (HTTP 401)" in answers[0].detail
    assert [r["method"] for r in configured.requests] == ["POST"]  # no retries, no reads
    assert "wrong-secret-value" not in redact_text("client secret wrong-secret-value")


def test_malformed_login_body_is_unresolved(configured):
    configured.login_mode = "malformed"
    (answer,) = _resolve("OPENAI_API_KEY")
    assert answer.status is Status.UNRESOLVED and "malformed" in answer.detail


def test_malformed_secret_body_is_unresolved(configured):
    (answer,) = _resolve("MALFORMED_KEY")
    assert answer.status is Status.UNRESOLVED and "malformed" in answer.detail


def test_slow_server_is_cut_off_by_the_timeout_without_retries(configured):
    configured.slow_seconds = 10
    started = time.monotonic()
    (answer,) = _resolve("SLOW_KEY")
    elapsed = time.monotonic() - started
    assert answer.status is Status.UNRESOLVED
    assert "infisical unreachable" in answer.detail
    assert elapsed < 3, f"took {elapsed:.1f} s; the SDK's own retries would take > 13 s"
    assert sum(r["path"].endswith("SLOW_KEY") for r in configured.requests) == 1


def test_deadline_stops_further_reads(configured, monkeypatch):
    configured.slow_seconds = 10
    monkeypatch.setenv("SPINE_GATES_INFISICAL_DEADLINE", "0.3")
    answers = _resolve("SLOW_KEY", "OPENAI_API_KEY", "Z_AI_API_KEY")
    assert all(a.status is Status.UNRESOLVED for a in answers)
    assert "deadline" in answers[-1].detail
    assert not any(r["path"].endswith("Z_AI_API_KEY") for r in configured.requests)


def test_unreachable_host_fails_fast(monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("INFISICAL_HOST", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("INFISICAL_CLIENT_ID", "id")
    monkeypatch.setenv("INFISICAL_CLIENT_SECRET", "secret-123456")
    monkeypatch.setenv("INFISICAL_PROJECT_ID", "p")
    started = time.monotonic()
    (answer,) = _resolve("OPENAI_API_KEY")
    assert time.monotonic() - started < 2
    assert answer.status is Status.UNRESOLVED
    assert answer.detail.startswith("infisical unreachable")


def test_not_configured_never_touches_the_network(monkeypatch):
    (answer,) = _resolve("OPENAI_API_KEY")
    assert answer.status is Status.UNRESOLVED
    assert "not configured" in answer.detail and "INFISICAL_HOST" in answer.detail


def test_sdk_side_effects_are_contained(configured, tmp_path, monkeypatch):
    workdir = tmp_path / "repo"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    threads_before = {t.ident for t in threading.enumerate()}
    _resolve("OPENAI_API_KEY", "NOPE_API_KEY")
    assert Path.cwd() == workdir
    assert list(workdir.iterdir()) == []  # no .env.infisical or anything else
    time.sleep(0.05)
    leftover = [t.name for t in threading.enumerate()
                if t.ident not in threads_before and t.is_alive()]
    assert not [n for n in leftover if "SecretsCache" in n]


def test_a_value_the_server_sends_anyway_is_registered_for_redaction(configured):
    configured.leak_values = True
    (answer,) = _resolve("OPENAI_API_KEY")
    assert answer.status is Status.FOUND
    leaked = "leaked-value-of-OPENAI_API_KEY-9f8e7d"
    assert leaked not in redact_text(f"echo {leaked}")


def test_access_token_is_registered_for_redaction(configured):
    from tests.secrets.fake_infisical import TOKEN

    _resolve("OPENAI_API_KEY")
    assert TOKEN not in redact_text(f"Authorization: {TOKEN}")


@pytest.mark.live_infisical
@pytest.mark.skipif(not os.environ.get("SPINE_GATES_LIVE_INFISICAL"),
                    reason="live contract test: set SPINE_GATES_LIVE_INFISICAL=1 and the "
                           "INFISICAL_* variables to run it against a real instance")
def test_live_contract_against_a_real_infisical():  # pragma: no cover - opt-in
    live = {k: os.environ[k] for k in os.environ if k.startswith("INFISICAL_")}
    settings = load_settings()
    assert settings.infisical.configured, f"missing {settings.infisical.missing()}"
    name = live.get("SPINE_GATES_LIVE_SECRET", "ANTHROPIC_API_KEY")
    (found,) = InfisicalResolver(settings.infisical).resolve([_ref(name)])
    (missing,) = InfisicalResolver(settings.infisical).resolve(
        [_ref("SPINE_GATES_CONTRACT_TEST_SURELY_ABSENT")])
    assert found.status is Status.FOUND
    assert missing.status is Status.MISSING


def test_fake_server_stops_cleanly():
    with FakeInfisical() as server:
        url = server.url
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=0.5):
        pass


def test_behind_a_proxy_the_tcp_check_defers_to_the_bounded_request(monkeypatch):
    from spine_gates.secrets.resolvers.infisical import reachable

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("http_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                 "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    assert reachable("https://infisical.internal.example", 0.2) == ""
    assert reachable(f"http://127.0.0.1:{port}", 0.2) != ""  # no proxy for http://
