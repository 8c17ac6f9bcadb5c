"""`gates compile ccr`: a byte-stable router config derived from the SSOT, keys as placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.helpers import run_gates


def compile_json(spine: Path, *extra: str) -> dict:
    result = run_gates("compile", "ccr", "--root", str(spine), *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_output_is_byte_stable_across_runs_and_out_file(spine: Path, tmp_path: Path) -> None:
    first = run_gates("compile", "ccr", "--root", str(spine))
    second = run_gates("compile", "ccr", "--root", str(spine))
    out = tmp_path / "config.json"
    third = run_gates("compile", "ccr", "--root", str(spine), "--out", str(out))
    assert first.returncode == second.returncode == third.returncode == 0
    assert first.stdout == second.stdout == out.read_text()
    assert first.stdout.endswith("}\n")


def test_api_keys_are_placeholders_derived_from_each_ref(spine: Path) -> None:
    registry = spine / "docs/governance/PROVIDER_REGISTRY.yaml"
    registry.write_text(registry.read_text().replace(
        "api_key_ref: infisical://spine/ai/providers/Z_AI_API_KEY", "api_key_ref: env:ZAI_TOKEN"))
    providers = yaml.safe_load(registry.read_text())["providers"]
    config = compile_json(spine)
    keys = {p["name"]: p["api_key"] for p in config["Providers"]}
    assert keys["anthropic"] == "$ANTHROPIC_API_KEY"
    assert keys["zai"] == "$ZAI_TOKEN"
    assert keys["local_lmstudio"] == "no-key"  # keyless local server; the router drops keyless
    for name, body in providers.items():
        if body["api_key_ref"]:
            assert re.fullmatch(r"\$[A-Z_][A-Z0-9_]*", keys[name])
    assert config["APIKEY"] == "$CCR_APIKEY"


def test_endpoints_and_transformer_follow_the_api_format(spine: Path) -> None:
    providers = {p["name"]: p for p in compile_json(spine)["Providers"]}
    assert providers["anthropic"]["api_base_url"] == "https://api.anthropic.com/v1/messages"
    assert providers["anthropic"]["transformer"] == {"use": ["Anthropic"]}
    assert providers["openai"]["api_base_url"] == "https://api.openai.com/v1/chat/completions"
    assert "transformer" not in providers["openai"]
    assert providers["openrouter"]["models"][0] == "anthropic/claude-opus-4-5"


def test_router_slots_and_fallback_lists_come_from_roles(spine: Path) -> None:
    config = compile_json(spine)
    assert config["Router"] == {
        "default": "openai,o4-mini", "background": "nvidia_nim,z-ai/glm5",
        "think": "anthropic,claude-opus-4-5", "longContext": "anthropic,claude-opus-4-5",
        "webSearch": "openai,o4-mini"}
    assert config["fallback"]["think"] == ["openrouter,anthropic/claude-opus-4-5",
                                           "nvidia_nim,moonshotai/kimi-k2.5",
                                           "local_lmstudio,qwen3-32b"]
    assert config["HOST"] == "127.0.0.1" and config["LOG_LEVEL"] == "info"


def test_profile_1_0_has_no_fallback(spine: Path) -> None:
    config = compile_json(spine, "--profile", "1.0")
    assert "fallback" not in config
    assert config["Router"] == compile_json(spine)["Router"]


def test_spine_settings_set_port_threshold_and_client_key(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text(
        "ccr:\n  port: 4567\n  long_context_threshold: 30000\n  apikey_ref: env:ROUTER_KEY\n")
    config = compile_json(spine)
    assert (config["PORT"], config["APIKEY"]) == (4567, "$ROUTER_KEY")
    assert config["Router"]["longContextThreshold"] == 30000


def test_a_provider_id_the_router_cannot_match_is_refused(spine: Path) -> None:
    registry = spine / "docs/governance/PROVIDER_REGISTRY.yaml"
    text = registry.read_text().replace("\n  zai:\n", "\n  ZAI:\n")
    registry.write_text(text)
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("zai/glm-5", "ZAI/glm-5"))
    result = run_gates("compile", "ccr", "--root", str(spine))
    assert result.returncode == 1  # REG-009 blocks the deploy
    line = text.splitlines().index("  ZAI:") + 1
    assert result.stdout == ""
    assert (f"docs/governance/PROVIDER_REGISTRY.yaml:{line}: REG-009 [error] provider id 'ZAI' "
            "has characters the proxy cannot match") in result.stderr


def test_a_slot_bound_by_two_roles_is_bad_input(spine: Path) -> None:
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("ccr_slots: [background]",
                                               "ccr_slots: [background, think]"))
    result = run_gates("compile", "ccr", "--root", str(spine))
    assert result.returncode == 3
    assert "slot 'think' is bound by roles 'architect' and 'background'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_ccr_settings_are_bad_input(spine: Path) -> None:
    for text, message in (
            ('ccr:\n  port: "3456"\n', "ccr.port must be a positive whole number"),
            ("ccr:\n  colour: blue\n", "unknown ccr setting 'colour'")):
        (spine / "spine-gates.yaml").write_text(text)
        result = run_gates("compile", "ccr", "--root", str(spine))
        assert result.returncode == 3
        assert result.stderr.startswith(f"gates: error: spine-gates.yaml: {message}")


def test_a_literal_router_key_in_the_settings_blocks_compile(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("ccr:\n  apikey_ref: plain\n")
    result = run_gates("compile", "ccr", "--root", str(spine))
    assert result.returncode == 1 and result.stdout == ""
    assert "spine-gates.yaml:2: SEC-001 [error]" in result.stderr and "sha256:" in result.stderr


def test_the_spine_can_pin_the_1_0_profile_for_every_command(spine: Path,
                                                             tmp_path: Path) -> None:
    from tests.helpers import gates_env

    (spine / "spine-gates.yaml").write_text('ccr:\n  profile: "1.0"\n')
    assert "fallback" not in compile_json(spine)
    assert "fallback" in compile_json(spine, "--profile", "2.0")
    live = tmp_path / "config.json"
    env = gates_env(HOME=str(tmp_path))
    assert run_gates("sync", "--root", str(spine), "--live", str(live), env=env).returncode == 0
    drift = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live), env=env)
    assert drift.returncode == 0 and "(profile 1.0)" in drift.stdout
    (spine / "spine-gates.yaml").write_text('ccr:\n  profile: "3.1"\n')
    bad = run_gates("compile", "ccr", "--root", str(spine))
    assert bad.returncode == 3 and "ccr.profile '3.1' is not supported" in bad.stderr
