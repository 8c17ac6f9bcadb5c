"""Helpers for the receipt tests: real keys on disk and a real chain of signed receipts."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from spine_gates.checks.interface import prepare
from spine_gates.checks.table import load_gates
from spine_gates.gates import run_gate
from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.keys import SigningKey, load_signing_key, write_keypair

CHAIN_LENGTH = 6
START = _dt.datetime(2026, 11, 20, 9, 0, tzinfo=_dt.UTC)


@dataclass
class Chain:
    root: Path
    key_path: Path
    key: SigningKey
    written: list  # WrittenReceipt, in chain order

    def rel(self, index: int) -> str:
        """`receipts/...` name of the index-th receipt, as verify names it."""
        return self.written[index].path.relative_to(self.root).as_posix()


def make_key(root: Path, keys_home: Path, name: str) -> tuple[Path, SigningKey]:
    private, _public, _key = write_keypair(root, str(keys_home / f"{name}.key"), name)
    key = load_signing_key(str(private))
    assert key is not None
    return private, key


def build_chain(root: Path, keys_home: Path, length: int = CHAIN_LENGTH) -> Chain:
    private, key = make_key(root, keys_home, "ci")
    ctx = prepare(root)
    result = run_gate(load_gates()["registry-policy"], ctx)
    written = [emit_receipt(result, key, when=START + _dt.timedelta(hours=i), git=None)
               for i in range(length)]
    return Chain(root, private, key, written)
