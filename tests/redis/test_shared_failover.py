"""Failover for a team: the override state in Redis, one watcher round at a time across the
team (a lease lock), and each workstation's router file mirroring the team's overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover import router_module
from tests.health.fakes import FakeProviders, closed_port
from tests.helpers import one_error_line
from tests.redis.machines import Machine, RedisServer, machine

NOW = "2026-12-03T09:00:00Z"
WATCH = "failover:\n  router_module: true\n  watch:\n    bad_probes: 1\n"


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    with FakeProviders() as server:
        server.all_healthy()
        yield server


def _armed(base: Path, name: str, server: RedisServer, spine: Path, fake: FakeProviders,
           key: Path | None) -> Machine:
    """A workstation with its own router config (compiled from the spine) and router module."""
    probes = fake.overrides(openai=f"http://127.0.0.1:{closed_port()}/v1")  # openai down
    m = machine(base, name, server, SPINE_GATES_API_BASE_OVERRIDES=probes, SPINE_GATES_NOW=NOW)
    live = m.home / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    compiled = m.gates("compile", "ccr", "--root", str(spine), "--out", str(live))
    assert compiled.returncode == 0, compiled.stderr
    router_module.install(live, overrides_file=m.state / "spine-gates" / "overrides.json")
    if key is None:
        key = base / "signing.key"
        made = m.gates("receipts", "keygen", "--root", str(spine), "--out", str(key))
        assert made.returncode == 0, made.stderr
    m.env["SPINE_GATES_SIGNING_KEY_FILE"] = str(key)
    m.env["LIVE"] = str(live)
    return m


@pytest.fixture
def team(tmp_path: Path, team_spine: Path, redis_server: RedisServer, prefix: str,
         fake: FakeProviders) -> tuple[Machine, Machine]:
    (team_spine / "spine-gates.yaml").write_text(WATCH + redis_server.state_block(prefix))
    a = _armed(tmp_path, "a", redis_server, team_spine, fake, None)
    b = _armed(tmp_path, "b", redis_server, team_spine, fake,
               Path(a.env["SPINE_GATES_SIGNING_KEY_FILE"]))
    return a, b


def _watch(m: Machine, spine: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "spine_gates", "failover", "watch", "--once", "--root", str(spine),
         "--live", m.env["LIVE"], "--timeout", "1", "--deadline", "2"],
        env=m.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _local(m: Machine) -> list[dict[str, Any]]:
    path = m.state / "spine-gates" / "overrides.json"
    entries: list[dict[str, Any]] = json.loads(path.read_text())["overrides"]
    return entries


def test_two_watchers_at_the_same_time_apply_one_failover_once(
        team: tuple[Machine, Machine], team_spine: Path, redis_server: RedisServer,
        prefix: str) -> None:
    a, b = team
    runs = [_watch(a, team_spine), _watch(b, team_spine)]
    outs = [proc.communicate(timeout=120) for proc in runs]
    for proc, (out, err) in zip(runs, outs, strict=True):
        assert proc.returncode == 0, out + err
    applied = [out for out, _ in outs if "applied fo-" in out]
    assert len(applied) == 1, outs
    assert sum(out.count("applied fo-") for out, _ in outs) == applied[0].count("applied fo-")
    shared = json.loads(redis_server.command("GET", f"{prefix}:overrides"))["overrides"]
    assert {e["slot"] for e in shared} >= {"default"}
    assert all(e["receipt"] for e in shared)
    assert _local(a) == _local(b) == shared  # each router's file mirrors the team's state


def test_an_override_one_machine_applied_reaches_the_others_router_file_at_its_next_round(
        team: tuple[Machine, Machine], team_spine: Path) -> None:
    a, b = team
    first = a.gates("failover", "watch", "--once", "--root", str(team_spine), "--live",
                    a.env["LIVE"], "--timeout", "1", "--deadline", "2")
    assert "applied fo-" in first.stdout, first.stdout + first.stderr
    assert not (b.state / "spine-gates" / "overrides.json").exists()
    second = b.gates("failover", "watch", "--once", "--root", str(team_spine), "--live",
                     b.env["LIVE"], "--timeout", "1", "--deadline", "2")
    assert second.returncode == 0, second.stderr
    assert "applied" not in second.stdout
    assert _local(b) == _local(a)
    status = b.gates("failover", "status", "--live", b.env["LIVE"], "--format", "json")
    assert [e["id"] for e in json.loads(status.stdout)["overrides"]] == \
        [e["id"] for e in _local(a)]


def test_failover_apply_with_the_teams_redis_down_is_exit_3_and_writes_nothing(
        team: tuple[Machine, Machine], team_spine: Path, redis_server: RedisServer,
        prefix: str) -> None:
    a, _ = team
    url = f"redis://127.0.0.1:{closed_port()}/0"
    (team_spine / "spine-gates.yaml").write_text(WATCH + redis_server.state_block(prefix, url))
    proc = a.gates("failover", "apply", "--root", str(team_spine), "--live", a.env["LIVE"],
                   "--yes", "--from-cache")
    one_error_line(proc, f"the shared state store {url} did not answer")
    assert not (a.state / "spine-gates" / "overrides.json").exists()
