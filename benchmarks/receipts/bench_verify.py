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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, cpu_seconds, gate_result, make_key, make_spine, report

from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.verify import verify_chain


def _whole_process(root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `python -m spine_gates receipts verify` process."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "spine_gates", "receipts", "verify", "--root",
                           str(root)], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = os.times()
    assert done.returncode == 0 and done.stdout.startswith("ok: "), done.stdout + done.stderr
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return wall, cpu


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
        walls, cpus, process_walls, process_cpus = [], [], [], []
        for _ in range(runs):
            began, cpu = time.perf_counter(), cpu_seconds()
            checked = verify_chain(root)
            walls.append(time.perf_counter() - began)
            cpus.append(cpu_seconds() - cpu)
            assert checked.ok and len(checked.receipts) == count, checked.problems[:3]
            wall, cpu = _whole_process(root)
            process_walls.append(wall)
            process_cpus.append(cpu)
    elapsed = statistics.median(process_walls)
    report("verify", {"receipts": count, "runs": runs,
                      "process_seconds": round(elapsed, 3),
                      "process_seconds_min": round(min(process_walls), 3),
                      "process_cpu_seconds": round(statistics.median(process_cpus), 3),
                      "in_process_seconds": round(statistics.median(walls), 3),
                      "in_process_cpu_seconds": round(statistics.median(cpus), 3),
                      "per_receipt_ms": round(elapsed / count * 1000, 3),
                      "load_average_1m_before": round(load_before, 2),
                      "build_seconds": round(built, 1), "target_seconds": 5,
                      "ok": elapsed <= 5 * count / 10_000})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
