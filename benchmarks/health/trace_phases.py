"""Where the whole-process time of `gates providers status` goes, phase by phase.

Same set-up as bench_parallel_probes.py (10 providers, 3 hanging, compiled bytecode in a
private cache). Each run starts the real CLI in a fresh process through a small launcher that
wraps a few functions of the health package to note when they start and end (through an import
hook, which slows every import a little: the totals run a few tens of ms above the benchmark's);
the parent notes the spawn and the exit on the same monotonic clock. Prints the median time of
each mark since spawn, and the gaps between them.

Run: /tmp/v/bin/python benchmarks/health/trace_phases.py [--timeout S] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import FakeProviders, bench_env, make_spine
from harness import Timing

PROVIDERS, HANGING = 10, {2, 5, 8}

LAUNCHER = r"""
import builtins, json, sys, time, atexit
marks = {"interpreter up, launcher runs": time.monotonic()}
def mark(name):
    marks.setdefault(name, time.monotonic())
atexit.register(lambda: print("TRACE " + json.dumps(marks), file=sys.stderr))
def wrap(module, name, label):
    inner = getattr(module, name)
    def timed(*args, **kwargs):
        mark(label + " starts")
        try:
            return inner(*args, **kwargs)
        finally:
            mark(label + " ends")
    setattr(module, name, timed)
real_import = builtins.__import__
def hook(name, *args, **kwargs):
    module = real_import(name, *args, **kwargs)
    if name == "spine_gates.health.provider_status" and not hasattr(module, "_traced"):
        module._traced = True
        mark("health.provider_status imported")
        wrap(module, "_while_probing", "set-up while probing")
        wrap(module, "_finish", "breakers, roles, snapshot")
    if name == "spine_gates.health.runner" and not hasattr(module, "_traced"):
        module._traced = True
        mark("asyncio + httpx imported (runner)")
        wrap(module, "start_probes", "start probes (loop, client, timers)")
        wrap(module.Flight, "result", "wait for the last probe")
    if name == "spine_gates.health.render" and not hasattr(module, "_traced"):
        module._traced = True
        wrap(module, "scrub", "render + scrub")
    return module
builtins.__import__ = hook
import spine_gates.cli as cli
mark("cli imported")
code = cli.main(sys.argv[1:])
mark("main returned (output written)")
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeProviders() as fake:
        base = Path(tmp)
        root = make_spine(base, PROVIDERS)
        env = bench_env(base, fake, PROVIDERS, HANGING)
        env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        flags = ["providers", "status", "--root", str(root), "--format", "json", "--timeout",
                 str(args.timeout), "--deadline", str(args.timeout * 3)]
        subprocess.run([sys.executable, "-c", LAUNCHER, *flags], env=env, capture_output=True,
                       timeout=60)  # fills the bytecode cache
        samples: dict[str, list[float]] = {}
        for _ in range(args.runs):
            spawned = time.monotonic()
            proc = subprocess.run([sys.executable, "-c", LAUNCHER, *flags], env=env,
                                  capture_output=True, text=True, timeout=60)
            exited = time.monotonic()
            assert proc.returncode == 1, proc.stderr
            line = next(x for x in proc.stderr.splitlines() if x.startswith("TRACE "))
            marks = json.loads(line[6:])
            marks["process exited"] = exited
            for name, at in marks.items():
                samples.setdefault(name, []).append((at - spawned) * 1000)
        medians = sorted(((Timing(v).median, k) for k, v in samples.items()))
        previous = 0.0
        print(f"{'since spawn':>12}  {'gap':>8}  mark (median of {args.runs} runs, "
              f"--timeout {args.timeout:g})")
        for at, name in medians:
            print(f"{at:9.1f} ms  {at - previous:+6.1f}  {name}")
            previous = at
    return 0


if __name__ == "__main__":
    sys.exit(main())
