"""Bad input is one `gates: error:` line and exit 3, or a finding and exit 1; never exit 4.

Each case below crashed the real CLI (exit 4, "internal error") before its fix.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, gates_env, one_error_line, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"


def _set(spine: Path, rel: str, path: tuple[Any, ...], value: Any) -> None:
    """Set one node of a registry to an awkward value (the file still parses)."""
    file = spine / rel
    data = yaml.safe_load(file.read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    file.write_text(yaml.safe_dump(data, sort_keys=False))


def _no_crash(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 4, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


def _offline_status_report(spine: Path) -> Any:
    """`gates providers status --offline --format json` on the spine: must not crash; its report."""
    env = gates_env(HOME=str(spine.parent / "home"))
    result = run_gates("providers", "status", "--offline", "--format", "json", "--root",
                       str(spine), env=env)
    _no_crash(result)
    return json.loads(result.stdout)


@pytest.fixture
def full_spine(spine: Path) -> Path:
    """The reference spine plus its scenarios, so every gate of `run all` has work to do."""
    shutil.copytree(REPO / "scenarios", spine / "scenarios")
    return spine


@pytest.mark.parametrize(("rel", "path", "value", "rule_file"), [
    (PROVIDERS, ("providers", "anthropic", "models"), 1.5, PROVIDERS),
    (PROVIDERS, ("providers", "openai", "models"), True, PROVIDERS),
    (PROVIDERS, ("providers", "anthropic", "type"), [], PROVIDERS),
    (PROVIDERS, ("providers", "openai", "type"), {"a": None}, PROVIDERS),
    (ROLES, ("roles", "architect", "ccr_slots"), True, ROLES),
    (ROLES, ("roles", "architect", "ccr_slots", 0), {}, ROLES),
    (ROLES, ("roles", "background", "fallback_chain"), -1, ROLES),
    (SSOT, ("ssots", 0, "path"), "x" * 5000, SSOT),
])
def test_schema_broken_spine_is_findings_not_a_crash(full_spine: Path, rel: str,
                                                     path: tuple[Any, ...], value: Any,
                                                     rule_file: str) -> None:
    _set(full_spine, rel, path, value)
    result = run_gates("run", "all", "--root", str(full_spine), "--format", "json")
    _no_crash(result)
    assert result.returncode == 1, result.stderr
    assert rule_file in result.stdout


def test_overlong_ssot_path_is_a_finding(full_spine: Path) -> None:
    _set(full_spine, SSOT, ("ssots", 0, "path"), "y" * 5000)
    result = run_gates("run", "registry-policy", "--root", str(full_spine))
    _no_crash(result)
    assert result.returncode == 1
    assert "is not a usable path" in result.stdout


def test_compile_refuses_naming_the_malformed_provider_field(spine: Path) -> None:
    _set(spine, PROVIDERS, ("providers", "anthropic", "models"), 1.5)
    result = run_gates("compile", "ccr", "--root", str(spine))
    _no_crash(result)
    assert result.returncode == 1 and result.stdout == ""  # a deploy blocker, not bad input
    assert f"{PROVIDERS}:" in result.stderr
    assert "SCHEMA-001 [error] /providers/anthropic/models: must be of list type" in result.stderr


@pytest.mark.parametrize(("path", "value", "needle"), [
    (("roles", "architect", "ccr_slots"), True, "'ccr_slots' must be a list of slot names"),
    (("roles", "background", "fallback_chain"), 7, "'fallback_chain' must be a list"),
])
def test_compile_names_the_malformed_role_field(spine: Path, path: tuple[Any, ...], value: Any,
                                                needle: str) -> None:
    _set(spine, ROLES, path, value)
    result = run_gates("route", "resilience", "--root", str(spine))
    one_error_line(result, ROLES, needle)


def test_provider_status_and_baseline_survive_non_list_models(spine: Path) -> None:
    _set(spine, PROVIDERS, ("providers", "openrouter", "models"), -1)
    env = gates_env(HOME=str(spine.parent / "home"))
    status = run_gates("providers", "status", "--offline", "--root", str(spine), env=env)
    _no_crash(status)
    baseline = run_gates("baseline", "create", "--root", str(spine), env=env)
    _no_crash(baseline)
    assert baseline.returncode == 0
    assert (spine / ".spine-gates-baseline.json").is_file()


@pytest.mark.parametrize("api_base", ["http://h:abc", "http://[::1", "http://h:99999"])
def test_malformed_api_base_port_is_a_problem_not_a_crash(spine: Path, api_base: str) -> None:
    _set(spine, PROVIDERS, ("providers", "openai", "api_base"), api_base)
    report = _offline_status_report(spine)
    openai = next(p for p in report["providers"] if p["id"] == "openai")
    assert openai["api_base"] == ""  # shown as nothing rather than half-parsed


@pytest.mark.parametrize("override", ["openai=http://h:abc", "openai=http://[::1"])
def test_malformed_api_base_override_is_bad_input(spine: Path, override: str) -> None:
    env = gates_env(HOME=str(spine.parent / "home"))
    result = run_gates("providers", "status", "--offline", "--root", str(spine),
                       "--api-base-override", override, env=env)
    one_error_line(result, "--api-base-override", "is not a valid URL")


@pytest.mark.parametrize("flag", [["--timeout", "nan"], ["--deadline", "inf"],
                                  ["--timeout", "-1"]])
def test_non_finite_probe_times_are_bad_input(spine: Path, flag: list[str]) -> None:
    env = gates_env(HOME=str(spine.parent / "home"))
    result = run_gates("providers", "status", "--offline", "--root", str(spine), *flag, env=env)
    one_error_line(result, "positive, finite seconds")


@pytest.mark.parametrize(("config", "needle"), [
    ("rule_params: 5\n", "spine-gates.yaml:1: 'rule_params' must map a rule id"),
    ("rule_params:\n  SEC-002: 5\n", "spine-gates.yaml:2: rule_params.SEC-002 must be a mapping"),
])
@pytest.mark.parametrize("command", [["run", "all"], ["secrets", "check", "--offline"],
                                     ["baseline", "create"]])
def test_malformed_rule_params_is_bad_input(spine: Path, config: str, needle: str,
                                            command: list[str]) -> None:
    (spine / "spine-gates.yaml").write_text(config)
    env = gates_env(HOME=str(spine.parent / "home"))
    one_error_line(run_gates(*command, "--root", str(spine), env=env), needle)


def test_null_rule_params_entry_means_defaults(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("rule_params:\n  SEC-002: null\n")
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 0, result.stderr


def test_baseline_path_that_is_a_directory_is_bad_input(spine: Path) -> None:
    (spine / ".spine-gates-baseline.json").mkdir()
    result = run_gates("baseline", "create", "--root", str(spine))
    one_error_line(result, ".spine-gates-baseline.json", "is a directory")
    assert (spine / ".spine-gates-baseline.json").is_dir()
    assert not [p for p in spine.iterdir() if p.name.endswith(".tmp")]


def test_unwritable_output_is_bad_input(spine: Path) -> None:
    # /proc/version exists and its folder refuses new files: the temp file cannot be made.
    target = Path("/proc/version")
    if not target.is_file():
        pytest.skip("needs Linux /proc")
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(target))
    one_error_line(result, "/proc/version", "cannot write --output")


def test_simulation_too_large_is_refused_quickly(spine: Path) -> None:
    result = run_gates("route", "simulate", "--root", str(spine), "--rate",
                       "executor=999999/s", "--duration", "1h", timeout=20)
    one_error_line(result, "--rate", "limit 1,000,000")


def test_sub_second_duration_is_refused(spine: Path) -> None:
    result = run_gates("route", "simulate", "--root", str(spine), "--rate", "executor=5/min",
                       "--duration", "0.5s")
    one_error_line(result, "--duration must be between 1 second and 7 days")


def _deep_json(depth: int = 100_000) -> str:
    return '{"messages": ' + "[" * depth + "]" * depth + "}"


def test_deeply_nested_request_is_bad_input(tmp_path: Path, spine: Path) -> None:
    request = tmp_path / "deep.json"
    request.write_text(_deep_json())
    result = run_gates("route", "explain", "--root", str(spine), str(request))
    one_error_line(result, "deep.json:1: JSON nested too deeply to read")


def test_deeply_nested_baseline_is_bad_input(spine: Path) -> None:
    (spine / ".spine-gates-baseline.json").write_text(_deep_json())
    result = run_gates("run", "registry-policy", "--root", str(spine))
    one_error_line(result, ".spine-gates-baseline.json:1: JSON nested too deeply to read")


def test_deeply_nested_receipt_index_line_is_reported(spine: Path) -> None:
    index = spine / "receipts" / "index.jsonl"
    index.parent.mkdir()
    index.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n")
    verify = run_gates("receipts", "verify", "--root", str(spine))
    _no_crash(verify)
    assert verify.returncode == 1
    audit = run_gates("receipts", "audit", "--root", str(spine), "--format", "json")
    _no_crash(audit)


@pytest.mark.parametrize("command", [
    ["route", "explain", "--ccr-config", "{long}", "{request}"],
    ["run", "all", "--live", "{long}"],
    ["compile", "ccr", "--out", "{long}"],
    ["run", "registry-policy", "--output", "{long}"],
    ["run", "registry-policy", "--receipt", "--signing-key", "{long}"],
    ["sync", "--live", "{long}"],
])
def test_overlong_path_names_are_bad_input(tmp_path: Path, spine: Path,
                                           command: list[str]) -> None:
    request = tmp_path / "ok.json"
    request.write_text('{"messages": [{"role": "user", "content": "hi"}]}')
    long = str(tmp_path / ("x" * 5000))
    args = [a.format(long=long, request=request) for a in command]
    env = gates_env(HOME=str(tmp_path / "home"))
    result = run_gates(*args, "--root", str(spine), env=env)
    one_error_line(result, "File name too long")
    assert len(result.stderr) < 400  # the 5000-character name is shortened, not echoed


def _loop(where: Path) -> Path:
    (where / "loop-b").symlink_to(where / "loop-a")
    (where / "loop-a").symlink_to(where / "loop-b")
    return where / "loop-a"


@pytest.mark.parametrize("command", [["run", "all"], ["sync", "--dry-run"], ["adopt"],
                                     ["proxy", "check", "--no-activate"]])
def test_live_config_symlink_loop_is_bad_input(tmp_path: Path, spine: Path,
                                               command: list[str]) -> None:
    loop = _loop(tmp_path)
    env = gates_env(HOME=str(tmp_path / "home"))
    result = run_gates(*command, "--live", str(loop), "--root", str(spine), env=env)
    one_error_line(result, "is a symlink loop")


@pytest.mark.parametrize(("name", "needle"), [
    ("waivers.yaml", "waivers.yaml: cannot read"),
    ("spine-gates.yaml", "spine-gates.yaml: "),
    ("scenarios", "scenarios: is not a readable directory"),
])
def test_unreadable_links_are_errors_not_silently_absent(spine: Path, name: str,
                                                         needle: str) -> None:
    # Before: a broken waivers.yaml or spine-gates.yaml link was read as "no such file" and a
    # broken scenarios link skipped the routing scenarios, so the gate passed unchecked.
    shutil.copytree(REPO / "scenarios", spine / "scenarios")
    target = spine / name
    if target.is_dir():
        shutil.rmtree(target)
    _loop(spine)
    target.symlink_to(spine / "loop-a")
    one_error_line(run_gates("run", "all", "--root", str(spine)), needle)


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_health_setting_is_bad_input(spine: Path, value: str) -> None:
    (spine / "spine-gates.yaml").write_text(f"health:\n  timeout_s: {value}\n")
    env = gates_env(HOME=str(spine.parent / "home"))
    result = run_gates("providers", "status", "--offline", "--root", str(spine), env=env)
    one_error_line(result, "spine-gates.yaml", "health.timeout_s must be a positive number")


@pytest.mark.parametrize("value", [True, -1, 1.5])
def test_provider_status_survives_non_list_ccr_slots(spine: Path, value: Any) -> None:
    _set(spine, ROLES, ("roles", "architect", "ccr_slots"), value)
    report = _offline_status_report(spine)
    assert any(role["role"] == "architect" for role in report["roles"]), report["roles"]


@pytest.mark.parametrize("spelled", ["/etc/passwd", "../outside.yaml", "./", "  "])
def test_a_registry_path_outside_the_spine_is_bad_input(spine: Path, spelled: str) -> None:
    (spine / "spine-gates.yaml").write_text(f"registries:\n  roles: {json.dumps(spelled)}\n")
    done = run_gates("run", "registry-policy", "--root", str(spine))
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stderr.strip() == (f"gates: error: spine-gates.yaml:2: registry path "
                                   f"{spelled!r} must be relative to the spine root and inside it")


def test_a_dot_slash_registry_path_is_the_same_registry(spine: Path) -> None:
    """`./docs/…` names the file SSOT_REGISTRY registers as `docs/…` (SSOT-001 passes)."""
    (spine / "spine-gates.yaml").write_text(f"registries:\n  roles: ./{ROLES}\n")
    done = run_gates("run", "registry-policy", "--root", str(spine))
    assert done.returncode == 0, done.stdout + done.stderr
