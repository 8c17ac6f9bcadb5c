"""Shared fixtures: a copy of the reference spine in a temp dir and the real `gates` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-25"  # the reference spine's review date; pinned so freshness is deterministic

# The runner's environment must not change what a test sees. A CI runner sets CI (which turns
# receipts on), a developer may have a signing key, Infisical credentials, provider keys or
# spine-gates settings exported. Tests that want any of these set them explicitly. The opt-in live
# Infisical contract test keeps its INFISICAL_* variables.
_LIVE = bool(os.environ.get("SPINE_GATES_LIVE_INFISICAL"))
_RUNNER_VARS = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "BUILDKITE", "GITLAB_CI",
                "FORCE_COLOR", "PRE_COMMIT")


def _leaks_in(name: str) -> bool:
    if name in _RUNNER_VARS or name.endswith("_API_KEY"):
        return True
    if name.startswith("SPINE_GATES_"):  # the opt-ins to live tests and snapshot updates stay
        return not name.startswith(("SPINE_GATES_LIVE_", "SPINE_GATES_UPDATE_SNAPSHOTS"))
    return name.startswith("INFISICAL_") and not _LIVE


for _name in [n for n in os.environ if _leaks_in(n)]:
    del os.environ[_name]


@pytest.fixture
def spine(tmp_path: Path) -> Path:
    """A writable copy of the reference spine (registries and inject files)."""
    root = tmp_path / "spine"
    shutil.copytree(REPO / "docs" / "governance", root / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", root / "docs" / "brain")
    return root


def gates_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SPINE_GATES_TODAY": TODAY, "NO_COLOR": "1"})
    env.update(extra)
    return env


def run_gates(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a hook or CI job would."""
    return subprocess.run(
        [sys.executable, "-m", "spine_gates", *args],
        cwd=cwd or REPO,
        env=env or gates_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


@pytest.fixture
def gates():
    return run_gates
