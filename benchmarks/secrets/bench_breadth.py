"""Detection breadth and false alarms (issue: keys wherever a user writes), beside detect-secrets.

Uses the test corpus (`tests/secrets/corpus.py`: 18 key formats, 15 governed places, a benign
corpus). Measures
  1. per place, the share of the 18 planted keys spine-gates finds (in process, the pre-commit
     gate) and detect-secrets-hook finds on the same files (a finding on the planted line);
  2. findings on the benign corpus (every non-key-bearing place), the reference spine and the
     100x synthetic spine;
  3. whole-process time of `gates run registry-policy` on the reference spine and of
     `detect-secrets-hook` on the same governed files (every file the gate scans), interleaved.

    python benchmarks/secrets/bench_breadth.py [--runs 20] [--detect-secrets PATH]

Prints markdown; not committed (figures go to the README and docs/guides/secrets.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO), str(REPO / "benchmarks")]

from harness import Command, interleave  # noqa: E402

from spine_gates.checks.interface import prepare  # noqa: E402
from spine_gates.checks.table import load_gates  # noqa: E402
from spine_gates.gates import run_gate  # noqa: E402
from tests.secrets.corpus import (  # noqa: E402
    KEY_SAMPLES,
    PLACES,
    write_spine_with_benign,
    write_spine_with_keys,
)

_FP = re.compile(r"sha256:[0-9a-f]{8}")
_LOCATION = re.compile(r"^Location:\s+(.+):(\d+)\s*$", re.M)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFISICAL_") and k != "CI"}
    env.update(SPINE_GATES_TODAY="2026-11-25", NO_COLOR="1", PYTHONPATH=str(REPO / "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def sec_findings(root: Path) -> list:  # type: ignore[type-arg]
    result = run_gate(load_gates()["registry-policy"], prepare(root))
    return [f for f in result.findings if f.rule.startswith("SEC-")]


def governed(root: Path) -> list[str]:
    view = prepare(root).model.view()
    return [item["_file"] for item in view["governed_files"] if (root / item["_file"]).is_file()]


def detect_secrets_lines(tool: str, root: Path) -> set[tuple[str, int]]:
    files = governed(root)
    result = subprocess.run([tool, *files], cwd=root, capture_output=True, text=True,
                            env=_env())
    return {(path.strip(), int(line)) for path, line in _LOCATION.findall(result.stdout)}


def breadth(tool: str | None, scratch: Path) -> list[tuple[str, bool, float, float | None]]:
    rows = []
    for place in PLACES:
        root = scratch / f"keys-{place.name}"
        planted = write_spine_with_keys(root, place.name)
        findings = sec_findings(root)
        ours = sum(any(f.file == p.file and f.line == p.line
                       and p.fingerprints & set(_FP.findall(f.message)) for f in findings)
                   for p in planted)
        theirs = None
        if tool:
            lines = detect_secrets_lines(tool, root)
            # a PEM block is reported on one of its lines; any line of the planted text counts
            theirs = sum(any((p.file, p.line + k) in lines
                             for k in range(p.written.count("\n") + 1)) for p in planted) \
                / len(planted)
        rows.append((place.name, place.key_bearing, ours / len(planted), theirs))
    return rows


def false_alarms(tool: str | None, scratch: Path) -> list[tuple[str, int, int | None]]:
    rows = []
    for place in PLACES:
        if place.key_bearing:
            continue  # any literal in api_key is a finding by design
        root = scratch / f"benign-{place.name}"
        write_spine_with_benign(root, place.name)
        base = detect_secrets_lines(tool, REPO) if tool else set()
        theirs = len(detect_secrets_lines(tool, root) - base) if tool else None
        rows.append((f"benign corpus in {place.name}", len(sec_findings(root)), theirs))
    rows.append(("reference spine", len(sec_findings(REPO)),
                 len(detect_secrets_lines(tool, REPO)) if tool else None))
    spec = importlib.util.spec_from_file_location("synth", REPO / "benchmarks" / "synth_spine.py")
    assert spec and spec.loader
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    synth.write_spine(scratch / "x100", 100)
    rows.append(("100x synthetic spine", len(sec_findings(scratch / "x100")), None))
    return rows


def timing(tool: str, runs: int) -> dict[str, dict[str, float]]:
    files = [str(REPO / f) for f in governed(REPO)]
    commands = {
        "gates run registry-policy (reference spine)": [
            sys.executable, "-m", "spine_gates", "run", "registry-policy", "--root", str(REPO),
            "--no-receipt"],
        f"detect-secrets-hook, the same {len(files)} governed files": [tool, *files],
        "detect-secrets-hook, the 4 registries only": [tool, *files[:4]],
    }
    timed = [Command(name, name, argv, ok_codes=(0, 1)) for name, argv in commands.items()]
    interleave(timed, runs, 3, base_env=_env())
    return {c.key: {"median": c.median, "min": c.minimum, "cpu": c.cpu_median} for c in timed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--detect-secrets", default=shutil.which("detect-secrets-hook"))
    args = parser.parse_args()
    tool = args.detect_secrets
    out = [f"{len(KEY_SAMPLES)} key formats x {len(PLACES)} places; load average "
           f"{os.getloadavg()[0]:.2f} at the start; detect-secrets-hook: {tool or 'not found'}",
           "", "| place | key-bearing | spine-gates found | detect-secrets-hook found |",
           "|---|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        rows = breadth(tool, scratch)
        for name, bearing, ours, theirs in rows:
            shown = "-" if theirs is None else f"{theirs:.0%}"
            out.append(f"| {name} | {'yes' if bearing else ''} | {ours:.0%} | {shown} |")
        elsewhere = [r[2] for r in rows if not r[1]]
        out += ["", f"Elsewhere overall: {statistics.mean(elsewhere):.1%} (lowest "
                f"{min(elsewhere):.0%}); key-bearing: {min(r[2] for r in rows if r[1]):.0%}.",
                "", "| input | spine-gates SEC findings | detect-secrets-hook findings |",
                "|---|---:|---:|"]
        for name, ours_fp, theirs_fp in false_alarms(tool, scratch):
            out.append(f"| {name} | {ours_fp} | {'-' if theirs_fp is None else theirs_fp} |")
    if tool:
        out += ["", "| command | median ms | min ms | CPU ms |", "|---|---:|---:|---:|"]
        times = timing(tool, args.runs)
        for name, t in times.items():
            out.append(f"| {name} | {t['median']:.1f} | {t['min']:.1f} | {t['cpu']:.1f} |")
        gate, same = list(times.values())[:2]
        ratio = gate["median"] / same["median"]
        out += ["", f"gates ÷ detect-secrets-hook on the same files: {ratio:.2f}× (median), "
                f"{gate['cpu'] / same['cpu']:.2f}× (CPU)"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
