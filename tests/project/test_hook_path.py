"""The pre-commit path stays off heavy imports (speed itself is measured in benchmarks/)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO, gates_env

HEAVY = ("deepdiff", "cryptography", "git", "infisical_sdk", "httpx", "requests")

PROBE = """
import sys
from spine_gates.cli import main
code = main({argv!r})
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
raise SystemExit(code)
"""


def _heavy_modules(argv: list[str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                            cwd=REPO, env=gates_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stderr.splitlines() if x.startswith("HEAVY:")][-1]
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def test_registry_policy_imports_no_heavy_module():
    assert _heavy_modules(["run", "registry-policy"]) == []


def test_version_imports_nothing_heavy():
    probe = ("import sys; from spine_gates.cli import build_parser; build_parser(); "
             "print(sorted(m for m in ('cerberus', 'yaml', 'jmespath', 'deepdiff') "
             "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_a_commit_touching_nothing_governed_decides_before_any_yaml_or_rule_import(spine):
    probe = PROBE.format(argv=["run", "registry-policy", "--root", str(spine), "README.md",
                               "src/app.py"],
                         heavy=(*HEAVY, "yaml", "cerberus", "jmespath", "spine_gates.gates"))
    result = subprocess.run([sys.executable, "-c", probe], cwd=spine, env=gates_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "HEAVY:", result.stderr
