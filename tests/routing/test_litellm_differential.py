"""The gateway evaluator against the real LiteLLM 1.108.7: same requests, same upstream states.

One gateway (started once for this module) serves the reference spine compiled by `gates compile
litellm` with a fast test profile (num_retries 1, timeout 1 s, allowed_fails 1, cooldown_time 1 s),
plus a two-deployment group and a context-window pair added to the compiled file. Each case
sends one or more requests; for each, the evaluator (fed the real start time of the request, so
cooldowns age as they do in the gateway) must name the same upstream calls in order, the same
serving model and the same client status. Tolerances: time within 0.4 s per backoff plus 0.6 s
(LiteLLM adds up to 0.75 s of random jitter to each backoff; the evaluator uses its mean); in the
two-deployment group the gateway picks at random, so there the real calls must be some repeats of
the failing deployment followed by an answering one, or (the odds the evaluator notes) every
attempt on the failing one and its status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from spine_gates.routing.litellm import (
    GatewayConfig,
    GatewayState,
    gateway_config,
    gateway_failures,
    route_request,
)
from tests.ccr.ccr_fakes import free_port
from tests.helpers import gates_env, run_gates
from tests.litellm.conftest import gateway_spine
from tests.litellm.gateway import Gateway, litellm_binary
from tests.routing.harness import behaviour_for
from tests.routing.upstream import Behaviour, RoutingUpstream

PROFILE = {"num_retries": 1, "timeout": 1, "allowed_fails": 1, "cooldown_time": 1}
CONTEXT_ERROR = {"error": {"message": "This model's maximum context length is 8192 tokens. "
                           "However, your messages resulted in 9000 tokens.",
                           "type": "invalid_request_error", "code": "context_length_exceeded"}}
HANG = 2.5  # seconds an upstream waits before answering: past the profile's 1 s timeout


@dataclass(frozen=True)
class Step:
    model: str
    pause: float = 0.0  # seconds to wait before sending


@dataclass(frozen=True)
class Case:
    id: str
    fail: dict[str, str]
    steps: tuple[Step, ...]
    shuffled: bool = False  # a multi-deployment group: the gateway picks at random


def one(model: str, fail: dict[str, str], case_id: str, **kw: Any) -> Case:
    return Case(case_id, fail, (Step(model),), **kw)


CASES = [
    one("executor", {}, "a-role-alias-is-answered-by-its-primary"),
    one("architect", {}, "an-anthropic-format-primary-answers"),
    one("executor", {"openai": "http_429"}, "a-429-is-retried-once-then-falls-back"),
    one("executor", {"openai": "http_500"}, "a-500-is-retried-once-then-falls-back"),
    one("executor", {"openai": "http_503", "openrouter": "http_429"},
        "fallbacks-go-in-order-each-with-its-own-retry"),
    one("executor", {"openai": "http_500", "openrouter": "http_500", "zai": "http_502",
                     "nvidia_nim": "http_503"},
        "every-group-failing-gives-the-last-status"),
    one("executor", {"openai": "connection_error"},
        "a-connection-error-is-retried-then-falls-back"),
    one("executor", {"openai": "http_400"}, "a-400-is-not-retried-but-falls-back"),
    one("executor", {"openai": "http_404"}, "a-404-is-not-retried-but-falls-back"),
    one("claude-sonnet-4-5", {"openai": "http_429"},
        "a-client-model-name-has-its-own-fallbacks"),
    one("openai/o4-mini", {"openai": "http_429"},
        "the-group-itself-has-no-fallbacks-only-the-names-that-carry-them"),
    one("gpt-4o", {}, "an-unknown-model-is-400-with-no-upstream-call"),
    one("background", {"nvidia_nim": "http_429"}, "the-background-role-falls-back-to-its-chain"),
    one("small", {"ctx_small": "context_window"},
        "a-context-window-error-takes-the-context-window-fallback-without-retry"),
    one("executor", {"openai": "context_window"},
        "a-context-window-error-without-its-own-entry-gets-no-fallback"),
    Case("a-timeout-is-retried-then-falls-back-and-never-cools-down", {"openai": "timeout"},
         (Step("executor"), Step("executor"))),
    Case("two-401s-cool-the-primary-down-the-third-request-skips-it", {"openai": "http_401"},
         (Step("executor"), Step("executor"), Step("executor"))),
    Case("the-cooldown-ends-after-cooldown-time", {"openai": "http_401"},
         (Step("executor"), Step("executor"), Step("executor"), Step("executor", pause=1.3))),
    one("pair", {"pair_a": "http_429"}, "a-two-deployment-group-retries-on-the-other-at-once",
        shuffled=True),
    one("pair", {}, "a-two-deployment-group-answers-from-either", shuffled=True),
]


@dataclass
class Lab:
    gateway: Gateway
    upstream: RoutingUpstream
    config: GatewayConfig


def _extend(data: dict[str, Any], port: int) -> dict[str, Any]:
    """Groups the compiler does not write: two deployments in one group, a context-window pair."""
    def deployment(group: str, provider: str, model: str) -> dict[str, Any]:
        return {"model_name": group, "model_info": {"id": f"{provider}/{model}"},
                "litellm_params": {"model": f"openai/{model}",
                                   "api_key": "os.environ/OPENAI_API_KEY",
                                   "api_base": f"http://127.0.0.1:{port}/up/{provider}/v1"}}

    data["model_list"] += [deployment("pair", "pair_a", "m1"), deployment("pair", "pair_b", "m1"),
                           deployment("small", "ctx_small", "s1"),
                           deployment("big", "ctx_big", "b1")]
    data["router_settings"]["context_window_fallbacks"] = [{"small": ["big"]}]
    return data


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    litellm_binary()
    home = tmp_path_factory.mktemp("gateway-diff")
    upstream = RoutingUpstream().start()
    try:
        spine = gateway_spine(home / "spine", upstream.port)
        (spine / "spine-gates.yaml").write_text(yaml.safe_dump({"litellm": PROFILE}))
        compiled = home / "compiled.yaml"
        done = run_gates("compile", "litellm", "--root", str(spine), "--out", str(compiled),
                         env=gates_env(HOME=str(home)))
        assert done.returncode == 0, done.stderr
        data = _extend(yaml.safe_load(compiled.read_text()), upstream.port)
        config = home / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False))
        gateway = Gateway(config, free_port(), home)
        gateway.start()
        try:
            # the first request through a fresh proxy builds its clients (~1 s): not routing
            gateway.post("/v1/chat/completions", {"model": "executor", "messages": [
                {"role": "user", "content": "warm up"}]})
            upstream.take()
            yield Lab(gateway, upstream, gateway_config(data, str(config)))
        finally:
            gateway.stop()
    finally:
        upstream.stop()


def _behaviour(state: str) -> Behaviour:
    if state == "context_window":
        return Behaviour(400, body=CONTEXT_ERROR)
    if state == "timeout":
        return Behaviour(delay=HANG)  # answers, but after the gateway's own timeout
    return behaviour_for(state)


def _send(lab: Lab, model: str) -> tuple[int, str | None, float]:
    started = time.monotonic()
    status, body = lab.gateway.post("/v1/chat/completions", {
        "model": model, "messages": [{"role": "user", "content": "hi"}]})
    elapsed = time.monotonic() - started
    answer = None
    if status == 200:
        text = str(body.get("choices", [{}])[0].get("message", {}).get("content", ""))
        answer = text.removeprefix("answer from ").replace(",", "/", 1)
    return status, answer, elapsed


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_evaluator_agrees_with_the_real_gateway(case: Case, lab: Lab) -> None:
    time.sleep(1.3)  # the previous case's cooldowns and failure counters (1 s) run out
    lab.upstream.configure({key: _behaviour(state) for key, state in case.fail.items()})
    failures = gateway_failures([f"{k}={v}" for k, v in case.fail.items()])
    state = GatewayState()
    origin = time.monotonic()
    for index, step in enumerate(case.steps):
        if step.pause:
            time.sleep(step.pause)
        now = time.monotonic() - origin
        predicted = route_request(lab.config, step.model, failures, state, now)
        status, answer, elapsed = _send(lab, step.model)
        real = [(c.provider, c.model) for c in lab.upstream.take()]
        where = f"request {index + 1}: real {real} {status} {answer}; predicted {predicted}"
        if case.shuffled and status != predicted.status:
            # the path the evaluator's note gives odds for: every pick on a failing deployment
            assert any("picks at random" in n for n in predicted.notes), where
            assert len(real) == lab.config.num_retries + 1, where
            assert status == predicted.attempts[0].status and answer is None, where
            continue
        assert status == predicted.status, where
        if case.shuffled:
            # any answering deployment of the group serves; before it, only failing ones
            group = lab.config.group(lab.config.aliases.get(step.model, step.model))
            answering = {(d.provider, d.model) for d in group
                         if failures.state_of(d.provider, d.model).ok}
            failing = {(d.provider, d.model) for d in group} - answering
            assert real[-1] in answering and set(real[:-1]) <= failing, where
            assert answer == "/".join(real[-1]), where
        else:
            assert answer == predicted.model_ref, where
            assert real == predicted.calls, where
        backoffs = sum(1 for a in predicted.attempts if a.wait_before) + 1
        assert abs(elapsed - predicted.seconds) <= 0.4 * backoffs + 0.6, (elapsed, where)
