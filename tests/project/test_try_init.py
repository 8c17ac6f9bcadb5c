"""The reviewer's script for `gates init` (scripts/try-init.sh) passes on the built wheel: a new
venv, `gates init x`, `gates run all --root x`, a commit through the spine's hooks and
`pre-commit run --all-files` — offline (the venv sees this environment's dependencies)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import REPO
from tests.project.installing import fresh_venv, offline_env


def test_the_reviewer_script_passes_on_the_built_wheel(tmp_path: Path, built_wheel: Path,
                                                       view_base: Path) -> None:
    fresh_venv(tmp_path / "venv", view_base)
    env = offline_env(HOME=str(tmp_path / "home"), PRE_COMMIT_HOME=str(tmp_path / "pc"),
                      GIT_AUTHOR_NAME="Reviewer", GIT_AUTHOR_EMAIL="r@example.invalid",
                      GIT_COMMITTER_NAME="Reviewer", GIT_COMMITTER_EMAIL="r@example.invalid",
                      NO_COLOR="1")
    done = subprocess.run([str(REPO / "scripts" / "try-init.sh"), str(built_wheel),
                           str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout
    log = subprocess.run(["git", "log", "--oneline"], cwd=tmp_path / "x", capture_output=True,
                         text=True, check=True).stdout
    assert "spine from gates init" in log
    assert "Passed" in done.stdout and "Failed" not in done.stdout
