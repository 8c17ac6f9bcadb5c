"""Gateway safety (rules LIT-*): what `litellm --validate_config` lets through is caught in the
live `config.yaml` by `gates proxy check --target litellm` and the proxy-safety gate, located by
file, line and pointer, with a key written into the file shown only as its fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.secrets.corpus import SAMPLES_BY_NAME, echoes_a_piece

Config = dict[str, Any]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The reference spine and what `gates compile litellm` makes of it."""
    spine = copy_reference_spine(tmp_path_factory.mktemp("safety") / "spine")
    out = spine / "compiled.yaml"
    done = run_gates("compile", "litellm", "--root", str(spine), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return spine, out.read_text()


def check(spine: Path, live: Path, *extra: str, fmt: str = "json") -> Any:
    return run_gates("proxy", "check", "--target", "litellm", "--live", str(live),
                     "--root", str(spine), "--format", fmt, *extra,
                     env=gates_env(HOME=str(spine)))


def findings(result: Any) -> list[dict[str, Any]]:
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return list(json.loads(result.stdout)["findings"])


def planted(compiled: tuple[Path, str], tmp_path: Path,
            edit: Callable[[Config], None]) -> tuple[Path, Path, str]:
    """The compiled config with one unsafe edit, written as YAML; returns spine, file, text."""
    spine, text = compiled
    config = yaml.safe_load(text)
    edit(config)
    body = yaml.safe_dump(config, sort_keys=False, width=1000)
    live = tmp_path / "config.yaml"
    live.write_text(body)
    return spine, live, body


def line_of(text: str, fragment: str, after: str = "") -> int:
    """The first line holding `fragment` (after the first line holding `after`)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start + 1) if fragment in line)


def only(result: Any, rule: str) -> list[dict[str, Any]]:
    found = findings(result)
    assert {f["rule"] for f in found} == {rule}, found
    return found


def test_the_compiled_gateway_config_has_no_findings(compiled: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    spine, text = compiled
    live = tmp_path / "config.yaml"
    live.write_text(text)
    result = check(spine, live)
    assert result.returncode == 0, result.stdout + result.stderr
    assert findings(result) == []


@pytest.mark.parametrize("value", [None, ""], ids=["absent", "empty"])
def test_a_gateway_without_a_master_key_is_lit_001(compiled: tuple[Path, str], tmp_path: Path,
                                                   value: str | None) -> None:
    def edit(config: Config) -> None:
        if value is None:
            del config["general_settings"]["master_key"]
        else:
            config["general_settings"]["master_key"] = value

    spine, live, text = planted(compiled, tmp_path, edit)
    result = check(spine, live)
    assert result.returncode == 1
    [found] = only(result, "LIT-001")
    assert found["pointer"] == "/general_settings/master_key"
    # the empty key's own line, else the section it is missing from
    assert found["line"] == line_of(text, "master_key:" if value is not None
                                    else "general_settings:")
    assert found["file"] == str(live)


@pytest.mark.parametrize("sample", ["anthropic", "openai-project", "zai",
                                    "aws-secret-access-key", "pem-private-key"])
def test_an_inline_api_key_appears_only_as_its_fingerprint(compiled: tuple[Path, str],
                                                           tmp_path: Path, sample: str) -> None:
    key = SAMPLES_BY_NAME[sample]

    def edit(config: Config) -> None:
        config["model_list"][3]["litellm_params"]["api_key"] = key.text

    spine, live, text = planted(compiled, tmp_path, edit)
    outputs = [check(spine, live, fmt=fmt) for fmt in ("json", "text", "sarif", "github")]
    [found] = only(outputs[0], "LIT-002")
    assert found["pointer"] == "/model_list/3/litellm_params/api_key"
    assert found["line"] == line_of(text, "api_key: ", after="model_name: openai/o4-mini")
    digest = "sha256:" + hashlib.sha256(key.text.encode()).hexdigest()[:8]
    assert digest in found["message"]
    for result in outputs:
        assert result.returncode == 1
        assert not echoes_a_piece(result.stdout + result.stderr, key.secret, key.prefix)


@pytest.mark.parametrize(("where", "pointer"), [
    (("general_settings", "master_key"), "/general_settings/master_key"),
    (("router_settings", "redis_password"), "/router_settings/redis_password"),
], ids=["master_key", "redis_password"])
def test_an_inline_master_key_or_redis_password_is_lit_002(
        compiled: tuple[Path, str], tmp_path: Path, where: tuple[str, str],
        pointer: str) -> None:
    secret = SAMPLES_BY_NAME["openai-legacy"]

    def edit(config: Config) -> None:
        config[where[0]][where[1]] = secret.text
        config["router_settings"]["redis_host"] = "redis.internal"
        config["router_settings"].setdefault("redis_password", "os.environ/REDIS_PASSWORD")

    spine, live, _text = planted(compiled, tmp_path, edit)
    result = check(spine, live)
    [found] = only(result, "LIT-002")
    assert found["pointer"] == pointer
    assert not echoes_a_piece(result.stdout + result.stderr, secret.secret, secret.prefix)


def test_a_password_inside_redis_url_is_lit_002(compiled: tuple[Path, str],
                                                tmp_path: Path) -> None:
    password = SAMPLES_BY_NAME["url-credentials"].secret

    def edit(config: Config) -> None:
        config["router_settings"]["redis_url"] = f"redis://default:{password}@redis.internal:6379"

    spine, live, _text = planted(compiled, tmp_path, edit)
    result = check(spine, live)
    [found] = only(result, "LIT-002")
    assert found["pointer"] == "/router_settings/redis_url"
    assert not echoes_a_piece(result.stdout + result.stderr, password)


def test_a_gateway_without_a_timeout_is_lit_003(compiled: tuple[Path, str],
                                                tmp_path: Path) -> None:
    spine, live, text = planted(compiled, tmp_path,
                                lambda c: c["router_settings"].pop("timeout"))
    [found] = only(check(spine, live), "LIT-003")
    assert found["pointer"] == "/router_settings/timeout"
    assert found["line"] == line_of(text, "router_settings:")
    assert "6000 s" in found["message"]


def test_request_timeout_in_litellm_settings_is_a_timeout(compiled: tuple[Path, str],
                                                          tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        del config["router_settings"]["timeout"]
        config["litellm_settings"]["request_timeout"] = 120

    spine, live, _text = planted(compiled, tmp_path, edit)
    assert findings(check(spine, live)) == []


@pytest.mark.parametrize("value", [0, -5, "soon"])
def test_a_timeout_that_is_not_positive_seconds_is_lit_003(compiled: tuple[Path, str],
                                                           tmp_path: Path, value: Any) -> None:
    def edit(config: Config) -> None:
        config["router_settings"]["timeout"] = value

    spine, live, text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-003")
    assert found["line"] == line_of(text, "  timeout: ")


@pytest.mark.parametrize("setting", ["fallbacks", "context_window_fallbacks",
                                     "content_policy_fallbacks"])
def test_a_fallback_to_a_group_that_does_not_exist_is_lit_004(
        compiled: tuple[Path, str], tmp_path: Path, setting: str) -> None:
    def edit(config: Config) -> None:
        config["router_settings"][setting] = [{"architect": ["anthropic/claude-opus-4-5",
                                                             "nosuch/backup"]}]

    spine, live, text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-004")
    assert found["pointer"] == f"/router_settings/{setting}/0/architect/1"
    assert found["line"] == line_of(text, "- nosuch/backup")
    assert "'nosuch/backup'" in found["message"]


def test_fallbacks_for_a_group_that_does_not_exist_are_lit_004(compiled: tuple[Path, str],
                                                               tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["router_settings"]["fallbacks"].append({"ghost": ["openai/o4-mini"]})

    spine, live, text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-004")
    assert found["line"] == line_of(text, "- ghost:")
    assert "never fall back" in found["message"]


def test_an_alias_to_a_group_that_does_not_exist_is_lit_004(compiled: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["router_settings"]["model_group_alias"]["big"] = "nosuch/model"

    spine, live, _text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-004")
    assert found["pointer"] == "/router_settings/model_group_alias/big"


def test_a_fallback_matched_by_a_wildcard_deployment_exists(compiled: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["model_list"].append({"model_name": "openai/*", "litellm_params": {
            "model": "openai/*", "api_key": "os.environ/OPENAI_API_KEY"}})
        config["router_settings"]["fallbacks"].append({"architect": ["openai/gpt-4.1"]})

    spine, live, _text = planted(compiled, tmp_path, edit)
    assert findings(check(spine, live)) == []


@pytest.mark.parametrize(("key", "value"), [
    ("num_retries", -1), ("num_retries", 1.5), ("num_retries", "2"), ("allowed_fails", -1),
    ("cooldown_time", -10)])
def test_a_negative_or_non_integer_retry_setting_is_lit_005(
        compiled: tuple[Path, str], tmp_path: Path, key: str, value: Any) -> None:
    def edit(config: Config) -> None:
        config["router_settings"][key] = value

    spine, live, text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-005")
    assert found["pointer"] == f"/router_settings/{key}"
    assert found["line"] == line_of(text, f"  {key}: ")


def test_a_deployments_negative_retries_are_lit_005(compiled: tuple[Path, str],
                                                    tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["model_list"][0]["litellm_params"]["num_retries"] = -2

    spine, live, _text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-005")
    assert found["pointer"] == "/model_list/0/litellm_params/num_retries"


def test_fallbacks_without_allowed_fails_are_lit_006(compiled: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    spine, live, _text = planted(compiled, tmp_path,
                                 lambda c: c["router_settings"].pop("allowed_fails"))
    result = check(spine, live)
    assert result.returncode == 0  # a warning: the gateway works, slowly
    [found] = only(result, "LIT-006")
    assert found["severity"] == "warning"


def test_redis_without_a_password_is_lit_007(compiled: tuple[Path, str],
                                             tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["router_settings"]["redis_host"] = "redis.internal"

    spine, live, text = planted(compiled, tmp_path, edit)
    [found] = only(check(spine, live), "LIT-007")
    assert found["line"] == line_of(text, "redis_host:")


def test_redis_with_a_password_reference_is_safe(compiled: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["router_settings"]["redis_host"] = "redis.internal"
        config["router_settings"]["redis_password"] = "os.environ/REDIS_PASSWORD"

    spine, live, _text = planted(compiled, tmp_path, edit)
    assert findings(check(spine, live)) == []


def test_the_proxy_safety_gate_runs_the_lit_rules_for_the_litellm_target(
        compiled: tuple[Path, str], tmp_path: Path) -> None:
    spine, live, _text = planted(compiled, tmp_path,
                                 lambda c: c["router_settings"].pop("timeout"))
    result = run_gates("run", "proxy-safety", "--target", "litellm", "--live", str(live),
                       "--root", str(spine), "--format", "json", "--no-receipt",
                       env=gates_env(HOME=str(spine)))
    assert result.returncode == 1, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["LIT-003"]


def test_no_gateway_config_at_the_default_path_is_reported_not_failed(
        compiled: tuple[Path, str], tmp_path: Path) -> None:
    spine, _text = compiled
    result = run_gates("proxy", "check", "--target", "litellm", "--root", str(spine),
                       "--format", "json", env=gates_env(HOME=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert [f["rule"] for f in findings(result)] == ["LIT-000"]


def test_ccr_activate_options_are_refused_for_the_litellm_target(compiled: tuple[Path, str],
                                                                 tmp_path: Path) -> None:
    spine, text = compiled
    live = tmp_path / "config.yaml"
    live.write_text(text)
    result = check(spine, live, "--activate-output", str(live))
    assert result.returncode == 3
    assert result.stderr.startswith("gates: error: ")
    assert "--activate-output" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_config_compiled_with_a_shared_redis_and_its_password_reference_passes(
        tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    (spine / "spine-gates.yaml").write_text(
        "state:\n  backend: redis\n  url: redis://10.0.0.5:6379/0\n"
        "  password_ref: env:SPINE_GATES_REDIS_PASSWORD\n")
    live = tmp_path / "config.yaml"
    done = run_gates("compile", "litellm", "--root", str(spine), "--out", str(live))
    assert done.returncode == 0, done.stderr
    assert "redis_host: 10.0.0.5" in live.read_text()
    assert findings(check(spine, live)) == []


def _set(config: Config, path: tuple[str | int, ...], value: Any) -> None:
    node: Any = config
    for token in path[:-1]:
        node = node[token] if isinstance(token, int) else node.setdefault(token, {})
    node[path[-1]] = value


_PEM = SAMPLES_BY_NAME["pem-private-key"]
_LOW_ENTROPY = "correcthorsebatterystaple"
# (where the value goes, the value, the secret in it, the pointer LIT-002 names)
_CREDENTIALS = {
    "environment_variables": (("environment_variables", "ANTHROPIC_API_KEY"),
                              SAMPLES_BY_NAME["anthropic"].text,
                              SAMPLES_BY_NAME["anthropic"].secret,
                              "/environment_variables/ANTHROPIC_API_KEY"),
    "an environment variable not named as a key": (("environment_variables", "DB_PASS"),
                                                   _LOW_ENTROPY, _LOW_ENTROPY,
                                                   "/environment_variables/DB_PASS"),
    "cache_params.password": (("litellm_settings", "cache_params", "password"), _LOW_ENTROPY,
                              _LOW_ENTROPY, "/litellm_settings/cache_params/password"),
    "aws_secret_access_key": (("model_list", 3, "litellm_params", "aws_secret_access_key"),
                              SAMPLES_BY_NAME["aws-secret-access-key"].text,
                              SAMPLES_BY_NAME["aws-secret-access-key"].secret,
                              "/model_list/3/litellm_params/aws_secret_access_key"),
    "vertex_credentials": (("model_list", 3, "litellm_params", "vertex_credentials"),
                           json.dumps({"type": "service_account", "private_key": _PEM.text}),
                           _PEM.secret, "/model_list/3/litellm_params/vertex_credentials"),
    "database_url": (("general_settings", "database_url"),
                     f"postgresql://gateway:{_LOW_ENTROPY}@db.internal:5432/litellm",
                     _LOW_ENTROPY, "/general_settings/database_url"),
    "api_base userinfo": (("model_list", 3, "litellm_params", "api_base"),
                          f"https://deploy:{_LOW_ENTROPY}@api.openai.com/v1", _LOW_ENTROPY,
                          "/model_list/3/litellm_params/api_base"),
    "api_base key parameter": (("model_list", 3, "litellm_params", "api_base"),
                               f"https://api.openai.com/v1?api-key={_LOW_ENTROPY}", _LOW_ENTROPY,
                               "/model_list/3/litellm_params/api_base"),
}


@pytest.mark.parametrize("case", list(_CREDENTIALS))
def test_any_inline_credential_is_lit_002_shown_only_as_its_fingerprint(
        compiled: tuple[Path, str], tmp_path: Path, case: str) -> None:
    path, value, secret, pointer = _CREDENTIALS[case]
    spine, live, _text = planted(compiled, tmp_path, lambda c: _set(c, path, value))
    outputs = [check(spine, live, fmt=fmt) for fmt in ("json", "text")]
    [found] = only(outputs[0], "LIT-002")
    assert found["pointer"] == pointer
    assert re.search(r"sha256:[0-9a-f]{8}", found["message"])
    for result in outputs:
        assert result.returncode == 1
        assert not echoes_a_piece(result.stdout + result.stderr, secret)


def test_environment_references_and_urls_without_credentials_pass(
        compiled: tuple[Path, str], tmp_path: Path) -> None:
    def edit(config: Config) -> None:
        config["environment_variables"] = {"ANTHROPIC_API_KEY": "os.environ/ANTHROPIC_KEY"}
        config["general_settings"]["database_url"] = "os.environ/DATABASE_URL"
        config["litellm_settings"] = {"request_timeout": 600,
                                      "cache_params": {"type": "redis", "host": "redis.internal",
                                                       "password": "os.environ/REDIS_PASSWORD"}}
        config["model_list"][3]["litellm_params"]["api_base"] = \
            "https://api.openai.com/v1?api-version=2024-10-01"

    spine, live, _text = planted(compiled, tmp_path, edit)
    assert findings(check(spine, live)) == []
