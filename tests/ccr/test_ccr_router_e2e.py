"""Against the real claude-code-router 2.0.0: the compiled SSOT routes, falls back, activates,
and a hand edit is drift that `gates sync` undoes.

One router per module (it takes ~150 MB and the machine is shared); the mutating test runs last.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.ccr.ccr_fakes import LONG_CONTEXT_THRESHOLD, PROVIDER_KEYS, REPO, FakeUpstream, Router
from tests.helpers import gates_env, run_gates

CLIENT_KEY = PROVIDER_KEYS["CCR_APIKEY"]


def env_for(home: Path) -> dict[str, str]:
    path = f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return gates_env(**PROVIDER_KEYS, HOME=str(home), PATH=path)


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, router_spine: Path,
           upstream: FakeUpstream) -> Any:
    home = tmp_path_factory.mktemp("router-home")
    config = home / ".claude-code-router" / "config.json"
    synced = run_gates("sync", "--root", str(router_spine), "--live", str(config),
                       env=env_for(home))
    assert synced.returncode == 0, synced.stderr
    port = json.loads(config.read_text())["PORT"]
    instance = Router(home, port, PROVIDER_KEYS)
    instance.start()
    yield instance
    instance.stop()


def compiled(router: Router) -> dict[str, Any]:
    return json.loads(router.config_path.read_text())


def plain(**extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}],
            **extra}


SLOT_REQUESTS = {
    "default": plain(),
    "background": plain(model="claude-haiku-4-5"),
    "think": plain(thinking={"type": "enabled", "budget_tokens": 1024}),
    "webSearch": plain(tools=[{"type": "web_search_20250305", "name": "web_search"}]),
    "longContext": {"model": "claude-sonnet-4-5", "messages": [
        {"role": "user", "content": "word " * (LONG_CONTEXT_THRESHOLD * 2)}]},
}


def test_router_accepts_the_compiled_config_and_serves(router: Router,
                                                       upstream: FakeUpstream) -> None:
    upstream.reset()
    status, body = router.message(plain(), CLIENT_KEY)
    assert status == 200
    provider, model = compiled(router)["Router"]["default"].split(",", 1)
    assert body["content"][0]["text"] == f"hello from {model}"
    [request] = upstream.take()
    assert request.path.startswith(f"/{provider}/")
    # the $NAME placeholder was filled from the router's environment, not sent literally
    assert request.headers["authorization"] == "Bearer fake-openai-key-0002"


def test_every_slot_has_its_own_model_in_the_test_spine(router: Router) -> None:
    slots = compiled(router)["Router"]
    targets = [slots[s] for s in SLOT_REQUESTS]
    assert len(set(targets)) == len(targets), slots


@pytest.mark.parametrize("slot", sorted(SLOT_REQUESTS))
def test_each_slot_reaches_the_model_the_ssot_binds(router: Router, upstream: FakeUpstream,
                                                    slot: str) -> None:
    upstream.reset()
    provider, model = compiled(router)["Router"][slot].split(",", 1)
    status, _body = router.message(SLOT_REQUESTS[slot], CLIENT_KEY)
    assert status == 200
    [request] = upstream.take()
    assert (request.path.split("/")[1], request.model) == (provider, model)


@pytest.mark.parametrize("slot", ["default", "think", "background"])
def test_a_429_from_the_primary_is_answered_by_the_first_fallback(
        router: Router, upstream: FakeUpstream, slot: str) -> None:
    upstream.reset()
    config = compiled(router)
    primary = config["Router"][slot].split(",", 1)
    first = config["fallback"][slot][0].split(",", 1)
    upstream.fail[primary[1]] = 429
    status, body = router.message(SLOT_REQUESTS[slot], CLIENT_KEY)
    upstream.fail.clear()
    assert status == 200
    assert body["content"][0]["text"] == f"hello from {first[1]}"
    seen = [(r.path.split("/")[1], r.model, r.status) for r in upstream.take()]
    assert seen == [(primary[0], primary[1], 429), (first[0], first[1], 200)]


def test_when_every_fallback_fails_the_client_gets_the_primarys_status(
        router: Router, upstream: FakeUpstream) -> None:
    upstream.reset()
    config = compiled(router)
    chain = [config["Router"]["background"], *config["fallback"]["background"]]
    upstream.fail.update({target.split(",", 1)[1]: 500 for target in chain})
    upstream.fail[chain[0].split(",", 1)[1]] = 429
    status, _body = router.message(SLOT_REQUESTS["background"], CLIENT_KEY)
    upstream.fail.clear()
    assert status == 429
    assert [r.model for r in upstream.take()] == [t.split(",", 1)[1] for t in chain]


def test_ccr_activate_is_checked_by_proxy_check(router: Router) -> None:
    result = run_gates("proxy", "check", "--live", str(router.config_path), "--format", "json",
                       env=env_for(router.home))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [f for f in report["findings"] if f["rule"].startswith("CCR-")] == []
    assert CLIENT_KEY not in result.stdout + result.stderr


def test_proxy_check_flags_activate_output_with_the_wrong_port(router: Router,
                                                               tmp_path: Path) -> None:
    import subprocess

    from ccr_fakes import ccr_binary

    real = subprocess.run([ccr_binary(), "activate"], env={**os.environ, **PROVIDER_KEYS,
                          "HOME": str(router.home)}, capture_output=True, text=True,
                          timeout=30, check=True).stdout
    port = compiled(router)["PORT"]
    assert f'export ANTHROPIC_BASE_URL="http://127.0.0.1:{port}"' in real
    wrong = tmp_path / "activate.txt"
    wrong.write_text(real.replace(f"127.0.0.1:{port}", f"127.0.0.1:{port + 1}"))
    result = run_gates("proxy", "check", "--live", str(router.config_path),
                       "--activate-output", str(wrong), env=env_for(router.home))
    assert result.returncode == 1
    assert "CCR-ACTIVATE-001" in result.stdout
    assert f"expected http://127.0.0.1:{port}" in result.stdout
    assert CLIENT_KEY not in result.stdout


def test_hand_edit_is_drift_and_sync_restores_what_the_restarted_router_routes(
        router: Router, upstream: FakeUpstream, router_spine: Path) -> None:
    env = env_for(router.home)
    live = router.config_path
    original = live.read_text()
    ssot_default = compiled(router)["Router"]["default"]
    edited = original.replace(f'"default": "{ssot_default}"', '"default": "zai,glm-5"')
    assert edited != original
    live.write_text(edited)
    router.restart()
    upstream.reset()
    assert router.message(plain(), CLIENT_KEY)[0] == 200
    assert [r.model for r in upstream.take()] == ["glm-5"]  # the hand edit is what runs

    drift = run_gates("run", "provider-drift", "--root", str(router_spine), "--live", str(live),
                      "--format", "json", env=env)
    assert drift.returncode == 2, drift.stderr
    [finding] = [f for f in json.loads(drift.stdout)["findings"] if f["rule"] == "DRIFT-001"]
    assert finding["pointer"] == "/Router/default"
    assert edited.splitlines()[finding["line"] - 1].strip().startswith('"default": "zai,glm-5"')
    assert finding["message"] == f"Router.default: live is zai,glm-5, SSOT says {ssot_default}"

    synced = run_gates("sync", "--root", str(router_spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    assert live.read_text() == original
    assert len(list(live.parent.glob("config.json.*.bak"))) == 1
    again = run_gates("run", "provider-drift", "--root", str(router_spine), "--live", str(live),
                      env=env)
    assert again.returncode == 0, again.stdout

    router.restart()
    upstream.reset()
    assert router.message(plain(), CLIENT_KEY)[0] == 200
    assert [r.model for r in upstream.take()] == [ssot_default.split(",", 1)[1]]
