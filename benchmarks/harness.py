"""The one timing harness every benchmark uses: warm-up, N runs, median / min / p95 / CPU.

Whole processes are timed spawn to exit, with the child's CPU time (user + sys) from `wait4`:
on a shared machine contention inflates wall time several-fold but CPU time far less, so every
figure comes with both. Several commands (ours and the anchor tool beside it) are timed
interleaved: each iteration runs every command once, in a rotating order, so a burst of load
from other work hits all of them alike. In-process work is timed the same way with `time_call`.
Results are printed as markdown rows (`row`) or one JSON line per benchmark (`report`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def percentile(values: Iterable[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Timing:
    """Samples of one measurement, in seconds: wall time and CPU time per run."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def runs(self) -> int:
        return len(self.wall)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.wall)

    @property
    def minimum(self) -> float:
        return min(self.wall)

    @property
    def maximum(self) -> float:
        return max(self.wall)

    @property
    def p95(self) -> float:
        return percentile(self.wall, 0.95)

    @property
    def stdev(self) -> float:
        return statistics.pstdev(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def noise(self) -> float:
        """Spread of the medians of successive quarters of the runs, as % of the median."""
        size = max(1, len(self.wall) // 4)
        parts = [self.wall[i:i + size] for i in range(0, len(self.wall), size)]
        medians = [statistics.median(p) for p in parts if len(p) == size]
        if len(medians) < 2:
            return 0.0
        return (max(medians) - min(medians)) / self.median * 100

    def summary(self, scale: float = 1.0, digits: int = 3) -> dict[str, float]:
        """median / min / p95 / max / CPU median, multiplied by `scale` (1000 for ms)."""
        return {name: round(value * scale, digits) for name, value in (
            ("median", self.median), ("min", self.minimum), ("p95", self.p95),
            ("max", self.maximum), ("cpu_median", self.cpu_median))}


@dataclass
class Run:
    """One whole process: exit code (None: stopped at the timeout), wall and CPU seconds."""

    code: int | None
    wall: float
    cpu: float
    stdout: str = ""
    stderr: str = ""


def run_process(argv: list[str], *, env: Mapping[str, str] | None = None,
                cwd: str | Path | None = None, timeout: float | None = None,
                capture: bool = False) -> Run:
    """Spawn `argv`, wait for it, and return its wall time and its own CPU time (wait4).

    Output goes to /dev/null unless `capture`; then it goes through temporary files, because
    reading pipes would leave the child to `subprocess` to reap and lose its resource usage."""
    with contextlib.ExitStack() as stack:
        sinks = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(2 if capture else 0)]
        out, err = sinks if capture else (subprocess.DEVNULL, subprocess.DEVNULL)
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=dict(env) if env is not None else None, cwd=cwd,
                                   stdout=out, stderr=err)
        code: int | None = None
        try:
            while True:
                pid, status, usage = os.wait4(process.pid,
                                              0 if timeout is None else os.WNOHANG)
                if pid:
                    code = os.waitstatus_to_exitcode(status)
                    break
                if timeout is not None and time.perf_counter() - started > timeout:
                    process.kill()
                    _, _, usage = os.wait4(process.pid, 0)
                    break
                time.sleep(0.002)
        except BaseException:
            process.kill()
            raise
        wall = time.perf_counter() - started
        process.returncode = code if code is not None else -9
        texts = []
        for sink in sinks:
            sink.seek(0)
            texts.append(sink.read().decode("utf-8", "replace"))
    return Run(code, wall, usage.ru_utime + usage.ru_stime, *texts)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children so far."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def time_call(call: Callable[[int], object], runs: int, warmup: int = 0) -> Timing:
    """Time `call(i)` in this process: `warmup` untimed calls, then `runs` timed ones; `i` counts
    every call from 0 (a call may use it to vary its input)."""
    for i in range(warmup):
        call(i)
    timing = Timing()
    for i in range(warmup, warmup + runs):
        cpu = cpu_seconds()
        started = time.perf_counter()
        call(i)
        timing.add(time.perf_counter() - started, cpu_seconds() - cpu)
    return timing


def alternate(calls: Mapping[str, Callable[[int], object]], runs: int,
              warmup: int = 0) -> dict[str, Timing]:
    """Several in-process calls timed in turn, run by run, so load hits each alike."""
    for i in range(warmup):
        for call in calls.values():
            call(i)
    timings = {name: Timing() for name in calls}
    for i in range(warmup, warmup + runs):
        for name, call in calls.items():
            once = time_call(lambda _: call(i), 1)  # noqa: B023  (called at once)
            timings[name].add(once.wall[0], once.cpu[0])
    return timings


@dataclass
class Command:
    """A whole-process command to time, alone or interleaved with others (e.g. an anchor)."""

    key: str
    label: str
    argv: list[str]
    every: int = 1  # run on every n-th iteration (slow commands run less often)
    ok_codes: tuple[int, ...] = (0,)
    env: dict[str, str] = field(default_factory=dict)  # on top of the harness's base env
    timing: Timing = field(default_factory=Timing)

    # The figures in milliseconds, as the markdown tables print them.
    @property
    def median(self) -> float:
        return self.timing.median * 1000

    @property
    def minimum(self) -> float:
        return self.timing.minimum * 1000

    @property
    def p95(self) -> float:
        return self.timing.p95 * 1000

    @property
    def cpu_median(self) -> float:
        return self.timing.cpu_median * 1000

    @property
    def noise(self) -> float:
        return self.timing.noise

    @property
    def times(self) -> list[float]:
        return self.timing.wall

    def run_once(self, base_env: Mapping[str, str] | None = None,
                 cwd: str | Path | None = None) -> Run:
        env = {**(base_env if base_env is not None else os.environ), **self.env}
        done = run_process(self.argv, env=env, cwd=cwd)
        if done.code not in self.ok_codes:
            raise SystemExit(f"{self.label}: exit {done.code} during timing, "
                             f"expected {self.ok_codes}")
        return done


def interleave(commands: list[Command], runs: int, warmup: int = 1, *,
               base_env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
               progress: bool = False) -> list[float]:
    """Warm each command up, then `runs` iterations of every command in a rotating order.

    Fills each command's `timing`; returns the 1-minute load averages seen along the way."""
    loads = [os.getloadavg()[0]]
    for command in commands:
        for _ in range(warmup):
            command.run_once(base_env, cwd)
    started = time.perf_counter()
    for iteration in range(runs):
        shift = iteration % len(commands)
        for command in commands[shift:] + commands[:shift]:
            if iteration % command.every == 0:
                done = command.run_once(base_env, cwd)
                command.timing.add(done.wall, done.cpu)
        loads.append(os.getloadavg()[0])
        if progress and (iteration + 1) % max(1, runs // 4) == 0:
            print(f"{iteration + 1}/{runs} iterations ({time.perf_counter() - started:.0f} s, "
                  f"load {loads[-1]:.2f})", file=sys.stderr)
    return loads


def time_process(argv: list[str], runs: int, warmup: int = 1, *,
                 env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 ok_codes: tuple[int, ...] = (0,)) -> Timing:
    """One command alone: `warmup` untimed runs, then `runs` timed ones."""
    command = Command(argv[0], " ".join(argv), argv, ok_codes=ok_codes)
    interleave([command], runs, warmup, base_env=env, cwd=cwd)
    return command.timing


def hyperfine(commands: list[str], runs: int, warmup: int, export: Path, *,
              env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
              ignore_failure: bool = False) -> list[dict[str, Any]]:
    """hyperfine's results (wall seconds per run, mean user/system) where a benchmark offers it
    as the alternative harness; raises SystemExit if hyperfine fails."""
    argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
            "--export-json", str(export)]
    if ignore_failure:
        argv.append("-i")
    done = subprocess.run([*argv, *commands], env=dict(env) if env is not None else None,
                          cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"hyperfine failed:\n{done.stderr}")
    results: list[dict[str, Any]] = json.loads(export.read_text(encoding="utf-8"))["results"]
    return results


def row(*cells: object) -> str:
    """One markdown table row."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def report(name: str, figures: dict[str, Any]) -> None:
    """One line of JSON per benchmark, with the machine's load, easy to paste into RESULTS.md."""
    print(json.dumps({"benchmark": name, **figures,
                      "load_average_1m": round(os.getloadavg()[0], 2),
                      "cpus": os.cpu_count()}))
