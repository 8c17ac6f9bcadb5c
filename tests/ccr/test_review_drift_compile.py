"""Review regression: with a live router config present (every developer machine), a registry
violation that keeps the SSOT from compiling made `gates run all` exit 3 with one line, hiding
every finding. The registry rules report it; the drift gate now says it did not compare."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import gates_env, run_gates

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"


def test_an_ssot_that_does_not_compile_is_reported_not_an_abort(spine: Path,
                                                                tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    roles = spine / ROLES
    roles.write_text(roles.read_text().replace("      - nvidia_nim/moonshotai/kimi-k2.5\n",
                                               "      - nowhere/m1\n"))
    done = run_gates("run", "all", "--root", str(spine), "--format", "json", "--no-receipt",
                     env=env)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert any(f["rule"] == "REG-002" and "nowhere" in f["message"] for f in findings)
    (verdict,) = [f for f in findings if f["rule"] == "DRIFT-000"]
    assert verdict["message"].startswith("verdict not compared") and "nowhere" in \
        verdict["message"]
    assert verdict["file"] == ROLES and verdict["line"]
    # sync itself still refuses: a deploy blocker (REG-002), nothing written
    refused = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert refused.returncode == 1 and "REG-002" in refused.stderr
    assert "nowhere" in refused.stderr


def test_a_bad_spine_setting_is_still_bad_input_for_the_drift_gate(spine: Path,
                                                                   tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    assert run_gates("sync", "--root", str(spine), "--live", str(live), env=env).returncode == 0
    (spine / "spine-gates.yaml").write_text("ccr:\n  apikey_ref: file:///etc/key\n")
    done = run_gates("run", "provider-drift", "--root", str(spine), env=env)
    assert done.returncode == 3
    assert done.stderr.startswith("gates: error: spine-gates.yaml: ccr.apikey_ref:")
