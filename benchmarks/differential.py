"""Do two source trees give the same reports? Mutated spines through both, outputs compared.

Every value line of each registry of a spine (the reference, and the 1x synthetic one) is replaced
by 10 of 30 awkward YAML values, deleted, or duplicated; each mutated spine goes through
`gates run registry-policy` as json and as sarif with each tree. Used to show a hot-path change
changes nothing but time:

    mkdir -p /tmp/before && git archive HEAD~1 src policies gates | tar -x -C /tmp/before
    python benchmarks/differential.py /tmp/before .          # a few minutes

Prints the number of spines, the exit codes seen, and every spine whose output differs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

from run_foundation import REGISTRY_FILES, REPO, RESULTS, TODAY, write_spine

TOKENS = ["", "~", "null", "yes", "true", "0", "-1", "7", "1.5", ".inf", "0x1F", "2026-11-25",
          "2020-01-01", '""', "'x'", "[]", "{}", "[a, b]", "[[x], y]", "{a: 1}", "!!str 5",
          "!!binary aGk=", "Bad Id", "anthropic/claude-opus-4-5",
          "openrouter/z-ai/glm-4.5-air:free", "many", '"a\\nb"', "&x foo", "free", "paid"]
VALUE_LINE = re.compile(r"^(\s*(?:- )?[A-Za-z_]\w*:)\s*(\S.*)?$")
ITEM_LINE = re.compile(r"^(\s*- )(\S.*)$")

DRIVER = """
import contextlib, io, json, os, sys
from pathlib import Path
os.environ.update(SPINE_GATES_TODAY=sys.argv[3], NO_COLOR="1")
from spine_gates.cli import main
with open(sys.argv[2], "w") as out:
    for spine in sorted(Path(sys.argv[1]).iterdir()):
        for fmt in ("json", "sarif"):
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(["run", "registry-policy", "--root", str(spine), "--format", fmt])
            out.write(json.dumps({"spine": spine.name, "format": fmt, "exit": code,
                                  "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}))
            out.write("\\n")
"""


def mutate(source: Path, out: Path, start: int) -> int:
    """Write the mutated copies of `source` under `out`; returns the next spine number."""
    originals = {name: (source / name).read_text(encoding="utf-8") for name in REGISTRY_FILES}
    rng = random.Random(7)
    number = start

    def emit(files: dict[str, str]) -> None:
        nonlocal number
        spine = out / f"s{number:05d}"
        number += 1
        for name, text in files.items():
            (spine / name).parent.mkdir(parents=True, exist_ok=True)
            (spine / name).write_text(text, encoding="utf-8")
        (spine / "docs" / "brain").symlink_to(source / "docs" / "brain")

    for name, text in originals.items():
        lines = text.splitlines(keepends=True)
        for index, line in enumerate(lines):
            value, item = VALUE_LINE.match(line.rstrip("\n")), ITEM_LINE.match(line.rstrip("\n"))
            if not (value or item):
                continue
            for token in rng.sample(TOKENS, 10):
                changed = list(lines)
                changed[index] = (value.group(1) + " " + token if value
                                  else item.group(1) + token) + "\n"  # type: ignore[union-attr]
                emit({**originals, name: "".join(changed)})
            emit({**originals, name: "".join(lines[:index] + lines[index + 1:])})
            emit({**originals, name: "".join(lines[:index + 1] + [line] + lines[index + 1:])})
    return number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    work = RESULTS / "differential"
    if work.exists():
        shutil.rmtree(work)
    spines = work / "spines"
    spines.mkdir(parents=True)
    synthetic = work / "synthetic-x1"
    write_spine(synthetic, 1)
    count = mutate(synthetic, spines, mutate(REPO, spines, 0))
    outputs = {}
    procs = []
    for name, tree in (("before", args.before), ("after", args.after)):
        outputs[name] = work / f"{name}.jsonl"
        env = {"PYTHONPATH": str((tree / "src").resolve()), "PATH": "/usr/bin:/bin"}
        procs.append(subprocess.Popen([sys.executable, "-c", DRIVER, str(spines),
                                       str(outputs[name]), TODAY], env=env))
    if any(proc.wait() != 0 for proc in procs):
        raise SystemExit("a driver failed")
    before = [json.loads(line) for line in outputs["before"].open(encoding="utf-8")]
    after = [json.loads(line) for line in outputs["after"].open(encoding="utf-8")]
    codes: dict[int, int] = {}
    differ = []
    for old, new in zip(before, after, strict=True):
        codes[old["exit"]] = codes.get(old["exit"], 0) + 1
        if old != new:
            differ.append((old, new))
    print(f"{count} spines x 2 formats; exit codes (before): {dict(sorted(codes.items()))}")
    print(f"{len(differ)} outputs differ")
    for old, new in differ:
        print(f"  {old['spine']} {old['format']}: exit {old['exit']} -> {new['exit']}; "
              f"{old['stderr'].strip()[:120] or old['stdout'][:120]!r}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
