"""spine-gates.yaml is scanned for keys like every governed file (the pre-commit path)."""

from __future__ import annotations

import json


def test_a_key_pasted_into_spine_gates_yaml_fails_the_pre_commit_gate(gates, spine):
    key = "sk-ant-api03-" + "Z9" * 30
    (spine / "spine-gates.yaml").write_text(f'ccr:\n  profile: "2.0"\nnotes: "key {key}"\n')
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "SEC-002"
    assert (finding["file"], finding["line"], finding["pointer"]) == ("spine-gates.yaml", 3,
                                                                      "/notes")
    assert key[:20] not in result.stdout + result.stderr


def test_a_clean_spine_gates_yaml_passes(gates, spine):
    (spine / "spine-gates.yaml").write_text("rule_params:\n  SSOT-004: {days: 30}\n")
    assert gates("run", "registry-policy", "--root", str(spine)).returncode == 0
