"""Audit N receipts (default 10,000) over C commits (default 1,000) in a real git repository.

Every commit changes a governed file; every tenth gets no gate run, so the audit must find
exactly C/10 unreceipted commits. Target: <= 10 s. Building the history is not timed.
Usage: python benchmarks/receipts/bench_audit.py [RECEIPTS] [COMMITS]
"""

from __future__ import annotations

import datetime as _dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import git
from common import gate_result, make_key, make_spine, report
from harness import time_call

from spine_gates.receipts.audit import build_audit
from spine_gates.receipts.emit import emit_receipt

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"


def main(receipts: int, commits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_spine(base)
        key = make_key(root, base)
        repo = git.Repo.init(root)
        with repo.config_writer() as config:
            config.set_value("user", "name", "Bench")
            config.set_value("user", "email", "bench@example.invalid")
        repo.index.add(["docs"])
        repo.index.commit("initial")
        result = gate_result(root)
        gated = [i for i in range(commits) if i % 10 != 0]
        per_commit, extra = divmod(receipts, len(gated))
        when = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
        began = time.perf_counter()
        written = 0
        path = root / PROVIDERS
        original = path.read_text()
        for i in range(commits):
            path.write_text(original + f"# revision {i}\n")
            repo.index.add([PROVIDERS])
            sha = repo.index.commit(f"revision {i}").hexsha
            if i % 10 == 0:
                continue
            runs = per_commit + (1 if extra > 0 else 0)
            extra -= 1
            state = {"commit": sha, "branch": "master", "dirty": False}
            for _ in range(runs):
                when += _dt.timedelta(seconds=1)
                emit_receipt(result, key, when=when, git=state)
                written += 1
        built = time.perf_counter() - began
        today = _dt.date(2026, 11, 25)
        audits: list[dict[str, Any]] = []
        timing = time_call(lambda _: audits.append(build_audit(root, today)), runs=1)
        audit, elapsed, cpu = audits[0], timing.median, timing.cpu_median
    found = len(audit["unreceipted"]["commits"])
    expected = len(range(0, commits, 10)) + 1  # plus the initial commit: no run covered it
    assert audit["chain"]["ok"] and len(audit["timeline"]) == written
    assert found == expected, (found, expected)
    report("audit", {"receipts": written, "commits": commits + 1, "seconds": round(elapsed, 3),
                     "cpu_seconds": round(cpu, 3),
                     "unreceipted": found, "build_seconds": round(built, 1),
                     "target_seconds": 10, "ok": elapsed <= 10})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 1_000)
