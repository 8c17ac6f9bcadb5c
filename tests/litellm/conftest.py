"""One real LiteLLM proxy per test session, started from the reference spine compiled by
`gates sync --target litellm`, in front of a fake upstream on 127.0.0.1; stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ccr.ccr_fakes import free_port, point_spine_at
from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.litellm.gateway import Gateway, litellm_binary
from tests.routing.upstream import RoutingUpstream


@dataclass
class Running:
    gateway: Gateway
    upstream: RoutingUpstream
    spine: Path


def gateway_spine(target: Path, upstream_port: int) -> Path:
    """The reference spine with every provider pointed at the fake upstream (`/up/<id>`)."""
    root = copy_reference_spine(target)
    point_spine_at(root, upstream_port, free_port(), threshold=60000, prefix="/up")
    return root


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    litellm_binary()  # missing: fail with "run ./scripts/test.sh", before anything starts
    home = tmp_path_factory.mktemp("gateway")
    upstream = RoutingUpstream().start()
    try:
        spine = gateway_spine(home / "spine", upstream.port)
        config = home / "config.yaml"
        synced = run_gates("sync", "--target", "litellm", "--live", str(config),
                           "--root", str(spine), env=gates_env(HOME=str(home)))
        assert synced.returncode == 0, synced.stderr
        gateway = Gateway(config, free_port(), home)
        gateway.start()
        try:
            yield Running(gateway, upstream, spine)
        finally:
            gateway.stop()
    finally:
        upstream.stop()
