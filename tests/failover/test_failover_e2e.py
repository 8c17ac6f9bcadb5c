"""End to end on loopback: the real claude-code-router 2.0.0, a config compiled with the failover
router module, and a fake upstream whose primary for the default slot hangs; driven only through
the `gates` CLI.

Before: a request with a 2 s client timeout times out (2.0.0 never falls back after a hang).
After `gates failover apply --yes`: the fallback model answers, as `route explain --live-state`
predicted, within 2 s of the apply, with no restart. After `revert`: the primary serves again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover import router_module
from tests.ccr.ccr_fakes import Router, free_port, point_spine_at
from tests.failover.cli_setup import cache_health
from tests.failover.test_router_module_real import CLIENT_KEY, DEFAULT_BODY, HANG_S, _ask
from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.routing.upstream import Behaviour, RoutingUpstream


@pytest.fixture
def hung(tmp_path: Path) -> Iterator[dict[str, Any]]:
    upstream = RoutingUpstream().start()
    router: Router | None = None
    try:
        spine = copy_reference_spine(tmp_path / "spine")
        port = free_port()
        point_spine_at(spine, upstream.port, port, threshold=2000, prefix="/up")
        with (spine / "spine-gates.yaml").open("a") as handle:
            handle.write("failover:\n  router_module: true\n")
        home = Path(os.environ["HOME"])
        live = home / ".claude-code-router" / "config.json"
        live.parent.mkdir(parents=True)
        env = gates_env(SPINE_GATES_HEALTH_REFRESH="0")
        compiled = run_gates("compile", "ccr", "--root", str(spine), "--out", str(live),
                             env=env)
        assert compiled.returncode == 0, compiled.stderr
        config = json.loads(live.read_text())
        config["LOG"] = False
        live.write_text(json.dumps(config, indent=2))
        # `gates sync` installs the module once the drift/sync side lands; until then, here
        assert config["CUSTOM_ROUTER_PATH"] == str(router_module.install(live).path)
        key = tmp_path / "signing.key"
        assert run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key),
                         env=env).returncode == 0
        router_env = {str(p["api_key"])[1:]: f"fake-{p['name']}-key"
                      for p in config["Providers"] if str(p["api_key"]).startswith("$")}
        router_env["CCR_APIKEY"] = CLIENT_KEY
        router = Router(home, port, router_env).start()
        yield {"spine": spine, "live": live, "port": port, "upstream": upstream,
               "env": {**env, "SPINE_GATES_SIGNING_KEY_FILE": str(key)}}
    finally:
        upstream.configure({})  # let a request stuck on the hang end, so the router can stop
        if router is not None:
            router.stop()
        upstream.stop()


def test_one_command_moves_a_hung_primary_to_the_predicted_fallback_and_revert_restores_it(
        hung: dict[str, Any], tmp_path: Path) -> None:
    spine, live, port, upstream, env = (hung[k] for k in ("spine", "live", "port", "upstream",
                                                          "env"))
    upstream.configure({"openai": Behaviour(close=True, delay=HANG_S)})
    assert _ask(port, DEFAULT_BODY, timeout=2)[0] == 0, "the hung primary should time out"
    cache_health(spine, env, "hung")  # a real `providers status`: openai gives no answer

    def gates(*args: str) -> Any:
        return run_gates(*args, "--root", str(spine), "--live", str(live), env=env)

    planned = gates("failover", "plan", "--from-cache", "--format", "json")
    assert planned.returncode == 1, planned.stderr
    request = tmp_path / "request.json"
    request.write_text(json.dumps(DEFAULT_BODY))

    started = time.monotonic()
    applied = gates("failover", "apply", "--from-cache", "--yes")
    assert applied.returncode == 0, applied.stderr
    applied_at = time.monotonic()
    upstream.take()
    status, answered_by, _ = _ask(port, DEFAULT_BODY, timeout=2)
    effect = time.monotonic() - applied_at
    predicted = run_gates("route", "explain", str(request), "--root", str(spine),
                          "--ccr-config", str(live), "--live-state", "--format", "json",
                          env=env)
    model = json.loads(predicted.stdout)["outcome"]["model"]
    assert status == 200 and answered_by is not None
    assert answered_by.replace(",", "/", 1) == model == "openrouter/anthropic/claude-sonnet-4-5"
    assert effect < 2.0, f"the next request after apply took {effect:.2f} s"
    assert [c.provider for c in upstream.take()] == ["openrouter"]
    assert time.monotonic() - started < 30  # the whole apply, probes read from the cache

    verified = run_gates("receipts", "verify", "--root", str(spine), env=env)
    assert verified.returncode == 0 and "failover receipts" in verified.stdout

    upstream.configure({})  # the primary answers again
    reverted = gates("failover", "revert", "--all")
    assert reverted.returncode == 0, reverted.stderr
    assert _ask(port, DEFAULT_BODY, timeout=5)[:2] == (200, "openai,o4-mini")
