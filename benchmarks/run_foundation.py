"""The foundation benchmarks (issue 2): whole-process timings of the pre-commit path.

Measures, with hyperfine (whole process, no shell):
  1. `gates run registry-policy` on the reference spine, side by side with the anchor tools
     `detect-secrets-hook` and `check-jsonschema` on the same four registry files;
  2. `gates --version` (and `python -c pass`, the interpreter's own floor);
  3. the full registry-policy gate on synthetic spines at 1x, 10x and 100x the reference size
     (benchmarks/synth_spine.py), with check-jsonschema on the same files for comparison.
It then times the engine's phases in-process (load, schema, view, rules) at each scale.

Runs are split into rounds; each round runs every command once under hyperfine, so a burst of
load from other work on the machine hits all commands alike. Medians and minima are over all runs;
the noise column is the spread of the per-round medians.

    /tmp/v/bin/python benchmarks/run_foundation.py            # ~3-4 minutes
    /tmp/v/bin/python benchmarks/run_foundation.py --quick    # ~1 minute, fewer runs

Raw hyperfine JSON and the markdown summary go to benchmarks/results/ (not committed).
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
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from synth_spine import write_spine  # noqa: E402

REGISTRY_FILES = [
    "docs/governance/PROVIDER_REGISTRY.yaml",
    "docs/governance/CLI_INTERFACE_REGISTRY.yaml",
    "docs/governance/ROLE_PROVIDER_MAPS.yaml",
    "docs/governance/SSOT_REGISTRY.yaml",
]
TODAY = "2026-11-25"
SCALES = (1, 10, 100)
TARGETS_MS = {"gates-ref": 150.0, "gates-version": 80.0}


@dataclass
class Bench:
    key: str
    label: str
    argv: list[str]
    runs: int
    ok_codes: tuple[int, ...] = (0,)
    env: dict[str, str] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    round_medians: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def minimum(self) -> float:
        return min(self.times) * 1000

    @property
    def stdev(self) -> float:
        return statistics.stdev(self.times) * 1000 if len(self.times) > 1 else 0.0

    @property
    def noise(self) -> float:
        """Spread of the per-round medians relative to the overall median, in percent."""
        if len(self.round_medians) < 2:
            return 0.0
        return (max(self.round_medians) - min(self.round_medians)) / statistics.median(
            self.round_medians) * 100


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


def _sanity(bench: Bench, expect_pass_text: bool) -> None:
    """Run once and refuse to time a command that does not do what it is meant to do."""
    proc = subprocess.run(bench.argv, capture_output=True, text=True, env=_env(bench.env),
                          cwd=REPO, check=False)
    if proc.returncode not in bench.ok_codes:
        raise SystemExit(f"{bench.label}: exit {proc.returncode}, expected {bench.ok_codes}:\n"
                         f"{proc.stdout[-800:]}{proc.stderr[-800:]}")
    if expect_pass_text and "PASS" not in proc.stdout:
        raise SystemExit(f"{bench.label}: the gate did not pass:\n{proc.stdout[-800:]}")


def _hyperfine(bench: Bench, runs: int, warmup: int, out: Path) -> list[float]:
    cmd = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
           "--export-json", str(out)]
    if bench.ok_codes != (0,):
        cmd.append("-i")
    cmd.append(subprocess.list2cmdline(bench.argv))
    proc = subprocess.run(cmd, env=_env(bench.env), cwd=REPO, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"hyperfine failed on {bench.label}:\n{proc.stderr}")
    data = json.loads(out.read_text(encoding="utf-8"))
    return [float(t) for t in data["results"][0]["times"]]


def _python_timer(bench: Bench, runs: int, warmup: int) -> list[float]:
    """Fallback when hyperfine is missing: wall time around spawn-to-exit, after warm-up."""
    times = []
    for index in range(warmup + runs):
        started = time.perf_counter()
        subprocess.run(bench.argv, env=_env(bench.env), cwd=REPO, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - started
        if index >= warmup:
            times.append(elapsed)
    return times


def _phases(root: Path, repeats: int) -> dict[str, float]:
    """Median in-process milliseconds of each engine phase (no interpreter start, no imports)."""
    from spine_gates.gates import CHECKS, load_gates, prepare

    gate = load_gates()["registry-policy"]
    samples: dict[str, list[float]] = {"load": [], "schema": [], "view": [], "rules": []}
    for _ in range(repeats):
        started = time.perf_counter()
        ctx = prepare(root)
        loaded = time.perf_counter()
        findings = CHECKS["schema"]({"kind": "schema"}, ctx, gate)
        schema = time.perf_counter()
        ctx.model.view()
        view = time.perf_counter()
        policy = next(c for c in gate.checks if c["kind"] == "policy")
        findings += CHECKS["policy"](policy, ctx, gate)
        rules = time.perf_counter()
        if findings:
            raise SystemExit(f"{root}: expected a clean spine, got {findings[0]}")
        samples["load"].append(loaded - started)
        samples["schema"].append(schema - loaded)
        samples["view"].append(view - schema)
        samples["rules"].append(rules - view)
    return {k: statistics.median(v) * 1000 for k, v in samples.items()}


def _row(bench: Bench, extra: str = "") -> str:
    return (f"| {bench.label} | {bench.median:.1f} | {bench.minimum:.1f} | {bench.stdev:.1f} | "
            f"{bench.noise:.0f}% | {len(bench.times)} |{extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per fast command (total)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the runs are split into")
    parser.add_argument("--quick", action="store_true", help="10 runs in 2 rounds")
    parser.add_argument("--gates", help="the gates executable (default: next to this python)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rounds = 10, 2
    args.rounds = max(1, min(args.rounds, args.runs))

    gates = _tool("gates", args.gates)
    if gates is None:
        raise SystemExit("gates not found: pip install -e . (or pass --gates)")
    secrets_hook = _tool("detect-secrets-hook")
    jsonschema = _tool("check-jsonschema")
    use_hyperfine = shutil.which("hyperfine") is not None

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
    slow = max(args.rounds, args.runs // 4)
    benches = [
        Bench("python", "`python -c pass` (interpreter floor)", [sys.executable, "-c", "pass"],
              args.runs),
        Bench("gates-version", "`gates --version`", [gates, "--version"], args.runs),
        Bench("gates-ref", "`gates run registry-policy` (reference spine)",
              [gates, "run", "registry-policy", "--root", str(REPO)], args.runs),
        Bench("gates-ref-cold", "same, no bytecode cache for spine_gates",
              [gates, "run", "registry-policy", "--root", str(REPO)], args.runs,
              env=no_bytecode),
    ]
    if secrets_hook:
        benches.append(Bench("detect-secrets", "`detect-secrets-hook` (same 4 files)",
                             [secrets_hook, *files], args.runs, ok_codes=(0, 1)))
    if jsonschema:
        benches.append(Bench("check-jsonschema", "`check-jsonschema` (same 4 files)",
                             [jsonschema, "--schemafile", schema, *files], args.runs))
    for scale in SCALES:
        runs = args.runs if scale < 100 else slow
        benches.append(Bench(f"gates-x{scale}", f"`gates run registry-policy` {scale}x",
                             [gates, "run", "registry-policy", "--root", str(spines[scale])],
                             runs))
        if jsonschema:
            synth_files = [str(spines[scale] / f) for f in REGISTRY_FILES]
            benches.append(Bench(f"jsonschema-x{scale}", f"`check-jsonschema` {scale}x",
                                 [jsonschema, "--schemafile", schema, *synth_files], runs))

    for bench in benches:
        _sanity(bench, expect_pass_text=bench.key.startswith("gates-")
                and bench.key != "gates-version")

    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    for round_index in range(args.rounds):
        for bench in benches:
            runs = bench.runs // args.rounds + (1 if round_index < bench.runs % args.rounds else 0)
            if runs == 0:
                continue
            warmup = 3 if round_index == 0 else 1
            if use_hyperfine:
                raw = out_dir / f"{bench.key}-r{round_index}.json"
                times = _hyperfine(bench, runs, warmup, raw)
            else:
                times = _python_timer(bench, runs, warmup)
            bench.times.extend(times)
            bench.round_medians.append(statistics.median(times))
            loads.append(os.getloadavg()[0])
        print(f"round {round_index + 1}/{args.rounds} done "
              f"({time.perf_counter() - started:.0f} s, load {loads[-1]:.2f})", file=sys.stderr)

    by_key = {b.key: b for b in benches}
    phases = {scale: _phases(spines[scale], 5 if scale < 100 else 3) for scale in SCALES}
    phases_ref = _phases(REPO, 5)

    lines = [
        f"Measured {stamp} on {platform.node()}: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"{'hyperfine -N' if use_hyperfine else 'python timer (hyperfine missing)'}; "
        f"{args.rounds} rounds; 1-min load average {min(loads):.2f}-{max(loads):.2f} "
        f"during the runs (other work was running on the machine).",
        "",
        "### Pre-commit path, reference spine (whole process)",
        "",
        "| command | median ms | min ms | stdev ms | noise | runs | target | gates ÷ this |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    gates_ref = by_key["gates-ref"]
    for key in ("python", "gates-version", "gates-ref", "gates-ref-cold", "detect-secrets",
                "check-jsonschema"):
        bench = by_key.get(key)
        if bench is None:
            continue
        target = TARGETS_MS.get(key)
        verdict = (f"≤ {target:.0f} ms: {'met' if bench.median <= target else 'MISSED'}"
                   if target else "")
        ratio = f"{gates_ref.median / bench.median:.2f}×" if key in (
            "detect-secrets", "check-jsonschema") else ""
        lines.append(_row(bench, f" {verdict} | {ratio} |"))
    lines += [
        "",
        "### Scaling on synthetic spines (whole process; the gate passes, every rule runs)",
        "",
        "| spine | providers | models | roles | median ms | min ms | noise | ms per model "
        "| growth vs previous (size ×10) | check-jsonschema ms | gates ÷ check-jsonschema |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous = None
    for scale in SCALES:
        bench = by_key[f"gates-x{scale}"]
        size = sizes[scale]
        growth = f"{bench.median / previous:.2f}×" if previous else "-"
        anchor = by_key.get(f"jsonschema-x{scale}")
        anchor_ms = f"{anchor.median:.0f}" if anchor else "-"
        anchor_ratio = f"{bench.median / anchor.median:.2f}×" if anchor else "-"
        lines.append(f"| {scale}× | {size['providers']} | {size['models']} | {size['roles']} | "
                     f"{bench.median:.1f} | {bench.minimum:.1f} | {bench.noise:.0f}% | "
                     f"{bench.median / size['models']:.3f} | {growth} | {anchor_ms} | "
                     f"{anchor_ratio} |")
        previous = bench.median
    marginal = [(by_key[f"gates-x{s}"].median - by_key["gates-x1"].median) for s in SCALES[1:]]
    if marginal[0] > 0:
        lines += ["", f"Work above the 1× run: 10× adds {marginal[0]:.0f} ms, 100× adds "
                      f"{marginal[1]:.0f} ms ({marginal[1] / marginal[0]:.1f}× for 11× the extra "
                      f"size; linear would be 11×)."]
    lines += [
        "",
        "### Where the time goes, in process (median ms; interpreter start and imports excluded)",
        "",
        "| spine | load YAML | schema | view | rules | total |",
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
