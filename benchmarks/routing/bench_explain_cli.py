"""`gates route explain` on a one-line request, whole process (issue 16).

The router switches to the long-context slot only above `longContextThreshold` (60,000 by
default) tokens, and every cl100k token is at least one UTF-8 byte, so a request whose text is
smaller than the threshold in bytes cannot cross it: explain then reports the byte bound and never
loads the tokenizer (bpe-openai, ~1 s and ~100 MB to load). `--exact-tokens` forces the count.

Times, interleaved (harness.interleave), on the reference spine:
  1. `gates route explain req.json`                  (the byte bound: no tokenizer)
  2. `gates route explain --exact-tokens req.json`   (the old behaviour, exact count)
  3. `gates --version`                               (the CLI's own floor)

    python benchmarks/routing/bench_explain_cli.py [--runs 20]

Prints markdown rows: median / min wall ms, median CPU ms, peak RSS is not measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

from harness import Command, interleave, row  # noqa: E402

ONE_LINE = {"model": "claude-sonnet-4-5", "max_tokens": 256,
            "messages": [{"role": "user", "content": "Fix the failing test in tests/test_x.py"}]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    gates = [sys.executable, "-m", "spine_gates"]
    env = {**os.environ, "SPINE_GATES_TODAY": "2026-11-25"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time what users run: cached bytecode
    with tempfile.TemporaryDirectory() as tmp:
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps(ONE_LINE), encoding="utf-8")
        commands = [
            Command("bound", "route explain (byte bound)",
                    [*gates, "route", "explain", "--root", str(REPO), str(request)]),
            Command("exact", "route explain --exact-tokens",
                    [*gates, "route", "explain", "--root", str(REPO), "--exact-tokens",
                     str(request)]),
            Command("version", "gates --version", [*gates, "--version"]),
        ]
        loads = interleave(commands, args.runs, warmup=2, base_env=env, cwd=tmp)
    print(f"load average {min(loads):.2f}-{max(loads):.2f}, {args.runs} interleaved runs")
    print(row("command", "median ms", "min ms", "CPU median ms"))
    print(row("---", "---:", "---:", "---:"))
    for command in commands:
        print(row(command.label, f"{command.median:.1f}", f"{command.minimum:.1f}",
                  f"{command.cpu_median:.1f}"))
    bound, exact = commands[0], commands[1]
    print(f"\nbyte bound / exact: {bound.median / exact.median:.2f}x wall, "
          f"{bound.cpu_median / exact.cpu_median:.2f}x CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
