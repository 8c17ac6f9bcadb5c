"""Claude Code through the real router, answered by the fallback after `gates failover apply`.

On loopback: the real claude-code-router 2.0.0 deployed by `gates sync` (with the failover
module), the real `claude -p` in the environment `ccr activate` prints, and a fake upstream whose
`anthropic` hangs. Claude Code sends `thinking`, so its main request is the think slot, bound to
the architect role (primary anthropic/claude-opus-4-5): the test checks that from the calls the
fake upstream saw, not by assumption. Before apply, with a short API_TIMEOUT_MS, Claude Code
gets no answer (the subprocess is cut after a few seconds); after `gates failover apply --yes`,
`claude -p` prints the fallback's answer, the model `route explain --live-state` predicts for
the body the router logged. Nothing leaves 127.0.0.1: Claude Code's telemetry, updates and other
traffic are turned off, as in tests/routing/test_claude_code_e2e.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spine_gates.ccr.activate import parse_activate_output
from tests.ccr.ccr_fakes import REPO, Router, ccr_binary
from tests.failover.router_helpers import HANG_S, router_env
from tests.failover.test_failover_e2e import deploy
from tests.health.fakes import KEYS, FakeProviders
from tests.helpers import run_gates
from tests.routing.test_claude_code_e2e import CLAUDE_MISSING, logged_request_bodies
from tests.routing.upstream import Behaviour, RoutingUpstream

PRIMARY = ("anthropic", "claude-opus-4-5")
FALLBACK = "openrouter,anthropic/claude-opus-4-5"  # the architect chain's first healthy entry
CUT_S = 12  # the subprocess limit before apply: the hang is cut, never waited out


def claude_binary() -> str:
    local = REPO / "node_modules" / ".bin" / "claude"
    found = str(local) if local.exists() else shutil.which("claude")
    if not found:
        raise AssertionError(CLAUDE_MISSING)
    return found


def cache_anthropic_hung(spine: Path, env: dict[str, str]) -> None:
    """A real `providers status` against fake providers where anthropic answers too late."""
    with FakeProviders() as fake:
        fake.all_healthy()
        fake.script("anthropic", delay=3.0)
        probe_env = {**env, "SPINE_GATES_API_BASE_OVERRIDES": fake.overrides(), **KEYS}
        status = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                           "--timeout", "1", "--deadline", "2", env=probe_env)
    assert status.returncode in (0, 1), status.stderr
    states = {p["id"]: p["state"] for p in json.loads(status.stdout)["providers"]}
    assert states["anthropic"] == "unreachable" and states["openrouter"] == "healthy", states


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[Path, Path, Router, RoutingUpstream,
                                               dict[str, str]]]:
    ccr_binary()
    claude_binary()
    upstream = RoutingUpstream().start()
    router: Router | None = None
    try:
        spine, live, port, env = deploy(tmp_path, upstream)
        router = Router(live.parent.parent, port, router_env(json.loads(live.read_text())))
        router.start()
        yield spine, live, router, upstream, env
    finally:
        upstream.configure({})  # let requests stuck on the hang end, so the router can stop
        if router is not None:
            router.stop()
        upstream.stop()


def claude_env(router: Router, **extra: str) -> dict[str, str]:
    activate = subprocess.run([ccr_binary(), "activate"], env={**os.environ, "HOME": str(
        router.home)}, capture_output=True, text=True, timeout=60, check=True)
    exports = parse_activate_output(activate.stdout).exports
    assert exports["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{router.port}"
    # `eval "$(ccr activate)"` expands the config's `$CCR_APIKEY` in the user's shell
    exports = {name: router.env.get(value[1:], value) if value.startswith("$") else value
               for name, value in exports.items()}
    claude_home = router.home / "claude-home"
    claude_home.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **exports,
            "HOME": str(claude_home), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", **extra}


def ask_claude(env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    """`claude -p`; None when it was cut at `timeout` (the process is killed)."""
    try:
        return subprocess.run([claude_binary(), "-p", "say hi"], env=env, cwd=env["HOME"],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None


def explain(spine: Path, live: Path, body: dict[str, Any], tmp_path: Path) -> str:
    request = tmp_path / "claude-request.json"
    request.write_text(json.dumps(body))
    proc = run_gates("route", "explain", str(request), "--root", str(spine), "--ccr-config",
                     str(live), "--live-state", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return str(json.loads(proc.stdout)["outcome"]["model"])


def test_claude_code_is_answered_by_the_fallback_after_apply_as_predicted(
        deployed: tuple[Path, Path, Router, RoutingUpstream, dict[str, str]],
        tmp_path: Path) -> None:
    spine, live, router, upstream, env = deployed
    upstream.configure({"anthropic": Behaviour(close=True, delay=HANG_S)})

    before = ask_claude(claude_env(router, API_TIMEOUT_MS="2000"), timeout=CUT_S)
    assert before is None or "answer from" not in before.stdout, before
    calls = [(c.provider, c.model) for c in upstream.take()]
    assert PRIMARY in calls, calls  # Claude Code's main request hit the think slot's primary

    cache_anthropic_hung(spine, env)
    applied = run_gates("failover", "apply", "--root", str(spine), "--live", str(live),
                        "--from-cache", "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert f"think anthropic,claude-opus-4-5 -> {FALLBACK}" in applied.stdout
    seen = len(logged_request_bodies(router.home))

    after = ask_claude(claude_env(router), timeout=180)
    assert after is not None and after.returncode == 0, after and after.stderr[-2000:]
    assert after.stdout.strip() == f"answer from {FALLBACK}", after.stdout
    calls = [(c.provider, c.model) for c in upstream.take()]
    assert PRIMARY not in calls and tuple(FALLBACK.split(",", 1)) in calls, calls

    thinking = [b for b in logged_request_bodies(router.home)[seen:] if b.get("thinking")]
    assert thinking, "the router logged no request with thinking from Claude Code"
    assert explain(spine, live, thinking[-1], tmp_path) == FALLBACK.replace(",", "/", 1)
