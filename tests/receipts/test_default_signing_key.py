"""`gates receipts keygen` then `gates run … --receipt` with no more flags: one default key place.

keygen writes the private key to `$XDG_CONFIG_HOME/spine-gates/keys/<name>.key` (else
`~/.config/…`), outside every repository; a run with no key configured signs with the key there
whose public half is one of the spine's `receipts/keys/*.pub`. An explicit key still wins.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import gates_env, run_gates

KEYS = "receipts/keys"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_CONFIG_HOME=str(tmp_path / "config"))


@pytest.fixture
def repo(spine: Path) -> Path:
    for command in (["init", "-q"], ["config", "user.email", "t@example.invalid"],
                    ["config", "user.name", "T"], ["add", "-A"], ["commit", "-qm", "spine"]):
        subprocess.run(["git", *command], cwd=spine, check=True, capture_output=True)
    return spine


def _keygen(root: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    made = run_gates("receipts", "keygen", "--root", str(root), *extra, env=env)
    assert made.returncode == 0, made.stderr
    return made


def _commit_keys(root: Path) -> None:
    subprocess.run(["git", "add", KEYS], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "trust the key"], cwd=root, check=True)


def test_keygen_then_run_with_receipt_signs_with_no_more_flags(repo, env, tmp_path):
    _keygen(repo, env, "--name", "laptop")
    assert (tmp_path / "config" / "spine-gates" / "keys" / "laptop.key").is_file()
    _commit_keys(repo)
    result = run_gates("run", "registry-policy", "--root", str(repo), "--receipt",
                       "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["receipt"]["seq"] == 1
    verified = run_gates("receipts", "verify", "--root", str(repo), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_keygen_with_its_default_name_is_found_too(repo, env):
    _keygen(repo, env)
    _commit_keys(repo)
    result = run_gates("run", "registry-policy", "--root", str(repo), "--receipt", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("gates: receipt ") and "/receipts/" in result.stderr


def test_in_ci_the_default_key_signs_without_a_warning(repo, env):
    _keygen(repo, env, "--name", "ci")
    _commit_keys(repo)
    result = run_gates("run", "registry-policy", "--root", str(repo), "--format", "json",
                       env={**env, "CI": "true"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["receipt"]["seq"] == 1
    assert "warning" not in result.stderr


def test_a_default_key_another_spine_trusts_is_not_used(repo, env, tmp_path):
    other = tmp_path / "other"
    (other / "docs" / "governance").mkdir(parents=True)
    (other / "docs" / "governance" / "SSOT_REGISTRY.yaml").write_text("version: 1\nssots: []\n")
    _keygen(other, env, "--name", "elsewhere")
    result = run_gates("run", "registry-policy", "--root", str(repo), "--receipt", env=env)
    assert result.returncode == 3
    assert "--receipt needs a signing key" in result.stderr
    assert not (repo / "receipts" / "index.jsonl").exists()


def test_an_explicit_signing_key_wins_over_the_default(repo, env, tmp_path):
    _keygen(repo, env, "--name", "laptop")
    explicit = tmp_path / "elsewhere" / "ci.key"
    _keygen(repo, env, "--name", "ci", "--out", str(explicit))
    _commit_keys(repo)
    result = run_gates("run", "registry-policy", "--root", str(repo), "--receipt",
                       "--signing-key", str(explicit), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    audit = run_gates("receipts", "audit", "--root", str(repo), "--format", "json", env=env)
    signers = json.loads(audit.stdout)["keys"]
    assert [k["name"] for k in signers if k.get("receipts")] == ["ci"], signers


def test_keygens_last_line_says_to_commit_the_public_key_naming_it(repo, env):
    made = _keygen(repo, env, "--name", "laptop")
    last = made.stdout.strip().splitlines()[-1]
    assert "commit receipts/keys/laptop.pub" in last
