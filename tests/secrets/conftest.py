"""Fixtures: a fake Infisical on loopback, and an environment that points the CLI at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_gates.secrets.redact import clear_registered
from tests.secrets.fake_infisical import (
    CLIENT_ID,
    CLIENT_SECRET,
    NAMESPACE,
    PROVIDER_KEYS,
    FakeInfisical,
)

_INFISICAL_VARS = ("INFISICAL_HOST", "INFISICAL_API_URL", "INFISICAL_SITE_URL",
                   "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET", "INFISICAL_PROJECT_ID",
                   "INFISICAL_ENVIRONMENT", "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
                   "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET", "SPINE_GATES_INFISICAL_CONFIG",
                   "SPINE_GATES_OFFLINE", "SPINE_GATES_REQUIRE_RESOLUTION", "CI")


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No real Infisical settings leak in (except into the opt-in live contract test); caches
    and configs live in tmp; redaction reset."""
    if request.node.get_closest_marker("live_infisical") is None:
        for name in _INFISICAL_VARS:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    clear_registered()
    yield
    clear_registered()


@pytest.fixture
def infisical() -> Iterator[FakeInfisical]:
    with FakeInfisical() as server:
        server.add(NAMESPACE, *PROVIDER_KEYS)
        yield server


@pytest.fixture
def configured(infisical: FakeInfisical, monkeypatch: pytest.MonkeyPatch) -> FakeInfisical:
    """The in-process environment pointed at the fake (short timeouts)."""
    monkeypatch.setenv("INFISICAL_HOST", infisical.url)
    monkeypatch.setenv("INFISICAL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("INFISICAL_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("INFISICAL_PROJECT_ID", "proj-1")
    monkeypatch.setenv("SPINE_GATES_INFISICAL_TIMEOUT", "0.5")
    return infisical
