"""10 providers, 3 of which hang: `gates providers status` must finish within timeout + 0.3 s.

Measures the probe phase in-process (the parallel runner) and the whole CLI process, several
runs each. Run: /tmp/v/bin/python benchmarks/health/bench_parallel_probes.py [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import FakeProviders, bench_env, make_spine, report

PROVIDERS, HANGING = 10, {2, 5, 8}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    budget = args.timeout + 0.3
    with tempfile.TemporaryDirectory() as tmp, FakeProviders() as fake:
        base = Path(tmp)
        root = make_spine(base, PROVIDERS)
        env = bench_env(base, fake, PROVIDERS, HANGING)

        from spine_gates.gates import prepare
        from spine_gates.health.runner import run_probes
        from spine_gates.health.targets import build_targets, parse_overrides

        providers = prepare(root).model.providers
        targets = build_targets(providers, env, parse_overrides(None, env))
        probe_s = []
        for _ in range(args.runs):
            started = time.perf_counter()
            results = run_probes(targets, args.timeout, args.timeout * 3)
            probe_s.append(time.perf_counter() - started)
        hung = sorted(k for k, h in results.items() if h.state.value == "unreachable")
        assert hung == ["p2", "p5", "p8"], hung

        process_s, cpu_s = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "spine_gates", "providers", "status",
                                   "--root", str(root), "--format", "json", "--timeout",
                                   str(args.timeout), "--deadline", str(args.timeout * 3)],
                                  env=env, capture_output=True, text=True, timeout=60)
            process_s.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_s.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            assert proc.returncode in (0, 1, 2), proc.stderr
        figures = {
            "providers": PROVIDERS, "hanging": len(HANGING), "timeout_s": args.timeout,
            "budget_s": budget,
            "probe_phase_s": {"median": round(statistics.median(probe_s), 3),
                              "max": round(max(probe_s), 3)},
            "whole_process_s": {"median": round(statistics.median(process_s), 3),
                                "max": round(max(process_s), 3)},
            "whole_process_cpu_s": round(statistics.median(cpu_s), 3),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "within_budget": max(probe_s) <= budget and max(process_s) <= budget,
        }
        report("health.parallel_probes", figures)
        return 0 if figures["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
