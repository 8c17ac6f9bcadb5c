"""What an input at the loader's limits costs: each adversarial case through the real CLI.

For every case of `adversarial_inputs.py` (written for the limits of the tree that runs this
script) and for a realistic large spine (the 100x synthetic spine), runs `gates run all`,
`gates compile ccr` and `gates route resilience` as whole processes and prints one markdown row
per case: the exit code and the median wall / CPU seconds of each command. The target is < 1 s a
command; an input over the limits must be refused (exit 3) within it, never exit 4.

    python benchmarks/input_limits.py                 # 3 runs a command, ~1-2 minutes
    python benchmarks/input_limits.py --runs 5 most-keys
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import adversarial_inputs  # noqa: E402
import synth_spine  # noqa: E402
from harness import Timing, run_process  # noqa: E402

COMMANDS = {
    "run all": ["run", "all", "--no-receipt"],
    "compile ccr": ["compile", "ccr"],
    "route resilience": ["route", "resilience"],
}
TARGET_S = 1.0


def _measure(root: Path, runs: int, env: dict[str, str],
             timeout: float) -> dict[str, dict[str, Any]]:
    figures = {}
    for name, args in COMMANDS.items():
        timing, code = Timing(), None
        argv = [sys.executable, "-m", "spine_gates", *args, "--root", str(root)]
        for _ in range(runs):
            done = run_process(argv, env=env, cwd=root, timeout=timeout)
            code = done.code
            timing.add(done.wall, done.cpu)
            if code is None or done.wall > 5 * TARGET_S:
                break  # one slow run is figure enough
        figures[name] = {"exit": code, "wall_s": timing.median, "cpu_s": timing.cpu_median}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=", ".join([*adversarial_inputs.CASES, "synthetic-100x"]))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="stop a command after this many seconds (shown as > N s)")
    args = parser.parse_args()
    cases = args.cases or [*adversarial_inputs.CASES, "synthetic-100x"]
    env = dict(os.environ, NO_COLOR="1", SPINE_GATES_TODAY=synth_spine.TODAY,
               PYTHONPATH=str(adversarial_inputs.REPO / "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    loader = adversarial_inputs.loader
    limits = {name: getattr(loader, name) for name in dir(loader) if name.startswith("MAX_")}
    print(f"limits: {limits}; load average {os.getloadavg()[0]:.1f}; {args.runs} runs, median\n",
          flush=True)
    print("| input | file bytes | " + " | ".join(f"`{c}` exit, wall / CPU s" for c in COMMANDS)
          + " |")
    print("|---|---:|" + "---|" * len(COMMANDS))
    results = {}
    missed = False
    with tempfile.TemporaryDirectory(prefix="gates-limits-") as tmp:
        for case in cases:
            root = Path(tmp) / case
            if case == "synthetic-100x":
                synth_spine.write_spine(root, 100)
            else:
                adversarial_inputs.write_spine(root, case)
            size = (root / adversarial_inputs.TARGET).stat().st_size
            figures = _measure(root, args.runs, env, args.timeout)
            results[case] = {"bytes": size, **figures}
            cells = []
            for fig in figures.values():
                late = fig["wall_s"] >= TARGET_S
                missed |= late or fig["exit"] in (None, 4)
                mark = " **miss**" if late or fig["exit"] in (None, 4) else ""
                if fig["exit"] is None:
                    cells.append(f"stopped, > {args.timeout:.0f} / {fig['cpu_s']:.2f}{mark}")
                else:
                    cells.append(f"{fig['exit']}, {fig['wall_s']:.2f} / {fig['cpu_s']:.2f}{mark}")
            print(f"| {case} | {size:,} | " + " | ".join(cells) + " |", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"limits": limits, "results": results}, indent=2))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
