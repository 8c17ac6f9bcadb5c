"""Verify a chain of N receipts (default 10,000): every signature, the chain, every subject.

Target: <= 5 s for 10,000. The chain is built first (not timed) with real signed receipts.
Usage: python benchmarks/receipts/bench_verify.py [N]
"""

from __future__ import annotations

import datetime as _dt
import sys
import tempfile
import time
from pathlib import Path

from common import cpu_seconds, gate_result, make_key, make_spine, report

from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.verify import verify_chain


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_spine(base)
        key = make_key(root, base)
        make_key(root, base, "second")  # two trusted keys: verify tries each, keyid is a hint
        result = gate_result(root)
        start = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
        began = time.perf_counter()
        for i in range(count):
            emit_receipt(result, key, when=start + _dt.timedelta(minutes=i), git=None)
        built = time.perf_counter() - began
        began, cpu = time.perf_counter(), cpu_seconds()
        checked = verify_chain(root)
        elapsed, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    assert checked.ok and len(checked.receipts) == count, checked.problems[:3]
    report("verify", {"receipts": count, "seconds": round(elapsed, 3),
                      "cpu_seconds": round(cpu, 3),
                      "per_receipt_ms": round(elapsed / count * 1000, 3),
                      "build_seconds": round(built, 1), "target_seconds": 5,
                      "ok": elapsed <= 5 * count / 10_000})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
