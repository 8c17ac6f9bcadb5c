"""Fixtures: fake providers on loopback, a relocated state dir and HOME, and the CLI runner."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.health.fakes import KEYS, FakeProviders
from tests.health.health_helpers import assert_no_keys
from tests.helpers import gates_env, run_gates

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    with FakeProviders() as server:
        server.all_healthy()
        yield server


@pytest.fixture
def health_env(tmp_path: Path, fake: FakeProviders) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = gates_env(XDG_STATE_HOME=str(tmp_path / "state"), HOME=str(home),
                    SPINE_GATES_HEALTH_REFRESH="0",
                    SPINE_GATES_API_BASE_OVERRIDES=fake.overrides(), **KEYS)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        env.pop(name, None)
    return env


@pytest.fixture
def status(spine: Path, health_env: dict[str, str]) -> Runner:
    """Run `gates providers status --format json` on the spine copy; returns the process."""

    def run(*extra: str, env: dict[str, str] | None = None,
            fmt: str = "json") -> subprocess.CompletedProcess[str]:
        proc = run_gates("providers", "status", "--root", str(spine), "--format", fmt,
                         "--timeout", "2", "--deadline", "4", *extra, env=env or health_env)
        assert_no_keys(proc.stdout + proc.stderr)
        return proc

    return run
