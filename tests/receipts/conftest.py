"""Fixtures for the receipt tests: a real chain of signed receipts, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.receipts.receipt_helpers import Chain, build_chain


@pytest.fixture(scope="module")
def pristine_chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """One chain built per module; tests tamper with copies of it."""
    from tests.helpers import REPO

    base = tmp_path_factory.mktemp("chain")
    root = base / "spine"
    shutil.copytree(REPO / "docs" / "governance", root / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", root / "docs" / "brain")
    return build_chain(root, base / "keys")


@pytest.fixture
def chain(pristine_chain: Chain, tmp_path: Path) -> Chain:
    """A private copy of the pristine chain to tamper with."""
    root = tmp_path / "spine"
    shutil.copytree(pristine_chain.root, root)
    written = [type(w)(root / w.path.relative_to(pristine_chain.root), w.digest, w.run_key, w.seq)
               for w in pristine_chain.written]
    return Chain(root, pristine_chain.key_path, pristine_chain.key, written)
