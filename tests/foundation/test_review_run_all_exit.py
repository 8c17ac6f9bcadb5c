"""Review regression: `gates run all` exits 2 when one gate drifts and another has violations
(drift outranks violations, DESIGN's exit codes); replacing the rule passed every test."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import gates_env, run_gates

SSOT = "docs/governance/SSOT_REGISTRY.yaml"


def test_drift_outranks_violations_in_the_exit_code(spine: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    config = json.loads(live.read_text())
    config["Router"]["default"] = "openrouter,qwen/qwen3-coder:free"  # a hand edit: drift
    live.write_text(json.dumps(config, indent=2))
    ssot = spine / SSOT  # an SSOT entry not reviewed for 36 days: a registry-policy violation
    text = ssot.read_text()
    assert 'last_reviewed: "2026-11-25"' in text
    ssot.write_text(text.replace('last_reviewed: "2026-11-25"', 'last_reviewed: "2026-10-20"', 1))
    done = run_gates("run", "all", "--root", str(spine), "--live", str(live), "--format",
                     "json", "--no-receipt", env=env)
    report = json.loads(done.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert "SSOT-004" in rules and any(r.startswith("DRIFT") for r in rules), rules
    assert done.returncode == 2, (done.returncode, done.stderr)
