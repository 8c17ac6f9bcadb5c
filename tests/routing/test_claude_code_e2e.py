"""Claude Code through the real router: the answer comes from the model the evaluator predicts.

The router runs on loopback with a config compiled from the reference spine (providers pointed at
the fake upstream), `ccr activate` supplies Claude Code's environment, and the router's own log
of each incoming request body is fed to the evaluator. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates.ccr.activate import parse_activate_output
from spine_gates.ccr.compile import compile_ccr_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.checks.interface import prepare
from spine_gates.routing.explain import explain_request
from tests.ccr.ccr_fakes import REPO, Router, ccr_binary, free_port
from tests.routing.upstream import RoutingUpstream

CLIENT_KEY = "e2e-router-client-key"
CLAUDE_MISSING = ("Claude Code is not installed: run `npm ci` in the repository so that "
                  "node_modules/.bin/claude exists (package.json pins @anthropic-ai/claude-code)")


def claude_binary() -> str:
    local = REPO / "node_modules" / ".bin" / "claude"
    if not local.exists():
        raise AssertionError(CLAUDE_MISSING)
    return str(local)


def router_config(upstream: RoutingUpstream, port: int) -> dict[str, Any]:
    """The reference spine's compiled config, every provider pointed at the fake upstream."""
    config = compile_ccr_config(prepare(REPO).model, get_profile("2.0"))
    for provider in config["Providers"]:
        provider["api_base_url"] = upstream.url_for(provider["name"])
        provider["api_key"] = f"fake-{provider['name']}-key"
        provider.pop("transformer", None)  # the fake speaks OpenAI chat completions
    config.update({"PORT": port, "APIKEY": CLIENT_KEY, "LOG": True, "LOG_LEVEL": "info"})
    return config


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Router, RoutingUpstream, dict[str, Any]]]:
    ccr_binary()
    claude_binary()
    home = Path(tmp_path_factory.mktemp("claude-e2e"))
    upstream = RoutingUpstream().start()
    config = router_config(upstream, free_port())
    (home / ".claude-code-router").mkdir()
    (home / ".claude-code-router" / "config.json").write_text(json.dumps(config, indent=2))
    router = Router(home, int(config["PORT"]), {})
    try:
        router.start()
        yield router, upstream, config
    finally:
        router.stop()
        upstream.stop()


def logged_request_bodies(home: Path) -> list[dict[str, Any]]:
    """The bodies the router logged on arrival ("request body"), before it routed them."""
    bodies = []
    for log in sorted((home / ".claude-code-router" / "logs").glob("ccr-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("type") == "request body" and isinstance(entry.get("data"), dict):
                bodies.append(entry["data"])
    return bodies


def test_claude_code_answer_comes_from_the_predicted_model(
        running: tuple[Router, RoutingUpstream, dict[str, Any]]) -> None:
    router, upstream, config = running
    activate = subprocess.run([ccr_binary(), "activate"], env={**os.environ, "HOME": str(
        router.home)}, capture_output=True, text=True, timeout=60, check=True)
    exports = parse_activate_output(activate.stdout).exports
    assert exports["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{router.port}"
    claude_home = router.home / "claude-home"
    claude_home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **exports,
           "HOME": str(claude_home), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "NO_PROXY": "127.0.0.1",
           "no_proxy": "127.0.0.1"}
    upstream.configure({})
    done = subprocess.run([claude_binary(), "-p", "say hi"], env=env, cwd=claude_home,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]

    bodies = logged_request_bodies(router.home)
    assert bodies, "the router logged no request from Claude Code"
    predictions = [explain_request(b, config) for b in bodies]
    main_loop = [p for p in predictions if p.decision.rule == "think"]
    assert main_loop, [p.decision.rule for p in predictions]
    target = main_loop[-1].outcome.model_ref
    assert target == "anthropic/claude-opus-4-5"  # the SSOT binds think to the architect role
    assert done.stdout.strip() == "answer from anthropic,claude-opus-4-5", done.stdout

    calls = [(c.provider, c.model) for c in upstream.take()]
    predicted_calls = [(a.provider, a.model) for p in predictions for a in p.outcome.attempts]
    assert sorted(calls) == sorted(predicted_calls)
