"""The router module inside the real claude-code-router 2.0.0, on loopback.

1. Differential: with the module installed and an override for slot X, every case of the shared
   routing table (tests/routing/cases.py) is answered by the override's model exactly when the
   evaluator says the case's slot is X, and otherwise exactly as the evaluator predicts without
   it; with no override, or an expired one, the router routes as if the module were not there.
2. A hung primary: a request with a 2 s client timeout times out; after `plan` + `apply` the
   next one is answered by the fallback within 2 s, as the evaluator predicts; `revert` and
   expiry hand the slot back.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates import clock
from spine_gates.ccr.compile import compile_ccr_config, render_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.failover import overrides, router_module
from spine_gates.failover.plan import Change, Plan, plan
from spine_gates.failover.settings import failover_settings
from spine_gates.health.state import State
from spine_gates.model.governance import load_model
from spine_gates.routing.explain import Explanation, explain_request
from spine_gates.routing.fallback import Failures
from tests.ccr.ccr_fakes import REPO, Router, free_port, point_spine_at
from tests.failover.helpers import healthy, hung
from tests.failover.router_helpers import DEFAULT_BODY, HANG_S, THINK_BODY, ask, router_env
from tests.routing.cases import cases
from tests.routing.harness import RouterPool, RouterResult, assert_agrees
from tests.routing.upstream import Behaviour, RoutingUpstream

CASES = cases()
ROUTE = {"main": "delta,d-fb2", "sparse": "delta,d-fb1"}
MAIN_SLOTS = ("default", "think", "background", "longContext", "webSearch", "image")
RUNS = [("main", s) for s in (*MAIN_SLOTS, "none", "expired")] + \
    [("sparse", s) for s in ("default", "none", "expired")]


@pytest.fixture(scope="module")
def shared_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("failover-state"))


@pytest.fixture(autouse=True)
def state_home(shared_state: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One state dir for the module: the installed router module has its path baked in."""
    monkeypatch.setenv("XDG_STATE_HOME", str(shared_state))
    return shared_state / "spine-gates"


class ModulePool(RouterPool):
    """The table's router configs with the failover module as CUSTOM_ROUTER_PATH."""

    def __init__(self, base: Path, upstream: RoutingUpstream, overrides_file: Path) -> None:
        super().__init__(base, upstream)
        self.overrides_file = overrides_file

    def config(self, kind: str) -> dict[str, Any]:
        if kind not in self.configs:
            config = super().config(kind)
            live = self.base / kind / ".claude-code-router" / "config.json"
            config["CUSTOM_ROUTER_PATH"] = str(
                router_module.install(live, self.overrides_file).path)
        return self.configs[kind]


@pytest.fixture(scope="module")
def routers(tmp_path_factory: pytest.TempPathFactory,
            shared_state: Path) -> Iterator[ModulePool]:
    upstream = RoutingUpstream().start()
    pool = ModulePool(Path(tmp_path_factory.mktemp("failover-diff")), upstream,
                      shared_state / "spine-gates" / overrides.FILE_NAME)
    try:
        yield pool
    finally:
        pool.stop()
        upstream.stop()


def _write_override(slot: str, route: str, *, expired: bool = False) -> None:
    now = clock.now()
    start = now - _dt.timedelta(hours=2) if expired else now
    change = Change(slot, "test", "alpha,a-default", route, State.UNREACHABLE, "test", None, {})
    overrides.revert(None, now)
    overrides.apply(Plan(start, (change,)), _dt.timedelta(hours=1), start)


def _predict(case_body: dict[str, Any], config: dict[str, Any], failures: Failures,
             slot: str, route: str) -> tuple[Explanation, bool]:
    plain = explain_request(case_body, config, failures)
    if plain.decision.rule != slot:
        return plain, False
    return explain_request(case_body, config, failures, custom_route=route), True


@pytest.mark.parametrize("kind, slot", RUNS, ids=[f"{k}-{s}" for k, s in RUNS])
def test_router_answers_with_the_override_iff_the_evaluator_says_its_slot(
        kind: str, slot: str, routers: ModulePool) -> None:
    route = ROUTE[kind]
    if slot == "none":
        overrides.revert(None, clock.now())
    elif slot == "expired":
        _write_override("default", route, expired=True)
    else:
        _write_override(slot, route)
    config = routers.config(kind)
    overridden, mismatches = 0, []
    for case in (c for c in CASES if c.config == kind):
        failures = Failures.from_mapping(case.fail)
        predicted, applies = _predict(case.body, config, failures, slot, route)
        overridden += applies
        real: RouterResult = routers.run(case)
        try:
            assert_agrees(predicted, real)
            if applies and predicted.outcome.attempts:  # a converter error calls no upstream
                assert real.calls[0][:2] == tuple(route.split(",", 1)), real.calls
        except AssertionError as exc:
            mismatches.append(f"{case.id}: {exc}")
    assert mismatches == []
    if slot in ("none", "expired"):
        assert overridden == 0
    else:
        assert overridden > 0, f"no case of the table lands on {slot}"


# --- a hung primary, end to end through the engine ---------------------------------------------

@pytest.fixture
def hung_router(tmp_path: Path, state_home: Path) -> Iterator[tuple[Any, Path, int,
                                                                    RoutingUpstream]]:
    upstream = RoutingUpstream().start()
    router: Router | None = None
    try:
        (state_home / overrides.FILE_NAME).unlink(missing_ok=True)
        spine = tmp_path / "spine"
        shutil.copytree(REPO / "docs" / "governance", spine / "docs" / "governance")
        shutil.copytree(REPO / "docs" / "brain", spine / "docs" / "brain")
        port = free_port()
        point_spine_at(spine, upstream.port, port, threshold=2000, prefix="/up")
        with (spine / "spine-gates.yaml").open("a") as handle:
            handle.write("failover:\n  router_module: true\n")
        home = tmp_path / "home"
        live = home / ".claude-code-router" / "config.json"
        live.parent.mkdir(parents=True)
        model = load_model(spine)
        config = compile_ccr_config(model, get_profile("2.0"), live_path=live)
        config["LOG"] = False
        live.write_text(render_config(config))
        installed = router_module.install(live)
        assert config["CUSTOM_ROUTER_PATH"] == str(installed.path)
        router = Router(home, port, router_env(config)).start()
        yield model, live, port, upstream
    finally:
        upstream.configure({})  # let a request stuck on the hang end, so the router can stop
        if router is not None:
            router.stop()
        upstream.stop()
        (state_home / overrides.FILE_NAME).unlink(missing_ok=True)


def test_hung_primary_is_answered_by_the_fallback_after_apply(hung_router: Any) -> None:
    model, live, port, upstream = hung_router
    live_config = json.loads(live.read_text())
    upstream.configure({"openai": Behaviour(close=True, delay=HANG_S)})
    status, _, _ = ask(port, DEFAULT_BODY, timeout=2)
    assert status == 0, "the hung primary should hold the request past the client's 2 s"

    proposed = plan(model, healthy(openai=hung()), live_config,
                    failover_settings(model.config), clock.now())
    change = next(c for c in proposed.changes if c.slot == "default")
    predicted = explain_request(DEFAULT_BODY, live_config, Failures.parse(["openai=timeout"]),
                                custom_route=change.route)
    assert predicted.outcome.answered_by == ("openrouter", "anthropic/claude-sonnet-4-5")
    applied_at = time.monotonic()
    overrides.apply(proposed, _dt.timedelta(minutes=5), clock.now(), live_path=live)
    upstream.take()

    status, answered_by, _ = ask(port, DEFAULT_BODY, timeout=2)
    assert status == 200 and answered_by == change.route
    assert time.monotonic() - applied_at < 2.0
    assert [c.provider for c in upstream.take()] == ["openrouter"]
    # a slot without an override still routes as the SSOT says (architect: anthropic)
    status, answered_by, _ = ask(port, THINK_BODY, timeout=5)
    assert (status, answered_by) == (200, "anthropic,claude-opus-4-5")
    # the live config never changed: the override is data the module reads
    assert json.loads(live.read_text()) == live_config


def test_revert_and_expiry_hand_the_slot_back(hung_router: Any) -> None:
    model, live, port, upstream = hung_router
    live_config = json.loads(live.read_text())
    proposed = plan(model, healthy(openai=hung()), live_config,
                    failover_settings(model.config), clock.now())
    overrides.apply(proposed, _dt.timedelta(minutes=5), clock.now(), live_path=live)
    assert ask(port, DEFAULT_BODY, timeout=5)[1] == "openrouter,anthropic/claude-sonnet-4-5"
    overrides.revert(None, clock.now())
    assert ask(port, DEFAULT_BODY, timeout=5)[1] == "openai,o4-mini"

    # 4 s: long enough that a loaded machine answers the first request before the expiry
    # (with 1 s it expired first under CI load), short enough to wait out
    expires = time.monotonic() + 4
    overrides.apply(proposed, _dt.timedelta(seconds=4), clock.now(), live_path=live)
    assert ask(port, DEFAULT_BODY, timeout=3)[1] == "openrouter,anthropic/claude-sonnet-4-5"
    time.sleep(max(0.0, expires - time.monotonic()) + 0.2)
    assert ask(port, DEFAULT_BODY, timeout=5)[1] == "openai,o4-mini"  # expired: no revert run


def test_a_torn_override_file_routes_as_the_ssot_says(hung_router: Any,
                                                      state_home: Path) -> None:
    _, _, port, _ = hung_router
    state_home.mkdir(parents=True, exist_ok=True)
    (state_home / overrides.FILE_NAME).write_text('{"version": 1, "overrides": [{"slot": "def')
    assert ask(port, DEFAULT_BODY, timeout=5)[1] == "openai,o4-mini"
