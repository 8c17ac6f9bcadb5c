"""Sign and write one receipt (statement, subjects, Ed25519, atomic write, index append, lock).

Target: <= 5 ms a receipt. Git state is read once per process and measured separately.
Usage: python benchmarks/receipts/bench_sign_write.py [N]
"""

from __future__ import annotations

import datetime as _dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import cpu_seconds, gate_result, make_key, make_spine, report

from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.gitinfo import git_state


def _fsync_latency(base: Path, count: int) -> float:
    """The disk's cost of one fsync of a receipt-sized file: the floor under every receipt."""
    samples = []
    for i in range(count):
        path = base / f"fsync-{i}"
        began = time.perf_counter()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x" * 1500)
        os.fsync(fd)
        os.close(fd)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.fmean(samples)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_spine(base)
        key = make_key(root, base)
        result = gate_result(root)
        start = _dt.datetime(2026, 11, 1, tzinfo=_dt.UTC)
        samples = []
        cpu = cpu_seconds()
        for i in range(count):
            began = time.perf_counter()
            emit_receipt(result, key, when=start + _dt.timedelta(seconds=i), git=None)
            samples.append((time.perf_counter() - began) * 1000)
        cpu_ms = (cpu_seconds() - cpu) / count * 1000
        began = time.perf_counter()
        git_state(Path(__file__).resolve().parents[2])
        git_ms = (time.perf_counter() - began) * 1000
        fsync_ms = _fsync_latency(base, min(count, 200))
    samples.sort()
    report("sign+write", {
        "receipts": count,
        "mean_ms": round(statistics.fmean(samples), 3),
        "cpu_ms": round(cpu_ms, 3),
        "p50_ms": round(samples[len(samples) // 2], 3),
        "p95_ms": round(samples[int(len(samples) * 0.95)], 3),
        "git_state_once_ms": round(git_ms, 1),
        "disk_fsync_ms": round(fsync_ms, 3),
        "target_ms": 5,
        "ok": statistics.fmean(samples) <= 5,
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
