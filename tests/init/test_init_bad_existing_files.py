"""`gates init` on files it merges into that hold bad YAML or the wrong types, and into a DIR
that cannot be made: one `gates: error: <file>[:<line>]: <what>` line, exit 3, nothing written."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import gates_env, one_error_line, run_gates

SSOT = "docs/governance/SSOT_REGISTRY.yaml"
CAPS = "ops/capabilities.yaml"
PRE_COMMIT = ".pre-commit-config.yaml"

# (file, its text, the line the error names, words the error holds)
BAD_FILES = [
    (SSOT, "ssots: 5\n", 1, "'ssots' must be a list"),
    (SSOT, "version: 1\nssots: [\n", 3, "YAML"),
    (PRE_COMMIT, "repos: 5\n", 1, "'repos' must be a list"),
    (PRE_COMMIT, "repos:\n  - hooks: 5\n", 2, "'hooks' must be a list"),
    (PRE_COMMIT, "repos: [\n", 2, "YAML"),
    (CAPS, "capabilities: 5\n", 1, "'capabilities' must be a mapping"),
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
                     XDG_CACHE_HOME=str(tmp_path / "cache"),
                     XDG_CONFIG_HOME=str(tmp_path / "config"), SPINE_GATES_HEALTH_REFRESH="0")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name, text, line, what", BAD_FILES)
def test_a_merged_file_with_bad_yaml_or_types_is_one_error_line_and_nothing_written(
        name: str, text: str, line: int, what: str, tmp_path: Path, env: dict[str, str]) -> None:
    spine = tmp_path / "s7"
    (spine / name).parent.mkdir(parents=True)
    (spine / name).write_text(text)
    before = _tree(spine)
    result = run_gates("init", str(spine), "--yes", env=env)
    one_error_line(result, f"{name}:{line}:", what)
    assert _tree(spine) == before


@pytest.mark.parametrize("under", ["plain/sub", "plain/sub/deeper"])
def test_a_dir_under_a_file_is_one_error_line(under: str, tmp_path: Path,
                                               env: dict[str, str]) -> None:
    (tmp_path / "plain").write_text("")
    result = run_gates("init", str(tmp_path / under), env=env)
    one_error_line(result, "plain")
    assert (tmp_path / "plain").read_text() == ""


def test_a_dir_under_a_fifo_is_one_error_line(tmp_path: Path, env: dict[str, str]) -> None:
    os.mkfifo(tmp_path / "pipe")
    result = run_gates("init", str(tmp_path / "pipe" / "sub"), env=env, timeout=30)
    one_error_line(result, "pipe")


def test_a_failure_after_making_parents_removes_every_parent_it_made(
        tmp_path: Path, env: dict[str, str]) -> None:
    # A file-size limit of a few bytes makes the first write fail (EFBIG; Python ignores
    # SIGXFSZ) after init has made a, a/b and a/b/c: all three go, not only a/b/c.
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))

    result = subprocess.run([sys.executable, "-m", "spine_gates", "init",
                             str(tmp_path / "a" / "b" / "c"), "--yes"], env=env,
                            capture_output=True, text=True, timeout=60, preexec_fn=small_files)
    one_error_line(result, "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
