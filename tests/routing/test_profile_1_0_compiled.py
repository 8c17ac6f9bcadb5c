"""`gates compile ccr --profile 1.0` on the reference spine, run by the real router 1.0.73.

The reference spine's providers point at the fake upstream on loopback (the Anthropic provider
keeps its `Anthropic` transformer); everything else is what the SSOT compiles to. Each slot's
request and each failure goes through the real 1.0.73 and through the evaluator with the same
profile (and once through `gates route explain --profile 1.0` itself): which upstream was
called, the client's status and the answering model must agree. A failed primary is final in
1.0 although the 2.0 profile of the same SSOT has a fallback list for that slot.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spine_gates.routing.explain import explain_request, load_router_config
from spine_gates.routing.fallback import Failures
from tests.ccr.ccr_fakes import REPO, Router, free_port, point_spine_at
from tests.helpers import gates_env, run_gates
from tests.routing.cases import IMAGE, exact_tokens
from tests.routing.harness import RouterResult, assert_agrees, behaviour_for
from tests.routing.upstream import RoutingUpstream

THRESHOLD = 1000
CLIENT_KEY = "fake-ccr-client-key-1-0"
THINK = {"type": "enabled", "budget_tokens": 1024}
WEB = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]


@dataclass(frozen=True)
class Probe:
    id: str
    body: dict[str, Any]
    rule: str
    fail: dict[str, str] = field(default_factory=dict)


def _body(model: str = "claude-sonnet-4-5", text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def probes() -> list[Probe]:
    over = exact_tokens(THRESHOLD + 1)
    tagged = {**_body(thinking=THINK), "system": [
        {"type": "text", "text": "You are Claude Code."},
        {"type": "text", "text": "<CCR-SUBAGENT-MODEL>zai,glm-5</CCR-SUBAGENT-MODEL>Sub."}]}
    return [
        Probe("default", _body(), "default"),
        Probe("think", _body(thinking=THINK), "think"),
        Probe("background", _body("claude-haiku-4-5"), "background"),
        Probe("webSearch", _body(tools=WEB), "webSearch"),
        Probe("longContext-over-threshold", _body(text=over), "longContext"),
        Probe("at-threshold-is-default", _body(text=exact_tokens(THRESHOLD)), "default"),
        Probe("explicit", _body("openrouter,qwen/qwen3-coder:free"), "explicit"),
        Probe("subagent-tag", tagged, "subagent"),
        Probe("image-without-image-slot-is-default",
              {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [
                  {"type": "text", "text": "what is this"}, IMAGE]}]}, "default"),
        Probe("think-429-is-final", _body(thinking=THINK), "think",
              {"anthropic": "http_429"}),
        Probe("background-500-is-final", _body("claude-haiku-4-5"), "background",
              {"nvidia_nim": "http_5xx"}),
        Probe("default-quota-exhausted-is-final", _body(), "default",
              {"openai": "quota_exhausted"}),
        Probe("longContext-503-is-final", _body(text=over), "longContext",
              {"anthropic/claude-opus-4-5": "http_503"}),
        Probe("explicit-429-is-final", _body("openrouter,qwen/qwen3-coder:free"), "explicit",
              {"openrouter": "http_429"}),
        Probe("default-connection-error", _body(), "default", {"openai": "connection_error"}),
        Probe("failure-elsewhere-does-not-matter", _body(thinking=THINK), "think",
              {"openai": "http_5xx", "nvidia_nim": "http_429"}),
    ]


PROBES = probes()


@dataclass
class Setup:
    root: Path
    router: Router
    upstream: RoutingUpstream
    config: dict[str, Any]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("profile-1.0-compiled")
    root = base / "spine"
    for part in ("governance", "brain"):
        shutil.copytree(REPO / "docs" / part, root / "docs" / part)
    upstream = RoutingUpstream().start()
    try:
        point_spine_at(root, upstream.port, free_port(), prefix="/up", threshold=THRESHOLD)
        home = base / "home"
        target = home / ".claude-code-router" / "config.json"
        target.parent.mkdir(parents=True)
        compiled = run_gates("compile", "ccr", "--profile", "1.0", "--root", str(root),
                             "--out", str(target), env=gates_env())
        assert compiled.returncode == 0, compiled.stderr
        text = target.read_text()
        # the router fills each $NAME from its environment (1.0.73 interpolates at start-up)
        keys = {name: f"fake-{name.lower()}" for name in re.findall(r"\$([A-Z_][A-Z0-9_]*)",
                                                                    text)}
        keys["CCR_APIKEY"] = CLIENT_KEY
        config = json.loads(text)
        router = Router(home, int(config["PORT"]), keys, version="1.0").start()
        try:
            yield Setup(root, router, upstream, config)
        finally:
            router.stop()
    finally:
        upstream.stop()


def run(setup: Setup, probe: Probe) -> RouterResult:
    setup.upstream.configure({key: behaviour_for(state) for key, state in probe.fail.items()})
    status, body = setup.router.message(probe.body, CLIENT_KEY)
    return RouterResult(status, body, [(c.provider, c.model, c.status)
                                       for c in setup.upstream.take()])


def test_the_1_0_compile_has_no_fallback_and_is_what_the_evaluator_reads(setup: Setup) -> None:
    assert "fallback" not in setup.config
    config, _, supports_fallback = load_router_config(None, setup.root, "1.0")
    assert config == setup.config and supports_fallback is False
    slots = setup.config["Router"]
    assert {"default", "think", "background", "longContext", "webSearch"} <= set(slots)


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_evaluator_with_profile_1_0_predicts_the_real_1_0_73(probe: Probe, setup: Setup) -> None:
    config, _, supports_fallback = load_router_config(None, setup.root, "1.0")
    predicted = explain_request(probe.body, config, Failures.from_mapping(probe.fail),
                                supports_fallback=supports_fallback)
    assert predicted.decision.rule == probe.rule, predicted.decision.reason

    real = run(setup, probe)

    assert_agrees(predicted, real)
    primary = predicted.outcome.attempts[0]
    if primary.result == "failed":
        assert len(real.calls) == 1, real.calls
    if primary.result == "failed" and primary.status is not None:
        assert real.status == primary.status, real.body
        # the same SSOT compiled for 2.0 falls back on this HTTP error: only the version differs
        config_20, _, _ = load_router_config(None, setup.root, "2.0")
        under_20 = explain_request(probe.body, config_20, Failures.from_mapping(probe.fail))
        assert len(under_20.outcome.attempts) > 1, under_20.to_json()


def test_route_explain_cli_with_profile_1_0_matches_the_router(setup: Setup,
                                                               tmp_path: Path) -> None:
    probe = next(p for p in PROBES if p.id == "think-429-is-final")
    request = tmp_path / "request.json"
    request.write_text(json.dumps(probe.body))
    args = ["route", "explain", str(request), "--root", str(setup.root), "--format", "json"]
    for key, state in probe.fail.items():
        args += ["--fail", f"{key}={state}"]
    explained = run_gates(*args, "--profile", "1.0", env=gates_env())
    assert explained.returncode == 0, explained.stderr
    predicted = json.loads(explained.stdout)
    real = run(setup, probe)
    calls = [(a["provider"], a["model"]) for a in predicted["outcome"]["attempts"]]
    assert [(p, m) for p, m, _ in real.calls] == calls == [("anthropic", "claude-opus-4-5")]
    assert real.status == predicted["outcome"]["status"] == 429
    assert predicted["outcome"]["model"] is None and real.answer is None
    # without the flag the 2.0 default predicts a fallback the 1.0 router never makes
    as_20 = json.loads(run_gates(*args, env=gates_env()).stdout)
    assert as_20["outcome"]["model"] is not None
