"""Fixtures for the whole-project tests: one wheel built from this checkout, shared by the tests
that install it (building it costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project.installing import build_wheel, copy_tracked_checkout


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    return build_wheel(copy_tracked_checkout(base / "checkout"), base / "dist")


@pytest.fixture(scope="session")
def view_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the fresh environments' shared view of the installed dependencies lives."""
    return tmp_path_factory.mktemp("dependencies")
