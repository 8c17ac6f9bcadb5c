"""`gates failover bypass`: what sends each proxy-compatible CLI straight to its role's first
healthy provider of the CLI's own API format, with keys only as references (`$NAME`, to be run
under `infisical run --`). Health comes from the cache or fresh probes, as `failover plan`'s."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.health.fakes import KEYS, FakeProviders, closed_port
from tests.health.health_helpers import assert_no_keys
from tests.helpers import copy_reference_spine, gates_env, one_error_line, run_gates

NOT_BUILT = "gates failover bypass does not exist yet"
RUN = ("infisical run --path=/spine/ai/providers -- sh -c 'eval \"$(gates failover bypass "
       "--cli claude_code)\" && exec claude'")


def probe_env(fake: FakeProviders, refused: tuple[str, ...] = ()) -> dict[str, str]:
    special = {p: f"http://127.0.0.1:{closed_port()}/v1" for p in refused}
    return gates_env(SPINE_GATES_HEALTH_REFRESH="0",
                     SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(**special), **KEYS)


def cache(spine: Path, *refused: str) -> None:
    """A real `providers status` against fake providers (`refused` ones on a closed port)."""
    with FakeProviders() as fake:
        fake.all_healthy()
        status = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                           "--timeout", "1", "--deadline", "2", env=probe_env(fake, refused))
    assert status.returncode in (0, 1, 2), status.stderr


@pytest.fixture
def spine(tmp_path: Path) -> Path:
    return copy_reference_spine(tmp_path / "spine")


def bypass(spine: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return run_gates("failover", "bypass", "--root", str(spine), *args,
                     env=env or gates_env(SPINE_GATES_HEALTH_REFRESH="0"))


def exports(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#") and line.strip()]


def cli_entry(proc: subprocess.CompletedProcess[str], cli: str) -> dict[str, Any]:
    data = json.loads(proc.stdout)
    entry: dict[str, Any] = next(c for c in data["clis"] if c["cli"] == cli)
    return entry


def test_claude_code_is_sent_straight_to_anthropic_with_the_key_as_a_reference(spine):
    cache(spine, "openai")
    proc = bypass(spine, "--cli", "claude_code", "--from-cache")
    assert proc.returncode == 0, proc.stderr
    assert exports(proc.stdout) == [
        'export ANTHROPIC_BASE_URL="https://api.anthropic.com"',
        'export ANTHROPIC_API_KEY="$ANTHROPIC_API_KEY"',
        'export ANTHROPIC_MODEL="claude-opus-4-5"',
        'export ANTHROPIC_DEFAULT_HAIKU_MODEL="claude-opus-4-5"',
        'export ANTHROPIC_SMALL_FAST_MODEL="claude-opus-4-5"',
        "unset ANTHROPIC_AUTH_TOKEN",
    ]
    comments = [line for line in proc.stdout.splitlines() if line.startswith("#")]
    assert comments[0] == ("# claude_code (anthropic format, role architect): straight to "
                           "anthropic/claude-opus-4-5, not through the router")
    assert f"#   {RUN}" in comments


def test_the_json_names_the_route_the_key_reference_and_the_command(spine):
    cache(spine, "openai")
    proc = bypass(spine, "--cli", "claude_code", "--from-cache", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["exit_code"] == 0 and data["health"].startswith("cached at ")
    entry = cli_entry(proc, "claude_code")
    assert {k: entry[k] for k in ("cli", "api_format", "role", "status", "route", "provider",
                                  "base_url", "key", "unset", "files", "run", "skipped")} == {
        "cli": "claude_code", "api_format": "anthropic", "role": "architect", "status": "direct",
        "route": "anthropic/claude-opus-4-5", "provider": "anthropic",
        "base_url": "https://api.anthropic.com",
        "key": {"env": "ANTHROPIC_API_KEY",
                "ref": "infisical://spine/ai/providers/ANTHROPIC_API_KEY"},
        "unset": ["ANTHROPIC_AUTH_TOKEN"], "files": [], "run": RUN, "skipped": []}
    assert entry["env"]["ANTHROPIC_API_KEY"] == "$ANTHROPIC_API_KEY"


def test_opencode_gets_the_config_change_for_its_first_healthy_openai_format_provider(spine):
    cache(spine, "openai")
    proc = bypass(spine, "--cli", "opencode", "--from-cache", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    entry = cli_entry(proc, "opencode")
    assert entry["route"] == "openrouter/anthropic/claude-sonnet-4-5"
    assert entry["skipped"] == [{"ref": "openai/o4-mini",
                                 "why": "unreachable (connection refused)"}]
    assert entry["env"] == {}
    assert entry["files"] == [{
        "path": "~/.config/opencode/opencode.json", "format": "json", "merge": {
            "provider": {"openrouter": {
                "npm": "@ai-sdk/openai-compatible", "name": "openrouter (direct)",
                "options": {"baseURL": "https://openrouter.ai/api/v1",
                            "apiKey": "{env:OPENROUTER_API_KEY}"},
                "models": {"anthropic/claude-sonnet-4-5": {}}}},
            "model": "openrouter/anthropic/claude-sonnet-4-5"}}]
    text = bypass(spine, "--cli", "opencode", "--from-cache")
    assert exports(text.stdout) == []  # only comments: eval-safe, and says where the file is
    assert "# merge into ~/.config/opencode/opencode.json:" in text.stdout
    assert [line for line in text.stdout.splitlines() if line.startswith("#") and
            line.strip().endswith('"apiKey": "{env:OPENROUTER_API_KEY}"')]


def test_a_cli_with_no_healthy_provider_of_its_format_is_exit_1_with_why(spine):
    cache(spine, "anthropic")
    proc = bypass(spine, "--cli", "claude_code", "--from-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    entry = cli_entry(proc, "claude_code")
    assert entry["status"] == "no_direct_provider" and entry["route"] is None
    assert entry["skipped"][0] == {"ref": "anthropic/claude-opus-4-5",
                                   "why": "unreachable (connection refused)"}
    assert entry["skipped"][1] == {"ref": "openrouter/anthropic/claude-opus-4-5",
                                   "why": "openai format, not anthropic"}
    text = bypass(spine, "--cli", "claude_code", "--from-cache")
    assert text.returncode == 1
    assert exports(text.stdout) == []
    assert ("# claude_code (anthropic format, role architect): no healthy anthropic-format "
            "provider in the role's chain") in text.stdout


def test_without_cli_every_proxy_compatible_cli_is_listed_and_codex_is_not(spine):
    cache(spine)
    proc = bypass(spine, "--from-cache", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [c["cli"] for c in json.loads(proc.stdout)["clis"]] == ["claude_code", "opencode"]
    assert cli_entry(proc, "opencode")["route"] == "openai/o4-mini"


def test_a_cli_that_never_uses_the_router_needs_no_bypass(spine):
    cache(spine)
    proc = bypass(spine, "--cli", "codex", "--from-cache")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("# codex does not go through the router (proxy_compatible: false): "
                           "it reaches its providers directly already\n")


def test_no_key_value_appears_even_when_the_keys_are_in_the_environment(spine):
    with FakeProviders() as fake:
        fake.all_healthy()
        env = probe_env(fake)
        for fmt in ("text", "json"):
            proc = bypass(spine, "--format", fmt, "--timeout", "1", "--deadline", "2", env=env)
            assert proc.returncode == 0, proc.stderr
            assert_no_keys(proc.stdout + proc.stderr)
            assert "$ANTHROPIC_API_KEY" in proc.stdout


def test_an_unknown_cli_is_bad_input(spine):
    cache(spine)
    one_error_line(bypass(spine, "--cli", "nope", "--from-cache"), "unknown CLI 'nope'",
                   "claude_code, codex, opencode")


def test_from_cache_needs_a_fresh_cache(spine):
    one_error_line(bypass(spine, "--from-cache"), "no cached provider state for this spine")
    cache(spine)
    stale = bypass(spine, "--from-cache",
                   env=gates_env(SPINE_GATES_HEALTH_REFRESH="0", SPINE_GATES_HEALTH_TTL="0.001"))
    one_error_line(stale, "the cached provider health is from ", "run `gates providers status`")
