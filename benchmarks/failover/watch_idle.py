"""CPU a running `gates failover watch` costs: idle between rounds, and per hour at a round rate.

A watcher runs beside every router, all day. Between rounds it must sleep, not spin. This runs
the real CLI against a spine armed for failover (the router module on, a signing key) and fake
providers on 127.0.0.1 that all answer (nothing to do: the steady state), and reads the
process' CPU time (utime + stime, /proc/<pid>/stat) after a warm-up (start-up and the first
round) and at the end of the window:

  idle     --interval 3600: one round at start, then only sleep; CPU in the window, scaled
           to one hour
  rounds   --interval 5: a probe round every 5 s; CPU per round, and per hour at the default
           30 s interval (120 rounds)

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/failover/watch_idle.py \
        [--window 60] [--warmup 10] [--json OUT]

Everything is in a temp dir (HOME, XDG_STATE_HOME); the watcher is stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def measure(args: list[str], env: dict[str, str], warmup: float, window: float) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, "-m", "spine_gates", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(warmup)
        start_cpu = cpu_seconds(proc.pid)
        started = time.monotonic()
        time.sleep(window)
        end_cpu = cpu_seconds(proc.pid)
        elapsed = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise SystemExit(f"watch exited {proc.returncode}: {err}")
    return {"startup_cpu_s": round(start_cpu, 3), "window_s": round(elapsed, 1),
            "window_cpu_s": round(end_cpu - start_cpu, 3),
            "cpu_s_per_hour": round((end_cpu - start_cpu) / elapsed * 3600, 2),
            "exit": proc.returncode, "stdout_lines": len(out.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--json", metavar="OUT")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watch-idle-") as tmp:
        base = Path(tmp)
        os.environ["HOME"] = str(base / "home")
        os.environ["XDG_STATE_HOME"] = str(base / "state")
        os.environ.pop("SPINE_GATES_NOW", None)
        from tests.failover.cli_setup import arm
        from tests.health.fakes import KEYS, FakeProviders

        armed = arm(base, openai="healthy")
        with FakeProviders() as fake:
            fake.all_healthy()
            env = {**armed.env, **armed.signed(), **KEYS,
                   "SPINE_GATES_API_BASE_OVERRIDES": fake.overrides()}
            env.pop("SPINE_GATES_NOW", None)
            watch = ["failover", "watch", "--root", str(armed.spine), "--live",
                     str(armed.live), "--timeout", "1", "--deadline", "2"]
            idle = measure([*watch, "--interval", "3600"], env, options.warmup, options.window)
            rounds = measure([*watch, "--interval", "5"], env, options.warmup, options.window)
    per_round = rounds["window_cpu_s"] / max(rounds["window_s"] / 5, 1)
    result = {"idle": idle, "rounds_every_5s": rounds,
              "cpu_s_per_round": round(per_round, 3),
              "cpu_s_per_hour_at_30s": round(per_round * 120, 1),
              "load_average": os.getloadavg()}
    print(json.dumps(result, indent=2))
    if options.json:
        Path(options.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
