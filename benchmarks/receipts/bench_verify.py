"""Verify a chain of N receipts (default 10,000): every signature, the chain, every subject.

Target: <= 5 s for 10,000, whole process (`gates receipts verify`, interpreter start included).
The chain is built first (not timed) with real signed receipts and two trusted keys. Then RUNS
times (default 5) each: `verify_chain` in this process, and the real CLI in a fresh process. The
figures are medians; CPU seconds say what the work cost whatever else the machine was doing.
Usage: python benchmarks/receipts/bench_verify.py [N] [RUNS]
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, gate_result, make_key, make_spine, report
from harness import alternate, run_process

from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.verify import verify_chain


def _whole_process(root: Path) -> None:
    """One `python -m spine_gates receipts verify` process (its own CPU is in the harness's
    children time)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = run_process([sys.executable, "-m", "spine_gates", "receipts", "verify", "--root",
                        str(root)], env=env, capture=True)
    assert done.code == 0 and done.stdout.startswith("ok: "), done.stdout + done.stderr


def main(count: int, runs: int) -> None:
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
        load_before = os.getloadavg()[0]

        def verify(_: int) -> None:
            checked = verify_chain(root)
            assert checked.ok and len(checked.receipts) == count, checked.problems[:3]

        timings = alternate({"in_process": verify, "process": lambda _: _whole_process(root)},
                            runs)
        in_process, process = timings["in_process"], timings["process"]
    elapsed = process.median
    report("verify", {"receipts": count, "runs": runs,
                      "process_seconds": round(elapsed, 3),
                      "process_seconds_min": round(process.minimum, 3),
                      "process_cpu_seconds": round(process.cpu_median, 3),
                      "in_process_seconds": round(in_process.median, 3),
                      "in_process_cpu_seconds": round(in_process.cpu_median, 3),
                      "per_receipt_ms": round(elapsed / count * 1000, 3),
                      "load_average_1m_before": round(load_before, 2),
                      "build_seconds": round(built, 1), "target_seconds": 5,
                      "ok": elapsed <= 5 * count / 10_000})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
