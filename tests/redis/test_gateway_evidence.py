"""The real LiteLLM gateway and `providers status` on one Redis: the gateway's cooldowns and
per-minute rate counters are the team's health evidence.

A redis-server of this module's own (the gateway's keys carry no prefix), the gateway compiled by
`gates sync --target litellm` from a spine whose `state:` names that Redis, a fake upstream behind
it, and the providers' probes answered by a second fake: only the gateway's state makes a model
cool down in these reports.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ccr.ccr_fakes import free_port
from tests.health.fakes import FakeProviders
from tests.helpers import gates_env, one_error_line, run_gates
from tests.litellm.conftest import gateway_spine
from tests.litellm.gateway import Gateway, litellm_binary
from tests.redis.conftest import start_redis
from tests.redis.machines import PASSWORD_ENV, Machine, RedisServer, machine, provider
from tests.routing.upstream import Behaviour, RoutingUpstream

PREFIX = "spine-gates:gateway-test"


@dataclass
class Team:
    server: RedisServer
    upstream: RoutingUpstream
    spine: Path
    config: Path
    gateway: Gateway
    home: Path


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    litellm_binary()
    home = tmp_path_factory.mktemp("gateway-redis")
    with start_redis(home) as server:
        upstream = RoutingUpstream().start()
        try:
            spine = gateway_spine(home / "spine", upstream.port)
            with (spine / "spine-gates.yaml").open("a") as settings:
                settings.write(server.state_block(PREFIX))
            config = home / "config.yaml"
            synced = run_gates("sync", "--target", "litellm", "--live", str(config),
                               "--root", str(spine), env=gates_env(HOME=str(home)))
            assert synced.returncode == 0, synced.stderr
            gateway = Gateway(config, free_port(), home, env={PASSWORD_ENV: server.password})
            gateway.start()
            try:
                yield Team(server, upstream, spine, config, gateway, home)
            finally:
                gateway.stop()
        finally:
            upstream.stop()


@pytest.fixture
def workstation(tmp_path: Path, team: Team) -> Iterator[Machine]:
    with FakeProviders() as probes:
        probes.all_healthy()  # the providers answer probes; only the gateway knows otherwise
        yield machine(tmp_path, "w", team.server,
                      SPINE_GATES_API_BASE_OVERRIDES=probes.overrides())


def chat(gateway: Gateway, model: str) -> int:
    status, _ = gateway.post("/v1/chat/completions", {
        "model": model, "messages": [{"role": "user", "content": "hi"}]})
    return status


def cool_down(team: Team, gateway: Gateway, role: str, deployment: str) -> None:
    """Send the role requests until the gateway has cooled its primary down (allowed_fails 1:
    the second failure in a minute)."""
    for _ in range(4):
        assert chat(gateway, role) == 200  # answered by the fallback
        if team.server.command("EXISTS", f"deployment:{deployment}:cooldown") == 1:
            return
    raise AssertionError(f"the gateway never cooled {deployment} down")


def test_gates_compile_points_the_gateway_at_the_spines_redis(team: Team) -> None:
    text = team.config.read_text()
    assert f"redis_host: 127.0.0.1\n  redis_port: {team.server.port}\n" \
           f"  redis_password: os.environ/{PASSWORD_ENV}\n" in text
    assert team.server.password not in text


def test_a_redis_the_gateway_cannot_be_given_as_host_and_port_is_refused(
        tmp_path: Path, team: Team) -> None:
    spine = gateway_spine(tmp_path / "spine", free_port())
    (spine / "spine-gates.yaml").write_text("state:\n  backend: redis\n"
                                            "  url: unix:///run/redis.sock\n")
    result = run_gates("compile", "litellm", "--root", str(spine))
    one_error_line(result, "spine-gates.yaml:3", "redis://HOST:PORT/DB")
    assert result.stdout == ""


def test_a_deployment_the_gateway_cooled_down_is_reported_by_providers_status(
        team: Team, workstation: Machine) -> None:
    team.upstream.configure({"openai": Behaviour(status=429)})
    cool_down(team, team.gateway, "executor", "openai/o4-mini")
    before = _dt.datetime.now(_dt.UTC)
    report = workstation.status(team.spine)
    openai = provider(report, "openai")
    assert openai["state"] == "healthy"  # its probe answered: the evidence is the gateway's
    model = openai["models"]["o4-mini"]
    assert model["state"] == "rate_limited" and model["source"] == "gateway"
    assert model["reason"].startswith("gateway cooldown: 429 ")
    until = _dt.datetime.fromisoformat(model["until"].replace("Z", "+00:00"))
    assert before < until <= before + _dt.timedelta(seconds=61)  # cooldown_time 60
    [cooldown] = openai["gateway_cooldowns"]
    assert cooldown["ref"] == "openai/o4-mini" and cooldown["deployment_id"] == "openai/o4-mini"
    assert cooldown["until"] == model["until"] and cooldown["http_status"] == 429
    executor = next(r for r in report["roles"] if r["role"] == "executor")
    assert executor["status"] == "degraded"
    assert executor["serving"] == "openrouter/anthropic/claude-sonnet-4-5"
    text = workstation.gates("providers", "status", "--root", str(team.spine), "--offline")
    assert f"  model o4-mini: rate_limited until {model['until']} (gateway cooldown: 429 " \
        in text.stdout
    assert team.server.password not in text.stdout + text.stderr


def test_the_gateways_requests_count_in_the_keys_shared_budget(
        team: Team, workstation: Machine) -> None:
    team.upstream.configure({})
    for _ in range(2):  # a second try when the requests and the report straddled a minute
        minute = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
        for _ in range(3):
            assert chat(team.gateway, "background") == 200  # nvidia_nim/z-ai/glm5, 40 rpm
        budget = provider(workstation.status(team.spine), "nvidia_nim")["budget"]
        if budget["minute"] == minute:
            break
    assert budget["minute"] == minute
    assert budget["sources"]["gateway"] == 3
    assert budget["used"] == budget["sources"]["probes"] + 3
    assert budget["limit_rpm"] == 40 and budget["remaining"] == 40 - budget["used"]
    assert provider(workstation.status(team.spine), "zai")["budget"]["sources"][
        "gateway"] == 0


def test_a_cooldown_one_gateway_instance_set_holds_on_another(team: Team) -> None:
    second = Gateway(team.config, free_port(), team.home, env={PASSWORD_ENV: team.server.password})
    second.start()
    try:
        team.upstream.configure({"anthropic": Behaviour(status=429)})
        cool_down(team, team.gateway, "architect", "anthropic/claude-opus-4-5")
        team.upstream.take()
        for _ in range(4):
            assert chat(second, "architect") == 200
        sent = [(c.provider, c.model) for c in team.upstream.take()]
        assert sent == [("openrouter", "anthropic/claude-opus-4-5")] * 4  # none to the primary
    finally:
        second.stop()
