"""Against the real LiteLLM 1.108.7: the compiled SSOT reaches each role's primary, by role name
and by the model names Claude Code sends, and a failing primary falls back along the role's chain.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.litellm.conftest import Running
from tests.litellm.gateway import MASTER_KEY
from tests.routing.test_claude_code_e2e import claude_binary
from tests.routing.upstream import Behaviour

PRIMARIES = {"architect": ("anthropic", "claude-opus-4-5"),
             "executor": ("openai", "o4-mini"),
             "background": ("nvidia_nim", "z-ai/glm5")}


def chat(running: Running, model: str) -> tuple[int, str]:
    status, body = running.gateway.post("/v1/chat/completions", {
        "model": model, "messages": [{"role": "user", "content": "hi"}]})
    content = body.get("choices", [{}])[0].get("message", {}).get("content", "") \
        if status == 200 else str(body)
    return status, str(content)


@pytest.mark.parametrize("role", sorted(PRIMARIES))
def test_a_role_model_group_is_answered_by_the_roles_primary(running: Running, role: str) -> None:
    running.upstream.configure({})
    status, content = chat(running, role)
    provider, model = PRIMARIES[role]
    assert status == 200, content
    assert content == f"answer from {provider},{model}"
    assert [(c.provider, c.model) for c in running.upstream.take()] == [(provider, model)]


@pytest.mark.parametrize(("client_model", "role"), [("claude-opus-5-5", "architect"),
                                                    ("claude-sonnet-5-5", "executor"),
                                                    ("claude-haiku-5-5", "background")])
def test_a_claude_code_model_name_reaches_the_role_of_its_router_slot(
        running: Running, client_model: str, role: str) -> None:
    # OpenAI format here: /v1/messages into an OpenAI-format upstream makes LiteLLM expect a
    # stream the fake does not speak; the Anthropic path is proven by Claude Code itself below.
    running.upstream.configure({})
    status, content = chat(running, client_model)
    provider, model = PRIMARIES[role]
    assert status == 200, content
    assert content == f"answer from {provider},{model}"


def test_a_rate_limited_primary_is_answered_by_the_first_fallback(running: Running) -> None:
    running.upstream.configure({"openai": Behaviour(status=429)})
    status, content = chat(running, "executor")
    assert status == 200, content
    assert content == "answer from openrouter,anthropic/claude-sonnet-4-5"
    calls = [(c.provider, c.model, c.status) for c in running.upstream.take()]
    # num_retries 0: one attempt on the primary, then the chain (no backoff on the same 429)
    assert calls == [("openai", "o4-mini", 429),
                     ("openrouter", "anthropic/claude-sonnet-4-5", 200)]


def test_claude_code_through_the_gateway_is_answered_by_the_architects_primary(
        running: Running) -> None:
    running.upstream.configure({})
    home = running.gateway.home / "claude-home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "ANTHROPIC_BASE_URL": running.gateway.url, "ANTHROPIC_AUTH_TOKEN": MASTER_KEY,
           "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "NO_PROXY": "127.0.0.1",
           "no_proxy": "127.0.0.1"}
    done = subprocess.run([claude_binary(), "-p", "say hi"], env=env, cwd=home,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "answer from anthropic,claude-opus-4-5", done.stdout
    calls = {(c.provider, c.model) for c in running.upstream.take()}
    assert calls == {("anthropic", "claude-opus-4-5")}
