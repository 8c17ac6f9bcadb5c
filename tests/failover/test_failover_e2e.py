"""End to end on loopback: the real claude-code-router 2.0.0, a config deployed by the real
`gates sync --live` (which installs the failover router module beside it), and a fake upstream
whose primary for the default slot hangs; driven only through the `gates` CLI.

Before: a request with a 2 s client timeout times out (2.0.0 never falls back after a hang) and
`provider-drift` is in sync. After `gates failover apply --yes`: the fallback model answers, as
`route explain --live-state` predicted, within 2 s of the apply, with no restart; drift says
`overridden`, naming the override; `receipts verify` passes both chains. After `revert`: in
sync, and the primary serves again. An override left in place past its TTL is drift once
expired (gates' clock jumped with SPINE_GATES_NOW), and the router module, which reads the real
clock, stops applying it by itself (a real 3 s wait: the TTL must outlast `apply` itself).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover import router_module
from tests.ccr.ccr_fakes import Router, free_port, point_spine_at
from tests.failover.cli_setup import cache_health
from tests.failover.router_helpers import DEFAULT_BODY, HANG_S, ask, router_env
from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.routing.upstream import Behaviour, RoutingUpstream

PRIMARY = "openai,o4-mini"
FALLBACK = "openrouter,anthropic/claude-sonnet-4-5"


@dataclass
class Deployed:
    spine: Path
    live: Path
    port: int
    upstream: RoutingUpstream
    env: dict[str, str]
    router: Router

    def gates(self, *args: str, **env: str) -> Any:
        return run_gates(*args, env={**self.env, **env})

    def failover(self, command: str, *args: str, **env: str) -> Any:
        return self.gates("failover", command, "--root", str(self.spine), "--live",
                          str(self.live), *args, **env)

    def drift(self, **env: str) -> Any:
        return self.gates("run", "provider-drift", "--root", str(self.spine), "--live",
                          str(self.live), "--no-receipt", **env)


def deploy(tmp_path: Path, upstream: RoutingUpstream) -> tuple[Path, Path, int, dict[str, str]]:
    """A spine with the module on, deployed by `gates sync --live` (not by hand)."""
    spine = copy_reference_spine(tmp_path / "spine")
    port = free_port()
    point_spine_at(spine, upstream.port, port, threshold=2000, prefix="/up")
    with (spine / "spine-gates.yaml").open("a") as handle:
        handle.write("failover:\n  router_module: true\n")
    live = Path(os.environ["HOME"]) / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    env = gates_env(SPINE_GATES_HEALTH_REFRESH="0")
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    assert "installed the failover router module" in synced.stdout
    key = tmp_path / "keys" / "ops.key"
    key.parent.mkdir()
    keygen = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), env=env)
    assert keygen.returncode == 0, keygen.stderr
    return spine, live, port, {**env, "SPINE_GATES_SIGNING_KEY_FILE": str(key)}


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Deployed]:
    upstream = RoutingUpstream().start()
    router: Router | None = None
    try:
        spine, live, port, env = deploy(tmp_path, upstream)
        config = json.loads(live.read_text())
        assert config["CUSTOM_ROUTER_PATH"] == str(router_module.module_path(live))
        assert router_module.installed_digest(router_module.module_path(live)) is not None
        router = Router(live.parent.parent, port, router_env(config)).start()
        yield Deployed(spine, live, port, upstream, env, router)
    finally:
        upstream.configure({})  # let a request stuck on the hang end, so the router can stop
        if router is not None:
            router.stop()
        upstream.stop()


def _override_ids(d: Deployed) -> list[str]:
    status = d.gates("failover", "status", "--live", str(d.live), "--format", "json")
    assert status.returncode == 0, status.stderr
    return [o["id"] for o in json.loads(status.stdout)["overrides"]]


def test_one_command_moves_a_hung_primary_to_the_predicted_fallback_and_revert_restores_it(
        deployed: Deployed, tmp_path: Path) -> None:
    d = deployed
    d.upstream.configure({"openai": Behaviour(close=True, delay=HANG_S)})
    assert ask(d.port, DEFAULT_BODY, timeout=2)[0] == 0, "the hung primary should time out"
    before = d.drift()
    assert before.returncode == 0 and "verdict in_sync" in before.stdout, before.stdout
    cache_health(d.spine, d.env, "hung")  # a real `providers status`: openai gives no answer

    planned = d.failover("plan", "--from-cache", "--format", "json")
    assert planned.returncode == 1, planned.stderr
    request = tmp_path / "request.json"
    request.write_text(json.dumps(DEFAULT_BODY))

    started = time.monotonic()
    applied = d.failover("apply", "--from-cache", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "reads the override on the next request; no restart" in applied.stdout
    applied_at = time.monotonic()
    d.upstream.take()
    status, answered_by, _ = ask(d.port, DEFAULT_BODY, timeout=2)
    effect = time.monotonic() - applied_at
    predicted = d.gates("route", "explain", str(request), "--root", str(d.spine),
                        "--ccr-config", str(d.live), "--live-state", "--format", "json")
    model = json.loads(predicted.stdout)["outcome"]["model"]
    assert status == 200 and answered_by is not None
    assert answered_by.replace(",", "/", 1) == model == FALLBACK.replace(",", "/", 1)
    assert effect < 2.0, f"the next request after apply took {effect:.2f} s"
    assert [c.provider for c in d.upstream.take()] == ["openrouter"]
    assert time.monotonic() - started < 30  # the whole apply, probes read from the cache

    ids = _override_ids(d)
    drift = d.drift()
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert ids and "verdict overridden" in drift.stdout
    assert all(i in drift.stdout for i in ids), (ids, drift.stdout)
    assert "DRIFT-OVR-001" in drift.stdout and FALLBACK in drift.stdout

    verified = d.gates("receipts", "verify", "--root", str(d.spine))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "failover receipts" in verified.stdout

    d.upstream.configure({})  # the primary answers again
    reverted = d.failover("revert", "--all")
    assert reverted.returncode == 0, reverted.stderr
    after = d.drift()
    assert after.returncode == 0 and "verdict in_sync" in after.stdout, after.stdout
    assert ask(d.port, DEFAULT_BODY, timeout=5)[:2] == (200, PRIMARY)
    verified = d.gates("receipts", "verify", "--root", str(d.spine))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_override_left_past_its_ttl_is_drift_and_stops_routing(deployed: Deployed) -> None:
    d = deployed
    cache_health(d.spine, d.env, "hung")
    # long enough to see the router apply it first: `apply` itself takes about a second here
    started = time.monotonic()
    applied = d.failover("apply", "--from-cache", "--yes", "--ttl", "3s")
    assert applied.returncode == 0, applied.stderr
    assert ask(d.port, DEFAULT_BODY, timeout=5)[1] == FALLBACK
    # gates' clock jumps past the expiry (SPINE_GATES_NOW); the module uses the real clock
    later = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expired = d.drift(SPINE_GATES_NOW=later)
    assert expired.returncode == 2, expired.stdout + expired.stderr
    assert "DRIFT-OVR-002" in expired.stdout and "verdict drift" in expired.stdout
    time.sleep(max(0.0, 3.2 - (time.monotonic() - started)))
    assert ask(d.port, DEFAULT_BODY, timeout=5)[1] == PRIMARY  # expired: no revert run
    assert d.drift().returncode == 2  # on the real clock too, until reverted
