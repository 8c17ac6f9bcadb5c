"""The real pre-commit, in a real git repository, blocks a commit that breaks a rule."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from git import Repo

from tests.conftest import TODAY

HOOK_CONFIG = f"""repos:
  - repo: local
    hooks:
      - id: registry-policy
        name: spine-gates registry policy
        entry: {sys.executable} -m spine_gates run registry-policy
        language: system
        pass_filenames: false
        files: ^docs/
"""


@pytest.fixture
def repo(spine: Path, tmp_path: Path) -> Repo:
    if shutil.which("pre-commit") is None and not Path(sys.executable).with_name(
            "pre-commit").exists():
        pytest.fail("pre-commit is not installed: run the README's test command")
    repository = Repo.init(spine)
    with repository.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    (spine / ".pre-commit-config.yaml").write_text(HOOK_CONFIG)
    repository.git.add(A=True)
    repository.index.commit("reference spine")
    env = _env(tmp_path)
    subprocess.run([_pre_commit(), "install"], cwd=spine, env=env, check=True,
                   capture_output=True)
    return repository


def _pre_commit() -> str:
    local = Path(sys.executable).with_name("pre-commit")
    return str(local) if local.exists() else "pre-commit"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), SPINE_GATES_TODAY=TODAY,
               NO_COLOR="1", PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    return env


def _commit(repo: Repo, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-m", "change"], cwd=repo.working_dir,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)


def test_hook_blocks_a_commit_with_a_dangling_provider(repo, tmp_path):
    roles = Path(repo.working_dir) / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m"))
    repo.git.add(A=True)
    result = _commit(repo, tmp_path)
    assert result.returncode != 0
    assert "REG-002" in result.stdout + result.stderr
    assert repo.head.commit.message == "reference spine"


def test_hook_lets_a_clean_change_through(repo, tmp_path):
    inject = Path(repo.working_dir) / "docs/brain/roles/architect.md"
    inject.write_text(inject.read_text() + "\n- Prefers small, reviewable plans.\n")
    repo.git.add(A=True)
    result = _commit(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.head.commit.message.strip() == "change"
