"""The code's own gates: ruff (lint and import order) and mypy --strict (settings in
pyproject.toml) over src/, as CI runs them. A type error or an unused import fails the suite."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


def test_ruff_is_clean() -> None:
    done = _run("ruff", "check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    done = _run("mypy")  # files, strictness and untyped third-party modules: pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr
