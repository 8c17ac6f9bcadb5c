"""The pre-commit path stays light: the table names the drift and proxy check kinds without
importing them, so `gates run registry-policy` never loads deepdiff or pyjson5."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO, gates_env


def imported_modules(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "spine_gates", *args],
                            cwd=REPO, env=gates_env(), capture_output=True, text=True, timeout=60)
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "spine_gates.gates" in names or args[0] == "--version"
    return names


def test_registry_policy_does_not_import_deepdiff_or_pyjson5() -> None:
    names = imported_modules("run", "registry-policy", "--no-receipt")
    assert not {n for n in names if n.split(".")[0] in ("deepdiff", "pyjson5")}
    assert "spine_gates.drift.compare" not in names


def test_an_in_sync_drift_run_does_not_import_deepdiff(tmp_path) -> None:
    live = tmp_path / "config.json"
    subprocess.run([sys.executable, "-m", "spine_gates", "sync", "--live", str(live)],
                   cwd=REPO, env=gates_env(HOME=str(tmp_path)), check=True,
                   capture_output=True)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "spine_gates", "run",
                             "provider-drift", "--no-receipt", "--live", str(live)], cwd=REPO,
                            env=gates_env(HOME=str(tmp_path)), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout
    assert "| deepdiff" not in result.stderr and "pyjson5" in result.stderr
