"""`gates adopt` adds a provider the live config introduced, with import's conservative defaults
and a reference for its key, so the patched SSOT passes REG-002/REG-003 once `git apply`'d."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.helpers import gates_env, run_gates
from tests.secrets.corpus import echoes_a_piece

MISTRAL_KEY = "mstr-8Kq2Vx7Lp4Tz9Wn3Rb6Yc1Hd5Gf0Js"


def synced(spine: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    result = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    return live, env


def add_mistral(live: Path) -> None:
    data = json.loads(live.read_text())
    data["Providers"].append({
        "name": "mistral",
        "api_base_url": "https://api.mistral.ai/v1/chat/completions",
        "api_key": MISTRAL_KEY,
        "models": ["mistral-large-latest", "codestral-latest"],
    })
    data["Router"]["background"] = "mistral,codestral-latest"
    live.write_text(json.dumps(data, indent=2))


def test_adopt_patch_adds_the_new_provider_with_defaults_and_a_key_reference(
        spine: Path, tmp_path: Path) -> None:
    live, env = synced(spine, tmp_path)
    add_mistral(live)
    result = run_gates("adopt", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    assert "+  mistral:" in result.stdout
    assert "+    api_key_ref: env:MISTRAL_API_KEY" in result.stdout
    assert "+    cost_tier: paid" in result.stdout
    assert not echoes_a_piece(result.stdout + result.stderr, MISTRAL_KEY, "mstr-")
    subprocess.run(["git", "init", "-q", str(spine)], check=True)
    applied = subprocess.run(["git", "apply", "-"], cwd=spine, input=result.stdout, text=True,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr
    providers = yaml.safe_load((spine / "docs/governance/PROVIDER_REGISTRY.yaml").read_text())
    assert providers["providers"]["mistral"] == {
        "type": "hosted", "api_format": "openai", "api_base": "https://api.mistral.ai/v1",
        "quota_type": "credits", "models": ["mistral-large-latest", "codestral-latest"],
        "cost_tier": "paid", "api_key_ref": "env:MISTRAL_API_KEY"}


def test_adopted_new_provider_passes_reg_002_and_reg_003_and_leaves_only_its_key_as_drift(
        spine: Path, tmp_path: Path) -> None:
    live, env = synced(spine, tmp_path)
    add_mistral(live)
    result = run_gates("adopt", "--root", str(spine), "--live", str(live), env=env)
    subprocess.run(["git", "init", "-q", str(spine)], check=True)
    applied = subprocess.run(["git", "apply", "-"], cwd=spine, input=result.stdout, text=True,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr
    policy = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json",
                       "--no-receipt", env=env)
    rules = {f["rule"] for f in json.loads(policy.stdout)["findings"]}
    assert not rules & {"REG-002", "REG-003", "SCHEMA-001"}, policy.stdout
    drift = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                      "--format", "json", "--no-receipt", env=env)
    drifted = [f["message"] for f in json.loads(drift.stdout)["findings"]
               if f["rule"] == "DRIFT-001"]
    assert len(drifted) == 1 and drifted[0].startswith(
        "Providers[mistral].api_key: live is a literal key sha256:"), drifted
    assert drifted[0].endswith("SSOT says $MISTRAL_API_KEY")
