"""`gates proxy check`: each CCR-* rule fires on the setting the router mishandles, and the
compiled config passes them all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spine_gates.ccr.activate import parse_activate_output
from tests.helpers import gates_env, run_gates

KEYS = {"ANTHROPIC_API_KEY": "k-anthropic-0001", "OPENAI_API_KEY": "k-openai-0002",
        "NVIDIA_API_KEY": "k-nvidia-0003", "OPENROUTER_API_KEY": "k-openrouter-0004",
        "Z_AI_API_KEY": "k-zai-0005", "CCR_APIKEY": "k-client-0006"}


def compiled(spine: Path) -> dict[str, Any]:
    return json.loads(run_gates("compile", "ccr", "--root", str(spine)).stdout)


def check(spine: Path, tmp_path: Path, config: dict[str, Any], env: dict[str, str] | None = None,
          *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    live = tmp_path / "config.json"
    text = json.dumps(config, indent=2)
    live.write_text(text)
    result = run_gates("proxy", "check", "--no-activate", "--live", str(live), "--format", "json",
                       *extra, env=gates_env(HOME=str(tmp_path), **(env or KEYS)))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"], text


def test_the_compiled_config_passes_every_rule(spine: Path, tmp_path: Path) -> None:
    code, findings, _ = check(spine, tmp_path, compiled(spine))
    assert (code, findings) == (0, [])


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        node = config
        tokens = path.strip("/").split("/")
        for token in tokens[:-1]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        if value is None:
            del node[tokens[-1]]
        elif isinstance(node, list):
            node[int(tokens[-1])] = value
        else:
            node[tokens[-1]] = value
    return edit


CASES = [
    ("debug-level", _set("/LOG_LEVEL", "debug"), "CCR-LOG-001", "/LOG_LEVEL"),
    ("trace-level", _set("/LOG_LEVEL", "trace"), "CCR-LOG-001", "/LOG_LEVEL"),
    ("unset-level", _set("/LOG_LEVEL", None), "CCR-LOG-001", ""),
    ("open-host", lambda c: (c.update(HOST="0.0.0.0"), c.pop("APIKEY")), "CCR-HOST-001",
     "/HOST"),
    ("no-providers", lambda c: (c.update(Providers=[], Router={}), c.pop("fallback")),
     "CCR-HOST-002", "/Providers"),
    ("unset-var", _set("/Providers/2/api_key", "$NVIDIA_TOKEN_UNSET"), "CCR-ENV-001",
     "/Providers/2/api_key"),
    ("unset-braced", _set("/Providers/1/api_base_url", "${OPENAI_BASE}/chat/completions"),
     "CCR-ENV-001", "/Providers/1/api_base_url"),
    ("var-in-router", _set("/Router/default", "$DEFAULT_ROUTE"), "CCR-ENV-002",
     "/Router/default"),
    ("var-in-fallback", _set("/fallback/think/0", "${FALLBACK}"), "CCR-ENV-002",
     "/fallback/think/0"),
    ("var-in-custom-router", _set("/CUSTOM_ROUTER_PATH", "$HOME/router.js"), "CCR-ENV-002",
     "/CUSTOM_ROUTER_PATH"),
    ("upper-name", _set("/Providers/4/name", "ZAI"), "CCR-NAME-001", "/Providers/4/name"),
    ("comma-name", _set("/Providers/4/name", "z,ai"), "CCR-NAME-001", "/Providers/4/name"),
    ("unknown-route", _set("/Router/background", "nim,z-ai/glm5"), "CCR-NAME-002",
     "/Router/background"),
    ("keyless", _set("/Providers/0/api_key", ""), "CCR-PROV-001", "/Providers/0"),
]


@pytest.mark.parametrize(("edit", "rule", "pointer"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_rule_fires_on_what_the_router_mishandles(spine: Path, tmp_path: Path, edit: Any,
                                                       rule: str, pointer: str) -> None:
    config = compiled(spine)
    edit(config)
    code, findings, text = check(spine, tmp_path, config)
    assert code == 1
    hits = [f for f in findings if f["rule"] == rule]
    assert [f["pointer"] for f in hits][:1] == [pointer], findings
    if pointer:
        value: Any = config
        for token in pointer.strip("/").split("/"):
            value = value[int(token)] if isinstance(value, list) else value[token]
        line = text.splitlines()[hits[0]["line"] - 1].strip()
        assert line.startswith("{") if isinstance(value, dict) else json.dumps(value) in line


def test_an_unset_provider_key_is_named_never_valued(spine: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in KEYS.items() if k != "OPENAI_API_KEY"}
    code, findings, _ = check(spine, tmp_path, compiled(spine), env)
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "CCR-ENV-001"
    assert finding["message"].startswith("$OPENAI_API_KEY at /Providers/1/api_key is unset")


def test_logging_off_makes_debug_level_harmless(spine: Path, tmp_path: Path) -> None:
    config = compiled(spine)
    config.update(LOG=False, LOG_LEVEL="debug")
    assert check(spine, tmp_path, config)[0] == 0


def test_a_non_loopback_host_with_a_client_key_is_allowed(spine: Path, tmp_path: Path) -> None:
    config = compiled(spine)
    config["HOST"] = "0.0.0.0"
    assert check(spine, tmp_path, config)[0] == 0


def test_profile_1_0_warns_that_fallback_is_ignored(spine: Path, tmp_path: Path) -> None:
    config = compiled(spine)
    config["fallback"]["think"][0] = "${FALLBACK}"
    live = tmp_path / "config.json"
    live.write_text(json.dumps(config))
    result = run_gates("proxy", "check", "--no-activate", "--profile", "1.0", "--live", str(live),
                       env=gates_env(HOME=str(tmp_path), **KEYS))
    assert result.returncode == 0, result.stdout
    assert "CCR-PROFILE-001 [warning] fallback is set, but profile 1.0 ignores it" in result.stdout
    assert "CCR-ENV-002" not in result.stdout


def test_missing_router_cli_is_a_warning_not_a_pass(spine: Path, tmp_path: Path) -> None:
    live = tmp_path / "config.json"
    live.write_text(json.dumps(compiled(spine)))
    result = run_gates("proxy", "check", "--live", str(live), "--ccr", str(tmp_path / "no-ccr"),
                       env=gates_env(HOME=str(tmp_path), **KEYS))
    assert result.returncode == 0
    assert "CCR-ACTIVATE-002" in result.stdout and "failed to run" in result.stdout


def test_activate_output_of_both_versions_parses() -> None:
    v2 = ('export ANTHROPIC_AUTH_TOKEN="test"\nexport ANTHROPIC_BASE_URL="http://127.0.0.1:3456"'
          '\nexport NO_PROXY="127.0.0.1"\nexport DISABLE_TELEMETRY="true"\n'
          'export DISABLE_COST_WARNINGS="true"\nexport API_TIMEOUT_MS="600000"\n'
          'unset CLAUDE_CODE_USE_BEDROCK\n')
    v1 = v2.replace("export NO_PROXY", 'export ANTHROPIC_API_KEY=""\nexport NO_PROXY')
    for text in (v2, v1):
        parsed = parse_activate_output(text)
        assert parsed.exports["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:3456"
        assert parsed.unsets == ("CLAUDE_CODE_USE_BEDROCK",) and parsed.unparsed == ()
    assert parse_activate_output(v1).exports["ANTHROPIC_API_KEY"] == ""


def test_profile_1_0_fills_router_variables_so_only_unset_ones_are_findings(
        spine: Path, tmp_path: Path) -> None:
    """Measured on the real 1.0.73 (tests/routing/test_profile_1_0_facts.py): it interpolates
    `$NAME` in Router, where 2.0.0 reads it raw (CCR-ENV-002)."""
    config = compiled(spine)
    config.pop("fallback")
    config["Router"]["default"] = "$DEFAULT_ROUTE"
    env = {**KEYS, "DEFAULT_ROUTE": "openai,o4-mini"}
    code, findings, _ = check(spine, tmp_path, config, env, "--profile", "1.0")
    assert (code, findings) == (0, [])
    code, findings, _ = check(spine, tmp_path, config, KEYS, "--profile", "1.0")
    assert code == 1
    assert [(f["rule"], f["pointer"]) for f in findings] == [("CCR-ENV-001", "/Router/default")]
    code, findings, _ = check(spine, tmp_path, config, env)  # 2.0: never interpolated
    assert [(f["rule"], f["pointer"]) for f in findings] == [("CCR-ENV-002", "/Router/default")]


def test_no_providers_under_profile_1_0_is_broken_but_not_exposed(spine: Path,
                                                                  tmp_path: Path) -> None:
    config = compiled(spine)
    config.update(Providers=[], Router={})
    config.pop("fallback")
    code, findings, _ = check(spine, tmp_path, config, KEYS, "--profile", "1.0")
    assert code == 1
    (finding,) = [f for f in findings if f["rule"] == "CCR-HOST-002"]
    assert finding["message"] == ("no providers: every request fails (profile 1.0 still binds "
                                  "127.0.0.1)")
    code, findings, _ = check(spine, tmp_path, config)
    (finding,) = [f for f in findings if f["rule"] == "CCR-HOST-002"]
    assert "listens on 0.0.0.0 without authentication" in finding["message"]


def test_profile_1_0_checks_the_route_a_router_variable_fills(spine: Path,
                                                              tmp_path: Path) -> None:
    """A filled `$NAME` route is judged like a literal one (CCR-NAME-002), and the filled value is
    never shown (the variable may be any, a key included)."""
    config = compiled(spine)
    config.pop("fallback")
    config["Router"]["default"] = "$DEFAULT_ROUTE"
    code, findings, _ = check(spine, tmp_path, config, {**KEYS, "DEFAULT_ROUTE": "nim,o4-mini"},
                              "--profile", "1.0")
    assert code == 1
    (wrong,) = findings
    assert (wrong["rule"], wrong["pointer"]) == ("CCR-NAME-002", "/Router/default")
    assert wrong["message"] == ("/Router/default is '$DEFAULT_ROUTE': the value the environment "
                                "fills in names no configured provider")
    secret = "hunter2,not-a-route-value"
    code, findings, _ = check(spine, tmp_path, config, {**KEYS, "DEFAULT_ROUTE": secret},
                              "--profile", "1.0")
    assert code == 1 and [f["rule"] for f in findings] == ["CCR-NAME-002"]
    assert "hunter2" not in json.dumps(findings)
    code, findings, _ = check(spine, tmp_path, config,
                              {**KEYS, "DEFAULT_ROUTE": "openai,o4-mini"}, "--profile", "1.0")
    assert (code, findings) == (0, [])
