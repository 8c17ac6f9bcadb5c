"""The provider-drift benchmarks (issue 4): whole-process `gates run provider-drift` timings.

Budgets: <= 250 ms on the reference spine, <= 1 s on a synthetic 2,000-provider config.
Cases (whole process, no shell; timed interleaved by benchmarks/harness.py, or by hyperfine with
`--hyperfine`), each against a live config written by `gates sync`:
  1. reference spine, live config in sync;
  2. reference spine, one hand edit (drift: deepdiff is imported and walks the difference);
  3. 2,000 providers (benchmarks/ccr/synth_ccr.py), in sync;
  4. 2,000 providers, 52 differences (models, a slot, 50 keys as fingerprints).
Then the phases in-process for the 2,000-provider case (load spine, compile, read, compare, lines).
The machine is shared: wall times move with other load, so CPU time (user + sys) is reported too.

    /tmp/v/bin/python benchmarks/ccr/run_ccr.py [--runs 20]

A markdown summary (with --hyperfine also its raw JSON) goes to benchmarks/results/ (not
committed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import Command, hyperfine, interleave, row  # noqa: E402
from synth_ccr import write_spine  # noqa: E402

GATES = [sys.executable, "-m", "spine_gates"]


def sync(root: Path, live: Path, env: dict[str, str]) -> None:
    subprocess.run([*GATES, "sync", "--root", str(root), "--live", str(live)], env=env,
                   check=True, capture_output=True, cwd=REPO)


def hand_edit(live: Path, many: bool) -> None:
    data = json.loads(live.read_text())
    data["Router"]["think"] = data["Router"]["default"]
    if many:
        data["Providers"][5]["models"].append("extra-model")
        for provider in data["Providers"][100:150]:
            provider["api_key"] = "sk-bench-" + provider["name"] + "-0123456789abcdef"
    live.write_text(json.dumps(data, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--hyperfine", action="store_true",
                        help="time with hyperfine instead of the built-in harness")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ccr-bench-"))
    env = {**os.environ, "HOME": str(work), "SPINE_GATES_TODAY": "2026-11-25", "NO_COLOR": "1"}
    reference = work / "reference"
    shutil.copytree(REPO / "docs", reference / "docs")
    big = work / "synthetic-2000"
    write_spine(big, 2000)
    cases = []
    for label, root, edit in (("reference, in sync", reference, None),
                              ("reference, 1 hand edit", reference, False),
                              ("2,000 providers, in sync", big, None),
                              ("2,000 providers, 52 differences", big, True)):
        live = work / f"live-{len(cases)}" / "config.json"
        live.parent.mkdir()
        sync(root, live, env)
        if edit is not None:
            hand_edit(live, edit)
        cases.append((label, [*GATES, "run", "provider-drift", "--root", str(root), "--live",
                              str(live)], live))
    commands = [Command(str(i), label, argv, ok_codes=(0, 2))  # 2: drift, as measured
                for i, (label, argv, _live) in enumerate(cases)]
    if args.hyperfine:
        results = hyperfine([" ".join(c.argv) for c in commands], args.runs, 3,
                            RESULTS / "ccr-hyperfine.json", env=env, ignore_failure=True)
        for command, result in zip(commands, results, strict=True):
            for wall in result["times"]:
                command.timing.add(float(wall), result["user"] + result["system"])
    else:
        interleave(commands, args.runs, 3, base_env=env, cwd=REPO)
    rows = [row("case", "median wall", "min wall", "CPU (user+sys)", "live size"),
            "|---|---|---|---|---|"]
    for (label, _cmd, live), command in zip(cases, commands, strict=True):
        rows.append(row(label, f"{command.median:.0f} ms", f"{command.minimum:.0f} ms",
                        f"{command.cpu_median:.0f} ms", f"{live.stat().st_size // 1024} KiB"))
    rows.append("")
    rows.append(phases(big, cases[3][2]))
    rows.append(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    text = "\n".join(rows) + "\n"
    (RESULTS / "ccr.md").write_text(text)
    print(text)
    shutil.rmtree(work)


def phases(root: Path, live_path: Path) -> str:
    """In-process phases of the 2,000-provider drift case (min of 5)."""
    sys.path.insert(0, str(REPO / "src"))
    from spine_gates.ccr.compile import compile_ccr_config
    from spine_gates.ccr.live import read_live_config
    from spine_gates.ccr.profiles import get_profile
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.compare import compare

    best: dict[str, float] = {}
    for _ in range(5):
        marks = [("start", time.perf_counter())]
        ctx = prepare(root)
        marks.append(("load spine", time.perf_counter()))
        compiled = compile_ccr_config(ctx.model, get_profile("2.0"))
        marks.append(("compile", time.perf_counter()))
        live = read_live_config(live_path)
        marks.append(("read live (JSON5)", time.perf_counter()))
        compare(live.data, compiled, None)
        marks.append(("compare (deepdiff)", time.perf_counter()))
        live.line("/Providers/5/models")
        marks.append(("pointer lines", time.perf_counter()))
        for (_, before), (name, after) in zip(marks, marks[1:], strict=False):
            best[name] = min(best.get(name, 1e9), after - before)
    return "in-process, 2,000 providers, 52 differences (min of 5): " + ", ".join(
        f"{name} {seconds * 1000:.0f} ms" for name, seconds in best.items())


if __name__ == "__main__":
    main()
