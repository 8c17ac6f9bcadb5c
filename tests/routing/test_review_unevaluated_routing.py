"""Review regression: routing that cannot be evaluated because of the spine's own settings fails.

The registry rules report a registry's faults, so SCEN-002 stays informational for those; nothing
else checks `ccr:` in spine-gates.yaml, and a gate that passed there would pass a spine whose
router config cannot even be compiled (and, for a pasted key, never name the key's fingerprint).
"""

from __future__ import annotations

import json
from pathlib import Path

from spine_gates.secrets.redact import fingerprint
from tests.helpers import run_gates

PASTED = "Xq7mWp2LkR9tZ4vB8nC3yH6jD1fG5sA0"  # a key of no known format, pasted for a reference


def test_a_bad_ccr_setting_fails_routing_scenarios_without_echoing_it(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text(f"ccr:\n  apikey_ref: {PASTED}\n")
    compiled = run_gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 1 and "SEC-" in compiled.stderr  # a deploy blocker
    assert PASTED[:8] not in compiled.stdout + compiled.stderr
    for gate in ("routing-scenarios", "all"):
        done = run_gates("run", gate, "--root", str(spine), "--format", "json")
        assert done.returncode == 1, (gate, done.stderr)
        findings = json.loads(done.stdout)["findings"]
        skipped = [f for f in findings if f["rule"] == "SCEN-002"]
        assert len(skipped) == 1 and skipped[0]["severity"] == "error", findings
        assert skipped[0]["file"] == "spine-gates.yaml"
        assert fingerprint(PASTED) in skipped[0]["message"]
        assert "spine-gates.yaml" in skipped[0]["fix"]
        assert PASTED[:8] not in done.stdout + done.stderr


def test_a_good_ccr_setting_leaves_routing_evaluated(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("ccr:\n  apikey_ref: env:CCR_APIKEY\n")
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = {f["rule"] for f in json.loads(done.stdout)["findings"]}
    assert "SCEN-002" not in rules, rules
