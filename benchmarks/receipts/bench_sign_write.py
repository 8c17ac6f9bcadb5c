"""Sign and write one receipt (statement, subjects, Ed25519, atomic write, index append, lock).

Target: <= 5 ms a receipt. Git state is read once per process and measured separately.
Usage: python benchmarks/receipts/bench_sign_write.py [N]
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import time
from pathlib import Path

from common import gate_result, make_key, make_spine, report
from harness import time_call

from spine_gates.receipts.emit import emit_receipt
from spine_gates.receipts.gitinfo import git_state


def _fsync_latency(base: Path, count: int) -> float:
    """The disk's cost of one fsync of a receipt-sized file: the floor under every receipt."""
    def write(i: int) -> None:
        fd = os.open(base / f"fsync-{i}", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x" * 1500)
        os.fsync(fd)
        os.close(fd)

    return time_call(write, count).mean * 1000


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_spine(base)
        key = make_key(root, base)
        result = gate_result(root)
        start = _dt.datetime(2026, 11, 1, tzinfo=_dt.UTC)
        timing = time_call(lambda i: emit_receipt(result, key, git=None,
                                                  when=start + _dt.timedelta(seconds=i)), count)
        cpu_ms = sum(timing.cpu) / count * 1000
        began = time.perf_counter()
        git_state(Path(__file__).resolve().parents[2])
        git_ms = (time.perf_counter() - began) * 1000
        fsync_ms = _fsync_latency(base, min(count, 200))
    report("sign+write", {
        "receipts": count,
        "mean_ms": round(timing.mean * 1000, 3),
        "cpu_ms": round(cpu_ms, 3),
        "p50_ms": round(timing.median * 1000, 3),
        "p95_ms": round(timing.p95 * 1000, 3),
        "git_state_once_ms": round(git_ms, 1),
        "disk_fsync_ms": round(fsync_ms, 3),
        "target_ms": 5,
        "ok": timing.mean * 1000 <= 5,
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
