"""Fixtures for the router tests: a spine pointed at a fake upstream, and the real router."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ccr.ccr_fakes import (
    LONG_CONTEXT_THRESHOLD,
    REPO,
    FakeUpstream,
    free_port,
    point_spine_at,
)

EXTRA_ROLES = """
  researcher:
    primary: zai/glm-5
    fallback_chain:
      - openrouter/qwen/qwen3-coder:free
    inject: docs/brain/roles/executor.md
    ccr_slots: [webSearch]
    cost_policy: paid-allowed

  reader:
    primary: openrouter/anthropic/claude-opus-4-5
    fallback_chain:
      - local_lmstudio/qwen3-32b
    inject: docs/brain/roles/architect.md
    ccr_slots: [longContext]
    cost_policy: paid-allowed
"""


def separate_slots(root: Path) -> None:
    """Give webSearch and longContext roles of their own, so every slot has a distinct model."""
    roles = root / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    text = roles.read_text()
    text = text.replace("ccr_slots: [think, longContext]", "ccr_slots: [think]")
    text = text.replace("ccr_slots: [default, webSearch]", "ccr_slots: [default]")
    roles.write_text(text.rstrip("\n") + "\n" + EXTRA_ROLES)


def copy_spine(target: Path) -> Path:
    shutil.copytree(REPO / "docs" / "governance", target / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", target / "docs" / "brain")
    return target


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def router_spine(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Path:
    root = copy_spine(tmp_path_factory.mktemp("router-spine"))
    point_spine_at(root, upstream.port, free_port(), threshold=LONG_CONTEXT_THRESHOLD)
    separate_slots(root)
    return root
