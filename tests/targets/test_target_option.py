"""`--target NAME` on the commands that read or write a proxy config: `ccr` is the default and
changes no byte; an unknown name is one line, exit 3; a command only claude-code-router has
(`adopt`, `proxy check`) refuses another target in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spine_gates import cli, targets
from tests.helpers import gates_env, run_gates


def router_home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A live config: the compiled SSOT with one hand edit (so drift and adopt have output)."""
    live = tmp_path / "home" / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    return live, gates_env(HOME=str(tmp_path / "home"))


def hand_edited(spine: Path, live: Path, env: dict[str, str]) -> None:
    compiled = run_gates("compile", "ccr", "--root", str(spine), env=env)
    assert compiled.returncode == 0, compiled.stderr
    config = json.loads(compiled.stdout)
    config["Router"]["think"] = config["Router"]["default"]
    live.write_text(json.dumps(config, indent=2) + "\n")


COMMANDS = {
    "compile": ("compile", "ccr"),
    "compile-option": ("compile", "--target", "ccr"),
    "sync-dry-run": ("sync", "--dry-run", "--live", "{live}"),
    "adopt": ("adopt", "--live", "{live}"),
    "run-provider-drift": ("run", "provider-drift", "--no-receipt", "--live", "{live}",
                           "--format", "json"),
    "run-all": ("run", "all", "--no-receipt", "--live", "{live}", "--format", "sarif"),
    "proxy-check": ("proxy", "check", "--no-activate", "--live", "{live}"),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_target_ccr_is_the_default_byte_for_byte(spine: Path, tmp_path: Path, name: str) -> None:
    live, env = router_home(tmp_path)
    hand_edited(spine, live, env)
    args = [a.replace("{live}", str(live)) for a in COMMANDS[name]]
    # `compile --target ccr` is compared with `compile ccr`, the form it stands for
    plain = ["compile", "ccr"] if name == "compile-option" else args
    without = run_gates(*plain, "--root", str(spine), env=env)
    with_target = run_gates(*args, "--root", str(spine), "--target", "ccr", env=env)
    assert (with_target.returncode, with_target.stdout, with_target.stderr) == \
        (without.returncode, without.stdout, without.stderr)
    assert without.returncode in (0, 1, 2), without.stderr


@pytest.mark.parametrize("args", [("compile",), ("sync", "--dry-run"), ("adopt",),
                                  ("run", "provider-drift", "--no-receipt"),
                                  ("proxy", "check", "--no-activate")])
def test_an_unknown_target_is_one_line_exit_3(spine: Path, args: tuple[str, ...]) -> None:
    result = run_gates(*args, "--root", str(spine), "--target", "nginx")
    assert result.returncode == 3
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("gates: error: ") and "'nginx'" in line and "ccr" in line


def test_compile_word_and_target_option_must_agree(spine: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(targets.TARGETS, "litellm", _never_built)
    code = cli.main(["compile", "ccr", "--target", "litellm", "--root", str(spine)])
    assert code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("gates: error: compile ccr --target litellm: two different "
                            "targets; name one\n")


def _never_built() -> targets.ProxyTarget:
    raise AssertionError("a command that refuses the target must not build it")


# `proxy check --target litellm` runs the LIT-* rules (tests/litellm/test_litellm_safety.py)
@pytest.mark.parametrize("args, what", [
    (("adopt",), "adopt"),
])
def test_a_claude_code_router_only_command_refuses_another_target(
        spine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], args: tuple[str, ...], what: str) -> None:
    # a second target in the table, as the LiteLLM gateway will be
    monkeypatch.setitem(targets.TARGETS, "litellm", _never_built)
    live, _env = router_home(tmp_path)
    code = cli.main([*args, "--root", str(spine), "--live", str(live), "--target", "litellm"])
    assert code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line == (f"gates: error: {what} --target litellm: not supported ({what} is for "
                    "claude-code-router only: --target ccr)")
