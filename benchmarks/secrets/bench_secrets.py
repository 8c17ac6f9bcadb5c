"""Secret detection benchmark (issue 3): spine-gates' SEC-* rules side by side with
`detect-secrets-hook` on the same reference spine files.

Measures
  1. what detection adds to the pre-commit gate: `gates run registry-policy` with and without the
     `secrets` pack, split into rule time, view time and import time, plus whole-process wall time;
  2. wall time of `detect-secrets-hook` and `gates run registry-policy` on the same four files;
  3. false positives on references: findings on the reference spine (only references, no keys)
     and on a corpus holding every allowed reference form in key-bearing fields;
  4. detection of planted keys: 27 key formats in a plain field and in a key-bearing field.

    /tmp/v/bin/python benchmarks/secrets/bench_secrets.py           # ~2 minutes
    /tmp/v/bin/python benchmarks/secrets/bench_secrets.py --quick   # fewer runs

Writes benchmarks/results/secrets.md (and a timestamped copy); not committed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RESULTS = HERE.parent / "results"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent))

from harness import Command, alternate, interleave, time_call  # noqa: E402

FILES = ["PROVIDER_REGISTRY.yaml", "CLI_INTERFACE_REGISTRY.yaml", "ROLE_PROVIDER_MAPS.yaml",
         "SSOT_REGISTRY.yaml"]

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"


def fake(alphabet: str, size: int, salt: str) -> str:
    """Deterministic random-looking key material (fakes are built, never committed)."""
    stream = hashlib.shake_256(f"spine-gates-bench:{salt}".encode()).digest(size)
    return "".join(alphabet[b % len(alphabet)] for b in stream)


def _keys() -> dict[str, str]:
    f = fake
    return {
        "anthropic": "sk-ant-api03-" + f(B64URL, 93, "a"),
        "anthropic-admin": "sk-ant-admin01-" + f(B64URL, 80, "b"),
        "openai-legacy": "sk-" + f(ALNUM, 48, "c"),
        "openai-project": "sk-proj-" + f(B64URL, 120, "d"),
        "openai-service": "sk-svcacct-" + f(B64URL, 60, "e"),
        "openrouter": "sk-or-v1-" + f(HEX, 64, "f"),
        "nvidia": "nvapi-" + f(B64URL, 64, "g"),
        "zai": f(HEX, 32, "h") + "." + f(ALNUM, 16, "i"),
        "xai": "xai-" + f(ALNUM, 80, "j"),
        "perplexity": "pplx-" + f(ALNUM, 48, "k"),
        "groq": "gsk_" + f(ALNUM, 52, "l"),
        "huggingface": "hf_" + f(ALNUM, 34, "m"),
        "replicate": "r8_" + f(ALNUM, 37, "n"),
        "google": "AIza" + f(B64URL, 35, "o"),
        "aws": "AKIA" + f(HEX.upper() + "GHJKLMNPQRSTUVWXYZ", 16, "p"),
        "github": "ghp_" + f(ALNUM, 36, "q"),
        "github-fine-grained": "github_pat_" + f(ALNUM + "_", 82, "r"),
        "gitlab": "glpat-" + f(B64URL, 20, "s"),
        "slack": "xoxb-" + f("0123456789", 12, "t") + "-" + f(ALNUM, 24, "u"),
        "stripe": "sk_live_" + f(ALNUM, 24, "v"),
        "sendgrid": "SG." + f(B64URL, 22, "w") + "." + f(B64URL, 43, "x"),
        "jwt": "eyJ" + f(B64URL, 20, "y") + ".eyJ" + f(B64URL, 30, "z") + "." + f(B64URL, 43, "0"),
        "infisical-token": "st." + f(HEX, 8, "1") + "-" + f(HEX, 4, "2") + "." + f(HEX, 32, "3")
                           + "." + f(HEX, 32, "4"),
        "bearer": "Bearer " + f(ALNUM, 39, "5") + "7",
        "url-userinfo": "https://svc:" + f(ALNUM, 15, "6") + "9@api.example.com/v1",
        "url-query": "https://api.example.com/v1?model=m&key=" + f(ALNUM, 31, "7") + "3",
        "private-key": "-----BEGIN PRIVATE KEY-----\n" + f(ALNUM + "+/", 64, "8") + "\n"
                       + f(ALNUM + "+/", 64, "9") + "\n-----END PRIVATE KEY-----",
    }


KEYS = _keys()

REFERENCE_FORMS = {
    "api_key_ref": "infisical://spine/ai/providers/OPENAI_API_KEY",
    "token_ref": "env:OPENAI_API_KEY",
    "api_key": "${OPENAI_API_KEY}",
    "secret_key": "$OPENAI_API_KEY",
    "password": "env:DB_PASSWORD",
    "client_secret": "infisical://spine/ai/providers/CLIENT_SECRET",
    "authorization": "Bearer ${OPENAI_API_KEY}",
    "token": "${TOKEN}",
    "headers": {"Authorization": "Bearer $OPENAI_API_KEY", "X-Api-Key": "env:OPENAI_API_KEY",
                "Cookie": "${SESSION_COOKIE}"},
}


def copy_spine(target: Path) -> Path:
    shutil.copytree(REPO / "docs" / "governance", target / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", target / "docs" / "brain")
    return target


def patch_providers(root: Path, fields: dict[str, object]) -> None:
    path = root / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    data = yaml.safe_load(path.read_text())
    data["providers"]["openai"].update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=400))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INFISICAL_") and k != "CI"}
    env.update(SPINE_GATES_TODAY="2026-11-25", NO_COLOR="1")
    return env


LAUNCHER = """
import sys
from spine_gates import cli
from spine_gates import gates as g
from spine_gates.checks import table
if sys.argv[1] == "--without-secrets":
    real = table.load_gates
    def load_gates(directory=None):
        out = real(directory)
        gate = out["registry-policy"]
        checks = tuple({**c, "packs": [p for p in c["packs"] if p != "secrets"]}
                       if c.get("packs") else c for c in gate.checks)
        out["registry-policy"] = table.GateDefinition(**{**gate.__dict__, "checks": checks})
        return out
    g.load_gates = table.load_gates = load_gates
sys.exit(cli.main(sys.argv[2:]))
"""

IMPORT_PROBE = """
import time, sys
import spine_gates.gates, spine_gates.policy.assertions, spine_gates.model.governance
started = time.perf_counter()
import spine_gates.secrets.named_checks, spine_gates.secrets.redact
print((time.perf_counter() - started) * 1000)
"""


COLD_PROBE = """
import sys, time
from spine_gates.checks.interface import GateDefinition, prepare
from spine_gates.checks.table import load_gates
from spine_gates.gates import run_gate
gate = load_gates()["registry-policy"]
if sys.argv[1] == "--without-secrets":
    gate = GateDefinition(**{**gate.__dict__, "checks": tuple(
        {**c, "packs": [p for p in c["packs"] if p != "secrets"]} if c.get("packs") else c
        for c in gate.checks)})
ctx = prepare(__import__("pathlib").Path(sys.argv[2]))
started = time.perf_counter()
run_gate(gate, ctx)
print((time.perf_counter() - started) * 1000)
"""


def cold_gate(runs: int) -> dict[str, float]:
    """The gate's first run in a fresh process (lazy regex compiles included), fastest of runs."""
    values: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(runs):
        for name in ("with", "without"):
            result = subprocess.run([sys.executable, "-c", COLD_PROBE, f"--{name}-secrets",
                                     str(REPO)], capture_output=True, text=True, env=_env(),
                                    check=True)
            values[name].append(float(result.stdout.strip()))
    return {name: min(v) for name, v in values.items()}


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, dict[str, float]]:
    """Round-robin wall times, so load from other work on the machine hits every command alike."""
    timed = [Command(name, name, argv, ok_codes=(0, 1)) for name, argv in commands.items()]
    interleave(timed, runs, 3, base_env=_env())
    return {c.key: {"median": c.median, "min": c.minimum, "stdev": c.timing.stdev * 1000,
                    "runs": c.timing.runs} for c in timed}


def import_cost(runs: int) -> float:
    """Fastest ms to import the secrets modules on top of what the gate imports anyway (the
    minimum: imports do fixed work, so the spread is other load on the machine)."""
    values = []
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True,
                                text=True, env=_env(), check=True)
        values.append(float(result.stdout.strip()))
    return min(values)


def leaves_cost(runs: int) -> float:
    """Median ms to build the view's string_leaves (the detection input) for the reference spine."""
    from spine_gates.model.governance import _string_leaves
    from spine_gates.model.spine import load_config, load_documents

    docs = load_documents(REPO, load_config(REPO))
    return time_call(lambda _: _string_leaves(docs), runs).median * 1000


def in_process(runs: int) -> dict[str, float]:
    """Engine time of the gate with and without the secrets pack (model built fresh each run)."""
    sys.path.insert(0, str(REPO / "src"))
    from spine_gates.checks.interface import GateDefinition, prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate

    gate = load_gates()["registry-policy"]
    without = GateDefinition(**{**gate.__dict__, "checks": tuple(
        {**c, "packs": [p for p in c["packs"] if p != "secrets"]} if c.get("packs") else c
        for c in gate.checks)})
    timings = alternate({"with": lambda _: run_gate(gate, prepare(REPO)),
                         "without": lambda _: run_gate(without, prepare(REPO))},
                        runs, warmup=10)  # the warm-up fills imports and caches
    return {name: timing.median * 1000 for name, timing in timings.items()}


def detect_secrets_findings(files: list[Path]) -> int:
    result = subprocess.run([str(BIN / "detect-secrets-hook"), *map(str, files)],
                            capture_output=True, text=True, env=_env())
    return len(re.findall(r"^Secret Type:", result.stdout, re.M))


def gates_findings(root: Path) -> list[dict[str, object]]:
    result = subprocess.run([str(BIN / "gates"), "run", "registry-policy", "--root", str(root),
                             "--format", "json", "--no-receipt"],
                            capture_output=True, text=True, env=_env())
    return [f for f in json.loads(result.stdout)["findings"] if str(f["rule"]).startswith("SEC-")]


def planted_detection(scratch: Path, kind: str) -> tuple[int, int]:
    """(gates, detect-secrets) count of the 27 formats detected, each planted alone."""
    ours = theirs = 0
    for index, (name, key) in enumerate(KEYS.items()):
        root = copy_spine(scratch / f"{kind}-{index}")
        field = "api_key" if kind == "key-bearing" else "notes"
        value = key if kind == "key-bearing" else f"pasted by mistake: {key}"
        if name.startswith("url-"):
            field, value = "api_base", key
        patch_providers(root, {field: value})
        if any(f["pointer"] == f"/providers/openai/{field}" for f in gates_findings(root)):
            ours += 1
        if detect_secrets_findings([root / "docs/governance/PROVIDER_REGISTRY.yaml"]):
            theirs += 1
    return ours, theirs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 10 if args.quick else 30
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"secrets-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    files = [REPO / "docs" / "governance" / f for f in FILES]

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        launcher = scratch / "launch.py"
        launcher.write_text(LAUNCHER)
        gate_cmd = ["run", "registry-policy", "--root", str(REPO), "--no-receipt"]
        timings = interleaved({
            "gates run registry-policy, with the SEC-* pack": [
                sys.executable, str(launcher), "--with-secrets", *gate_cmd],
            "gates run registry-policy, without the SEC-* pack": [
                sys.executable, str(launcher), "--without-secrets", *gate_cmd],
            "detect-secrets-hook (same 4 files)": [
                str(BIN / "detect-secrets-hook"), *map(str, files)],
        }, runs)
        costs = {"imports": import_cost(runs), "leaves": leaves_cost(runs * 10)}
        cold = cold_gate(runs)
        costs["cold_rules"] = cold["with"] - cold["without"]
        costs["cold_with"], costs["cold_without"] = cold["with"], cold["without"]
        engine = in_process(runs * 10)

        refs_root = copy_spine(scratch / "refs")
        patch_providers(refs_root, REFERENCE_FORMS)
        fp = {
            "reference spine (5 api_key_ref references)": (
                len(gates_findings(REPO)), detect_secrets_findings(files)),
            f"reference corpus ({_count_refs(REFERENCE_FORMS)} more reference forms in "
            "key-bearing fields)": (
                len(gates_findings(refs_root)) ,
                detect_secrets_findings([refs_root / "docs/governance/PROVIDER_REGISTRY.yaml"])
                - detect_secrets_findings(files)),
        }
        planted = {kind: planted_detection(scratch, kind) for kind in ("plain", "key-bearing")}

    report = render(timings, engine, costs, fp, planted, runs)
    (out / "summary.md").write_text(report)
    (RESULTS / "secrets.md").write_text(report)
    print(report)
    return 0


def _count_refs(forms: dict[str, object]) -> int:
    return sum(len(v) if isinstance(v, dict) else 1 for v in forms.values())


def render(timings: dict[str, dict[str, float]], engine: dict[str, float],
           costs: dict[str, float], fp: dict[str, tuple[int, int]],
           planted: dict[str, tuple[int, int]], runs: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rules = engine["with"] - engine["without"]
    added = max(rules, costs["cold_rules"]) + costs["leaves"] + costs["imports"]
    lines = [f"Measured {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {runs} interleaved "
             f"runs per command; 1-min load average {load:.2f} at the end.", "",
             "### What detection adds to the pre-commit gate (reference spine)", "",
             "| part | median ms |", "|---|---:|",
             f"| SEC-* rules (engine time with minus without the pack, in process) | "
             f"{rules:.2f} |",
             f"| SEC-* rules on a cold process (first gate run: lazy regex compiles; "
             f"fastest of {runs}: {costs['cold_without']:.2f} → {costs['cold_with']:.2f} ms) | "
             f"{costs['cold_rules']:.2f} |",
             f"| building `string_leaves` (the detection input in the view) | "
             f"{costs['leaves']:.2f} |",
             f"| importing the secrets modules (fresh process, fastest of {runs}) | "
             f"{costs['imports']:.2f} |",
             f"| **total** (the larger rule figure + view + imports; target ≤ 20 ms) | "
             f"**{added:.2f}** |", "",
             f"Engine time of the whole gate in process: {engine['without']:.2f} ms without, "
             f"{engine['with']:.2f} ms with the pack.", "",
             "### Wall time (whole process, interleaved)", "",
             "| command | median ms | min ms | stdev ms |", "|---|---:|---:|---:|"]
    for name, t in timings.items():
        lines.append(f"| {name} | {t['median']:.1f} | {t['min']:.1f} | {t['stdev']:.1f} |")
    lines += ["", "### False positives on references (no secret in the files)", "",
              "| input | spine-gates SEC-* findings | detect-secrets-hook findings |",
              "|---|---:|---:|"]
    for name, (ours, theirs) in fp.items():
        lines.append(f"| {name} | {ours} | {theirs} |")
    lines += ["", f"### Planted keys detected ({len(KEYS)} formats, one file each)", "",
              "| where the key sits | spine-gates | detect-secrets-hook |", "|---|---:|---:|"]
    for kind, (ours, theirs) in planted.items():
        where = "a plain text field (notes / api_base)" if kind == "plain" else \
            "a key-bearing field (api_key)"
        lines.append(f"| {where} | {ours}/{len(KEYS)} | {theirs}/{len(KEYS)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
