"""A/B timing of two source trees of spine-gates on the same spines (interleaved, wall + CPU).

Each tree is a folder with `src/spine_gates`, `policies/` and `gates/` (e.g. `git archive REV`
unpacked); its package is put first on PYTHONPATH and byte-compiled first. Used to measure what a
change to the hot path is worth while the rest of the code stays the same:

    mkdir -p /tmp/before && git archive HEAD~1 src policies gates | tar -x -C /tmp/before
    python benchmarks/compare_trees.py /tmp/before .
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from harness import Command, interleave, row
from run_foundation import REPO, RESULTS, _env, _tool, write_spine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--runs", type=int, default=24)
    args = parser.parse_args()
    gates = _tool("gates")
    if gates is None:
        raise SystemExit("gates not found next to this python")
    roots = {"reference": REPO}
    for scale in (10, 100):
        roots[f"{scale}×"] = RESULTS / "spines-ab" / f"x{scale}"
        write_spine(roots[f"{scale}×"], scale)
    benches = []
    for name, tree in (("before", args.before), ("after", args.after)):
        src = (tree / "src").resolve()
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
        for spine, root in roots.items():
            every = 4 if spine == "100×" else 1
            benches.append(Command(f"{name}:{spine}", f"{name} {spine}",
                                   [gates, "run", "registry-policy", "--root", str(root)],
                                   every=every, env={"PYTHONPATH": str(src)}))
    loads = interleave(benches, args.runs, 2, base_env=_env(), cwd=REPO, progress=True)
    by_key = {b.key: b for b in benches}
    print(f"load average {min(loads):.1f}-{max(loads):.1f}\n")
    print("| spine | before median / min / CPU ms | after median / min / CPU ms "
          "| CPU saved | runs |")
    print("|---|---:|---:|---:|---:|")
    for spine in roots:
        old, new = by_key[f"before:{spine}"], by_key[f"after:{spine}"]
        saved = old.cpu_median - new.cpu_median
        print(row(spine, f"{old.median:.0f} / {old.minimum:.0f} / {old.cpu_median:.0f}",
                  f"{new.median:.0f} / {new.minimum:.0f} / {new.cpu_median:.0f}",
                  f"{saved:.0f} ms ({saved / old.cpu_median * 100:.0f}%)", len(new.times)))


if __name__ == "__main__":
    main()
