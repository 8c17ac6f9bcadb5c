"""Shared set-up for the receipt benchmarks: a copy of the reference spine, a key, a gate result."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from spine_gates.checks.interface import GateResult, prepare  # noqa: E402
from spine_gates.checks.table import load_gates  # noqa: E402
from spine_gates.gates import run_gate  # noqa: E402
from spine_gates.receipts.keys import SigningKey, load_signing_key, write_keypair  # noqa: E402


def make_spine(base: Path) -> Path:
    root = base / "spine"
    shutil.copytree(REPO / "docs" / "governance", root / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", root / "docs" / "brain")
    return root


def make_key(root: Path, base: Path, name: str = "bench") -> SigningKey:
    private, _public, _key = write_keypair(root, str(base / "keys" / f"{name}.key"), name)
    key = load_signing_key(str(private))
    assert key is not None
    return key


def gate_result(root: Path) -> GateResult:
    return run_gate(load_gates()["registry-policy"], prepare(root))


def report(name: str, figures: dict[str, Any]) -> None:
    """One line of JSON per benchmark, easy to paste into the README."""
    import json
    import os

    print(json.dumps({"benchmark": name, **figures,
                      "load_average_1m": round(os.getloadavg()[0], 2),
                      "cpus": os.cpu_count()}))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (git): what the work costs, whatever
    else the machine is doing."""
    import os

    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
