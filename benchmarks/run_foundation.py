"""The foundation benchmarks (issue 2): whole-process timings of the pre-commit path.

Measures, whole process, no shell:
  1. `gates run registry-policy` on the reference spine, side by side with the anchor tools
     `detect-secrets-hook` and `check-jsonschema` on the same four registry files;
  2. `gates --version` (and `python -c pass`, the interpreter's own floor);
  3. the full registry-policy gate on synthetic spines at 1x, 10x and 100x the reference size
     (benchmarks/synth_spine.py), with check-jsonschema on the same files for comparison.
It then times the engine's phases in-process (load, schema, view, rules) at each scale.

The default harness interleaves: each iteration runs every command once, in a rotating order, so
load from other work on the machine hits all commands alike; each run records wall time and the
child's CPU time (user + sys, from wait4), which contention inflates far less than wall time.
`--hyperfine` times with hyperfine instead (wall time, in rounds). Medians and minima are over all
runs; "noise" is the spread of the medians of successive quarters of the runs.

    /tmp/v/bin/python benchmarks/run_foundation.py            # ~2 minutes on 2 idle cores
    /tmp/v/bin/python benchmarks/run_foundation.py --quick    # under a minute, fewer runs

The markdown summary and raw timings go to benchmarks/results/ (not committed).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from harness import Command, hyperfine, interleave, row  # noqa: E402
from synth_spine import write_spine  # noqa: E402

REGISTRY_FILES = [
    "docs/governance/PROVIDER_REGISTRY.yaml",
    "docs/governance/CLI_INTERFACE_REGISTRY.yaml",
    "docs/governance/ROLE_PROVIDER_MAPS.yaml",
    "docs/governance/SSOT_REGISTRY.yaml",
]
TODAY = "2026-11-25"
SCALES = (1, 10, 100)
TARGETS_MS = {"gates-ref": 150.0, "gates-version": 80.0, "gates-hook-skip": 80.0}
SKIP_TEXT = "nothing it reads changed"  # the hook's one line when no changed file is governed


Bench = Command  # the name compare_trees.py and older notes use


def _tool(name: str, explicit: str | None = None) -> str | None:
    if explicit:
        return explicit
    sibling = Path(sys.executable).parent / name
    if sibling.exists():
        return str(sibling)
    return shutil.which(name)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """As a user's shell would run it: bytecode caching on (this sandbox sets it off)."""
    env = dict(os.environ)
    env.update(SPINE_GATES_TODAY=TODAY, NO_COLOR="1")
    for name in ("SPINE_GATES_DEBUG", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def _without_bytecode(stage: Path) -> dict[str, str]:
    """A copy of the package with no __pycache__, imported first and never cached: what a run
    costs where PYTHONDONTWRITEBYTECODE=1 is set and nothing compiled the sources."""
    import spine_gates

    if stage.exists():
        shutil.rmtree(stage)
    package = Path(spine_gates.__file__).resolve().parent
    shutil.copytree(package, stage / "src" / "spine_gates",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("policies", "gates", "docs"):
        (stage / name).symlink_to(REPO / name)
    return {"PYTHONPATH": str(stage / "src"), "PYTHONDONTWRITEBYTECODE": "1"}


def _sanity(bench: Bench, expect_text: str | None) -> None:
    """Run once and refuse to time a command that does not do what it is meant to do."""
    proc = subprocess.run(bench.argv, capture_output=True, text=True, env=_env(bench.env),
                          cwd=REPO, check=False)
    if proc.returncode not in bench.ok_codes:
        raise SystemExit(f"{bench.label}: exit {proc.returncode}, expected {bench.ok_codes}:\n"
                         f"{proc.stdout[-800:]}{proc.stderr[-800:]}")
    if expect_text and expect_text not in proc.stdout:
        raise SystemExit(f"{bench.label}: no {expect_text!r} in its output:\n"
                         f"{proc.stdout[-800:]}")


def _interleaved(benches: list[Bench], runs: int, warmup: int) -> list[float]:
    return interleave(benches, runs, warmup, base_env=_env(), cwd=REPO, progress=True)


def _hyperfine(benches: list[Bench], runs: int, warmup: int, out_dir: Path) -> list[float]:
    """Wall time with hyperfine, in four rounds per command; CPU is hyperfine's mean per round."""
    loads = [os.getloadavg()[0]]
    rounds = 4 if runs >= 8 else 1
    for index in range(rounds):
        for bench in benches:
            count = max(1, runs // rounds // bench.every)
            (result,) = hyperfine([subprocess.list2cmdline(bench.argv)], count,
                                  warmup if index == 0 else 1,
                                  out_dir / f"{bench.key}-r{index}.json",
                                  env=_env(bench.env), cwd=REPO,
                                  ignore_failure=bench.ok_codes != (0,))
            for wall in result["times"]:
                bench.timing.add(float(wall), result["user"] + result["system"])
            loads.append(os.getloadavg()[0])
        print(f"round {index + 1}/{rounds} done, load {loads[-1]:.2f}", file=sys.stderr)
    return loads


def _phases(root: Path, repeats: int) -> dict[str, float]:
    """Median in-process milliseconds of each engine phase (no interpreter start, no imports)."""
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import check_kind, load_gates

    gate = load_gates()["registry-policy"]
    samples: dict[str, list[float]] = {"load": [], "schema": [], "view": [], "rules": []}
    for _ in range(repeats):
        started = time.perf_counter()
        ctx = prepare(root)
        loaded = time.perf_counter()
        findings = check_kind("schema")({"kind": "schema"}, ctx, gate)
        schema = time.perf_counter()
        ctx.model.view()
        view = time.perf_counter()
        policy = next(c for c in gate.checks if c["kind"] == "policy")
        findings += check_kind("policy")(policy, ctx, gate)
        rules = time.perf_counter()
        if findings:
            raise SystemExit(f"{root}: expected a clean spine, got {findings[0]}")
        samples["load"].append(loaded - started)
        samples["schema"].append(schema - loaded)
        samples["view"].append(view - schema)
        samples["rules"].append(rules - view)
    return {k: statistics.median(v) * 1000 for k, v in samples.items()}


def _row(bench: Bench, extra: str = "") -> str:
    return row(bench.label, f"{bench.median:.1f}", f"{bench.minimum:.1f}",
               f"{bench.cpu_median:.1f}", f"{bench.noise:.0f}%", len(bench.times)) + extra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per command (100x: a quarter)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per command first")
    parser.add_argument("--quick", action="store_true", help="12 runs, 1 warm-up")
    parser.add_argument("--hyperfine", action="store_true", help="time with hyperfine instead")
    parser.add_argument("--gates", help="the gates executable (default: next to this python)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.warmup = 12, 1
    if args.hyperfine and shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine not found (apt-get install hyperfine)")

    gates = _tool("gates", args.gates)
    if gates is None:
        raise SystemExit("gates not found: pip install -e . (or pass --gates)")
    secrets_hook = _tool("detect-secrets-hook")
    jsonschema = _tool("check-jsonschema")

    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    spines = {}
    sizes = {}
    for scale in SCALES:
        spines[scale] = RESULTS / "spines" / f"x{scale}"
        sizes[scale] = write_spine(spines[scale], scale)

    import spine_gates

    # byte-compile the package first, as pip does on install
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(Path(spine_gates.__file__).resolve().parent)], check=True)
    no_bytecode = _without_bytecode(RESULTS / "no-bytecode")
    files = [str(REPO / f) for f in REGISTRY_FILES]
    schema = str(HERE / "schemas" / "spine.json")
    gate = [gates, "run", "registry-policy", "--root"]
    benches = [
        Bench("python", "`python -c pass` (interpreter floor)", [sys.executable, "-c", "pass"]),
        Bench("gates-version", "`gates --version`", [gates, "--version"]),
        Bench("gates-ref", "`gates run registry-policy` (reference spine)", [*gate, str(REPO)]),
        Bench("gates-ref-cold", "same, no bytecode cache for spine_gates", [*gate, str(REPO)],
              env=no_bytecode),
        # The hook passes the changed files: a commit touching nothing governed (README.md) ends
        # before the engine is imported; under pre-commit it also asks git for deleted files.
        Bench("gates-hook-skip", "hook, commit touches nothing governed (`… README.md`)",
              [*gate, str(REPO), "README.md"]),
        Bench("gates-hook-skip-git", "the same under pre-commit (asks git for deletions)",
              [*gate, str(REPO), "README.md"], env={"PRE_COMMIT": "1"}),
        Bench("gates-hook-run", "hook, commit touches a registry (the full gate)",
              [*gate, str(REPO), REGISTRY_FILES[2]]),
    ]
    if secrets_hook:
        benches.append(Bench("detect-secrets", "`detect-secrets-hook` (same 4 files)",
                             [secrets_hook, *files], ok_codes=(0, 1)))
    if jsonschema:
        benches.append(Bench("check-jsonschema", "`check-jsonschema` (same 4 files)",
                             [jsonschema, "--schemafile", schema, *files]))
    for scale in SCALES:
        every = 4 if scale >= 100 else 1
        benches.append(Bench(f"gates-x{scale}", f"gates {scale}x", [*gate, str(spines[scale])],
                             every=every))
        if jsonschema:
            synth_files = [str(spines[scale] / f) for f in REGISTRY_FILES]
            benches.append(Bench(f"jsonschema-x{scale}", f"check-jsonschema {scale}x",
                                 [jsonschema, "--schemafile", schema, *synth_files],
                                 every=every))

    for bench in benches:
        expect = None if bench.key == "gates-version" else \
            SKIP_TEXT if bench.key.startswith("gates-hook-skip") else \
            "PASS" if bench.key.startswith("gates-") else None
        _sanity(bench, expect)

    if args.hyperfine:
        loads = _hyperfine(benches, args.runs, args.warmup, out_dir)
    else:
        loads = _interleaved(benches, args.runs, args.warmup)
    raw = {b.key: {"label": b.label, "argv": b.argv, "wall_s": b.times, "cpu_s": b.timing.cpu}
           for b in benches}
    (out_dir / "timings.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")

    by_key = {b.key: b for b in benches}
    phases = {scale: _phases(spines[scale], 5 if scale < 100 else 3) for scale in SCALES}
    phases_ref = _phases(REPO, 5)

    harness = "hyperfine -N, 4 rounds" if args.hyperfine else "interleaved runs (wall + wait4 CPU)"
    lines = [
        f"Measured {stamp} on `{platform.node()}`: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {harness}, {args.warmup} warm-up runs; "
        f"1-minute load average {min(loads):.1f}-{max(loads):.1f} during the runs "
        f"(a load above the CPU count means other work competed for the CPUs: compare CPU "
        f"times and minima then, not wall medians).",
        "",
        "### Pre-commit path, reference spine (whole process)",
        "",
        "| command | median ms | min ms | CPU ms (median) | noise | runs | target (median) "
        "| gates ÷ this (wall) | gates ÷ this (CPU) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    gates_ref = by_key["gates-ref"]
    for key in ("python", "gates-version", "gates-ref", "gates-ref-cold", "gates-hook-skip",
                "gates-hook-skip-git", "gates-hook-run", "detect-secrets", "check-jsonschema"):
        bench = by_key.get(key)
        if bench is None:
            continue
        target = TARGETS_MS.get(key)
        verdict = (f"≤ {target:.0f} ms: {'met' if bench.median <= target else 'MISSED'}"
                   if target else "")
        ratios = " | "
        if key in ("detect-secrets", "check-jsonschema", "gates-hook-skip",
                   "gates-hook-skip-git"):
            ratios = (f"{gates_ref.median / bench.median:.2f}× | "
                      f"{gates_ref.cpu_median / bench.cpu_median:.2f}×")
        lines.append(_row(bench, f" {verdict} | {ratios} |"))
    lines += [
        "",
        "### Scaling on synthetic spines (whole process; the gate passes, every rule runs)",
        "",
        "| spine | providers | models | roles | median ms | min ms | CPU ms | noise | runs "
        "| µs per model (CPU) | CPU growth (size ×10) | check-jsonschema median / CPU ms "
        "| gates ÷ check-jsonschema (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous = None
    for scale in SCALES:
        bench = by_key[f"gates-x{scale}"]
        size = sizes[scale]
        growth = f"{bench.cpu_median / previous:.2f}×" if previous else "-"
        anchor = by_key.get(f"jsonschema-x{scale}")
        anchor_ms = f"{anchor.median:.0f} / {anchor.cpu_median:.0f}" if anchor else "-"
        anchor_ratio = f"{bench.cpu_median / anchor.cpu_median:.2f}×" if anchor else "-"
        lines.append(f"| {scale}× | {size['providers']} | {size['models']} | {size['roles']} | "
                     f"{bench.median:.1f} | {bench.minimum:.1f} | {bench.cpu_median:.1f} | "
                     f"{bench.noise:.0f}% | {len(bench.times)} | "
                     f"{bench.cpu_median * 1000 / size['models']:.0f} | {growth} | "
                     f"{anchor_ms} | {anchor_ratio} |")
        previous = bench.cpu_median
    cpu = {s: by_key[f"gates-x{s}"].cpu_median for s in SCALES}
    extra = [cpu[s] - cpu[1] for s in SCALES[1:]]
    if extra[0] > 0:
        lines += ["", f"Work above the 1× run (CPU): 10× adds {extra[0]:.0f} ms, 100× adds "
                      f"{extra[1]:.0f} ms, {extra[1] / extra[0]:.1f}× as much for 11× as much "
                      f"extra size (linear growth would be 11×)."]
    lines += [
        "",
        "### Where the time goes, in process (median ms; interpreter start and imports excluded)",
        "",
        "| spine | load YAML | schema | view | rule packs + rules | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, ph in [("reference", phases_ref)] + [(f"{s}×", phases[s]) for s in SCALES]:
        total = sum(ph.values())
        lines.append(f"| {name} | {ph['load']:.1f} | {ph['schema']:.1f} | {ph['view']:.1f} | "
                     f"{ph['rules']:.1f} | {total:.1f} |")
    summary = "\n".join(lines) + "\n"
    (out_dir / "summary.md").write_text(summary, encoding="utf-8")
    (RESULTS / "latest.md").write_text(summary, encoding="utf-8")
    print(summary)
    print(f"raw results: {out_dir}", file=sys.stderr)
    missed = [k for k, t in TARGETS_MS.items() if by_key[k].median > t]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
