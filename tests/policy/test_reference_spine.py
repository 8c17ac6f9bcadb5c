"""The bundled reference spine passes every shipped rule, from the repo and from a copy."""

from __future__ import annotations

import json

from tests.helpers import REPO


def test_gates_run_all_passes_on_the_reference_spine(gates):
    result = gates("run", "all", "--format", "json", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert report["summary"]["error"] == 0
    assert "docs/governance/PROVIDER_REGISTRY.yaml" in report["files"]


def test_registry_policy_passes_on_a_copy_of_the_spine(gates, spine):
    result = gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout


def test_every_shipped_rule_has_a_passing_and_a_failing_fixture(gates):
    result = gates("policy", "test", "--require-coverage")
    assert result.returncode == 0, result.stdout
    assert "0 failed" in result.stdout


def test_outside_a_spine_reference_checks_the_bundled_reference_spine(gates, tmp_path):
    result = gates("run", "registry-policy", "--reference", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout


def test_gates_list_names_the_registry_policy_gate(gates):
    result = gates("list", "--format", "json")
    assert result.returncode == 0
    names = {gate["name"]: gate for gate in json.loads(result.stdout)["gates"]}
    assert names["registry-policy"]["ring"] == "instant"
    assert "schema" in names["registry-policy"]["checks"]


def test_rule_catalogue_lists_every_rule_in_markdown(gates):
    result = gates("policy", "rules", "--format", "markdown")
    assert result.returncode == 0
    for rule in ("SCHEMA-001", "REG-001", "REG-012", "ROLE-001", "SSOT-004", "WAIVER-001"):
        assert f"`{rule}`" in result.stdout
