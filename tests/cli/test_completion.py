"""`gates completion bash|zsh|fish` prints a completion script generated from the parser.

Bash's script is sourced in a real bash and its completion function called as bash calls it on
<TAB>; fish completes for real (`complete -C`); zsh is checked to register the script (driving
zsh's completion needs a terminal). Fish and zsh tests run when those shells are installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, gates_env, run_gates


def _script(shell: str) -> str:
    done = run_gates("completion", shell)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def _bash_complete(script: Path, line: str) -> list[str]:
    """What bash offers on <TAB> at the end of `line`: the script's function, called with
    COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT as bash sets them."""
    words = line.split(" ")
    program = f"""
source {script}
COMP_WORDS=({" ".join(f"'{w}'" for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
_shtab_gates gates '{words[-1]}' '{words[-2]}'
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [w.strip() for w in done.stdout.splitlines() if w.strip()]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("completion") / "gates.bash"
    path.write_text(run_gates("completion", "bash").stdout)  # each test checks what it does
    return path


def test_bash_completes_a_command_from_its_prefix(bash_script: Path) -> None:
    assert _bash_complete(bash_script, "gates ru") == ["run"]


def test_bash_completes_an_option_of_a_command(bash_script: Path) -> None:
    assert _bash_complete(bash_script, "gates run --for") == ["--format"]


def test_bash_lists_the_subcommands_of_a_group(bash_script: Path) -> None:
    offered = set(_bash_complete(bash_script, "gates failover "))
    assert {"plan", "apply", "revert", "status", "watch", "bypass"} <= offered


def test_bash_offers_the_formats_a_command_takes(bash_script: Path) -> None:
    assert set(_bash_complete(bash_script, "gates run all --format ")) == {
        "text", "json", "sarif", "junit", "github", "spine"}


def test_a_hidden_option_is_not_offered(bash_script: Path) -> None:
    offered = _bash_complete(bash_script, "gates providers status --")
    assert "--offline" in offered and "--session-refresh" not in offered


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_registers_the_script_from_fpath_as_the_readme_installs_it(tmp_path: Path) -> None:
    (tmp_path / "_gates").write_text(_script("zsh"))
    program = (f"fpath=({tmp_path} $fpath); autoload -Uz compinit && compinit -u -D && "
               "print -r -- $_comps[gates]")
    done = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "_gates", done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
@pytest.mark.parametrize(("line", "expected"), [
    ("gates ru", {"run"}),
    ("gates run --for", {"--format"}),
    ("gates failover ", {"plan", "apply", "revert", "status", "watch", "bypass"}),
])
def test_fish_completes_commands_options_and_subcommands(
        tmp_path: Path, line: str, expected: set[str]) -> None:
    script = tmp_path / "gates.fish"
    script.write_text(_script("fish"))
    done = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
                          capture_output=True, text=True, timeout=30,
                          env={**gates_env(), "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    offered = {row.split("\t")[0] for row in done.stdout.splitlines()}
    assert expected <= offered, done.stdout


def test_the_script_is_generated_from_the_parser_so_every_command_is_in_it() -> None:
    from spine_gates.cli import COMMANDS

    script = _script("bash")
    for command in COMMANDS:
        assert command in script, command


def test_an_unknown_shell_is_bad_input() -> None:
    done = run_gates("completion", "powershell")
    assert done.returncode == 3
    assert done.stderr.startswith("gates: error: ") and "bash" in done.stderr


_LOADED = """
import sys
from spine_gates import cli
code = cli.main(["run", "registry-policy", "--no-receipt"])
print(code, "shtab" in sys.modules, file=sys.stderr)
"""


def test_the_pre_commit_gate_does_not_load_the_completion_generator() -> None:
    done = subprocess.run([sys.executable, "-c", _LOADED], cwd=REPO, env=gates_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "0 False", done.stderr
