"""Reading a live config as the router does (JSON5), and every way it can be unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import gates_env, run_gates

COMMANDS = [
    ("run", "provider-drift"),
    ("proxy", "check", "--no-activate"),
    ("sync",),
    ("adopt",),
]


def compiled_text(spine: Path) -> str:
    result = run_gates("compile", "ccr", "--root", str(spine))
    assert result.returncode == 0, result.stderr
    return result.stdout


def home_with(tmp_path: Path, content: str | None) -> tuple[Path, Path]:
    home = tmp_path / "home"
    config = home / ".claude-code-router" / "config.json"
    config.parent.mkdir(parents=True)
    if content is not None:
        config.write_text(content)
    return home, config


def run(command: tuple[str, ...], spine: Path, live: Path, home: Path):
    return run_gates(*command, "--root", str(spine), "--live", str(live),
                     env=gates_env(HOME=str(home)))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(("content", "message", "line"), [
    ('{\n  "PORT": 3456,\n  "Router": {,}\n}\n', "not valid JSON5", 3),
    ("", "is empty", None),
    ("   \n", "is empty", None),
    ('["not", "an", "object"]', "must be a JSON object at the top level", 1),
    (None, "not valid UTF-8", 1),
], ids=["not-json5", "empty", "blank", "array", "latin1"])
def test_unreadable_live_config_is_one_line_and_exit_3(
        spine: Path, tmp_path: Path, command: tuple[str, ...], content: str | None,
        message: str, line: int | None) -> None:
    home, config = home_with(tmp_path, None)
    if content is None:
        config.write_bytes(b'{"HOST": "\xff"}')
    else:
        config.write_text(content)
    result = run(command, spine, config, home)
    assert result.returncode == 3, result.stdout + result.stderr
    where = f"{config}:{line}: " if line else f"{config}: "
    assert result.stderr.startswith(f"gates: error: {where}{message}")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] != "sync"],
                         ids=lambda c: " ".join(c[:2]))
def test_missing_named_live_config_is_exit_3(spine: Path, tmp_path: Path,
                                             command: tuple[str, ...]) -> None:
    home, config = home_with(tmp_path, None)
    result = run(command, spine, config, home)
    assert result.returncode == 3
    assert result.stderr.strip() in (f"gates: error: {config}: file not found",
                                      f"gates: error: {config}: no live config to adopt from")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_directory_is_exit_3(spine: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    home, config = home_with(tmp_path, None)
    config.mkdir()
    result = run(command, spine, config, home)
    assert result.returncode == 3
    assert "is a directory" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_symlink_outside_home_is_refused(spine: Path, tmp_path: Path,
                                           command: tuple[str, ...]) -> None:
    home, config = home_with(tmp_path, None)
    outside = tmp_path / "elsewhere" / "config.json"
    outside.parent.mkdir()
    outside.write_text(compiled_text(spine))
    config.symlink_to(outside)
    result = run(command, spine, config, home)
    assert result.returncode == 3
    assert "outside the home directory" in result.stderr
    assert outside.read_text() == compiled_text(spine)  # sync did not write through it


def test_a_symlink_inside_home_is_read_and_synced_through(spine: Path, tmp_path: Path) -> None:
    home, config = home_with(tmp_path, None)
    target = home / "dotfiles" / "ccr.json"
    target.parent.mkdir()
    target.write_text(compiled_text(spine).replace('"LOG_LEVEL": "info"', '"LOG_LEVEL": "warn"'))
    config.symlink_to(target)
    assert run(("run", "provider-drift"), spine, config, home).returncode == 2
    assert run(("sync",), spine, config, home).returncode == 0
    assert config.is_symlink() and target.read_text() == compiled_text(spine)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_3x_home_is_an_unsupported_profile_not_misread(spine: Path, tmp_path: Path,
                                                         command: tuple[str, ...]) -> None:
    home, config = home_with(tmp_path, compiled_text(spine))
    (config.parent / "config.sqlite").write_bytes(b"SQLite format 3\x00")
    result = run(command, spine, config, home)
    assert result.returncode == 3
    assert "claude-code-router 3.x home" in result.stderr
    assert "profile 3.x is not supported" in result.stderr


def test_json5_comments_trailing_commas_and_bare_keys_read_as_the_router_does(
        spine: Path, tmp_path: Path) -> None:
    data = json.loads(compiled_text(spine))
    body = json.dumps(data, indent=2)[1:-1].rstrip()
    text = f"// written by hand\n{{\n  /* block */ {body},\n}}\n".replace('"HOST":', "HOST:")
    home, config = home_with(tmp_path, text)
    result = run(("run", "provider-drift"), spine, config, home)
    assert result.returncode == 0, result.stdout


def test_wrong_types_are_findings_with_pointers(spine: Path, tmp_path: Path) -> None:
    data = json.loads(compiled_text(spine))
    data["PORT"] = [3456]
    data["Router"]["default"] = 7
    data["Providers"][1]["models"] = "o4-mini"
    home, config = home_with(tmp_path, json.dumps(data, indent=2))
    result = run(("proxy", "check", "--no-activate", "--format", "json"), spine, config, home)
    assert result.returncode == 1
    schema = {f["pointer"]: f for f in json.loads(result.stdout)["findings"]
              if f["rule"] == "CCR-SCHEMA-001"}
    assert set(schema) == {"/PORT", "/Router/default", "/Providers/1/models"}
    assert schema["/Router/default"]["message"] == "Router.default must be a string, found a number"
    assert schema["/PORT"]["line"] == json.dumps(data, indent=2).splitlines().index(
        '  "PORT": [') + 1
    drift = run(("run", "provider-drift"), spine, config, home)
    assert drift.returncode == 2 and "CCR-SCHEMA-001" in drift.stdout


def test_missing_default_live_config_passes_quietly_in_gate_runs(spine: Path,
                                                                 tmp_path: Path) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    for gate in ("provider-drift", "proxy-safety"):
        result = run_gates("run", gate, "--root", str(spine), "--format", "json",
                           env=gates_env(HOME=str(home)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["findings"] == []
    checked = run_gates("proxy", "check", "--root", str(spine), "--format", "json",
                        env=gates_env(HOME=str(home)))
    assert checked.returncode == 0
    (only,) = json.loads(checked.stdout)["findings"]
    assert (only["rule"], only["severity"]) == ("CCR-000", "info")
    checked = run_gates("proxy", "check", "--root", str(spine), env=gates_env(HOME=str(home)))
    assert f"no live router config at {home}/.claude-code-router/config.json" in checked.stdout
