"""Shared fixtures: a copy of the reference spine in a temp dir and the real `gates` CLI.

Helpers that tests import live in tests/helpers.py; this file holds fixtures only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import copy_reference_spine, run_gates

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
    return copy_reference_spine(tmp_path / "spine")


@pytest.fixture
def gates():
    return run_gates
