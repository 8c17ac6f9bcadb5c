"""A user's own CUSTOM_ROUTER_PATH is chained by the failover module, not replaced.

The live config names the user's module; `gates sync` (failover.router_module on) names the
spine-gates module instead and records the user's path; the installed module calls the user's
for every request it does not override and returns its answer. Checked on the real
claude-code-router 2.0.0 on loopback, with a fake upstream: before and after an override, a
request the user's module routes still goes where it says, except on the overridden slot.
`gates failover status` and the drift gate name the chained module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover import router_module
from tests.ccr.ccr_fakes import Router, free_port, point_spine_at
from tests.failover.cli_setup import cache_health
from tests.failover.router_helpers import DEFAULT_BODY, THINK_BODY, ask, router_env
from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.routing.upstream import RoutingUpstream

MARK = "route-me-to-zai"
USER_MODULE = f"""module.exports = async function userRouter(req, config) {{
  return JSON.stringify(req.body.messages || []).includes({json.dumps(MARK)}) ?
    "zai,glm-5" : null;
}};
"""
OVERRIDE = "openrouter,anthropic/claude-sonnet-4-5"


def _marked(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "messages": [{"role": "user", "content": f"hi {MARK}"}]}


def _spine_with_user_module(tmp_path: Path, upstream_port: int, port: int
                            ) -> tuple[Path, Path, Path, dict[str, str]]:
    """A spine with the module on and a live config that names the user's own module."""
    spine = copy_reference_spine(tmp_path / "spine")
    point_spine_at(spine, upstream_port, port, threshold=2000, prefix="/up")
    with (spine / "spine-gates.yaml").open("a") as handle:
        handle.write("failover:\n  router_module: true\n")
    live = Path(os.environ["HOME"]) / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    user = live.parent / "my-router.js"
    user.write_text(USER_MODULE)
    env = gates_env(SPINE_GATES_HEALTH_REFRESH="0")
    compiled = run_gates("compile", "ccr", "--root", str(spine), "--out", str(live), env=env)
    assert compiled.returncode == 0, compiled.stderr
    config = json.loads(live.read_text())
    config["CUSTOM_ROUTER_PATH"] = str(user)
    live.write_text(json.dumps(config, indent=2) + "\n")
    key = tmp_path / "ops.key"
    keygen = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), env=env)
    assert keygen.returncode == 0, keygen.stderr
    return spine, live, user, {**env, "SPINE_GATES_SIGNING_KEY_FILE": str(key)}


def _sync(spine: Path, live: Path, env: dict[str, str]) -> Any:
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    return synced


def test_sync_chains_the_users_module_and_status_and_drift_name_it(tmp_path: Path) -> None:
    spine, live, user, env = _spine_with_user_module(tmp_path, free_port(), free_port())
    synced = _sync(spine, live, env)
    assert f"chains the router module {user}" in synced.stdout
    ours = router_module.module_path(live)
    assert json.loads(live.read_text())["CUSTOM_ROUTER_PATH"] == str(ours)
    status = run_gates("failover", "status", "--live", str(live), "--format", "json", env=env)
    data = json.loads(status.stdout)
    assert (data["router_module"], data["chained_router"]) == ("installed", str(user))
    drift = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                      "--no-receipt", "--format", "json", env=env)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    named = [f for f in json.loads(drift.stdout)["findings"] if f["rule"] == "DRIFT-OVR-007"]
    assert len(named) == 1 and str(user) in named[0]["message"]
    again = _sync(spine, live, env)  # a second sync keeps the chain it recorded
    assert "already matches" in again.stdout
    assert router_module.installed_digest(ours) == router_module.expected_digest(ours)


def test_a_relative_custom_router_path_is_refused_by_sync(tmp_path: Path) -> None:
    spine, live, _user, env = _spine_with_user_module(tmp_path, free_port(), free_port())
    config = json.loads(live.read_text())
    config["CUSTOM_ROUTER_PATH"] = "my-router.js"
    live.write_text(json.dumps(config))
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 3
    assert "CUSTOM_ROUTER_PATH" in synced.stderr and len(synced.stderr.splitlines()) == 1
    assert json.loads(live.read_text())["CUSTOM_ROUTER_PATH"] == "my-router.js"


@pytest.fixture
def chained_router(tmp_path: Path) -> Iterator[tuple[Path, Path, int, RoutingUpstream,
                                                     dict[str, str]]]:
    upstream = RoutingUpstream().start()
    router: Router | None = None
    try:
        port = free_port()
        spine, live, _user, env = _spine_with_user_module(tmp_path, upstream.port, port)
        _sync(spine, live, env)
        router = Router(live.parent.parent, port, router_env(json.loads(live.read_text())))
        router.start()
        yield spine, live, port, upstream, env
    finally:
        if router is not None:
            router.stop()
        upstream.stop()


def test_the_real_router_answers_through_the_users_module_except_on_an_overridden_slot(
        chained_router: tuple[Path, Path, int, RoutingUpstream, dict[str, str]]) -> None:
    spine, live, port, _upstream, env = chained_router
    assert ask(port, DEFAULT_BODY, timeout=10)[:2] == (200, "openai,o4-mini")
    assert ask(port, _marked(DEFAULT_BODY), timeout=10)[:2] == (200, "zai,glm-5")
    cache_health(spine, env, "hung")
    applied = run_gates("failover", "apply", "--root", str(spine), "--live", str(live),
                        "--from-cache", "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert ask(port, DEFAULT_BODY, timeout=10)[:2] == (200, OVERRIDE)
    assert ask(port, _marked(DEFAULT_BODY), timeout=10)[:2] == (200, OVERRIDE)
    # think is not overridden: the user's module still decides it
    assert ask(port, _marked(THINK_BODY), timeout=10)[:2] == (200, "zai,glm-5")
    assert ask(port, THINK_BODY, timeout=10)[:2] == (200, "anthropic,claude-opus-4-5")
