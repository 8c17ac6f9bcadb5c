"""Errors that teach: a typo gets the name it meant, one finding and no cascade; each schema fix
states what the field expects; reference rules suggest the closest listed name; SEC-011 names the
manifest and its shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_gates

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
CLIS = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"
MANIFEST = "docs/governance/SECRETS_MANIFEST.yaml"


def _edit(spine: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = spine / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def _findings(spine: Path, gate: str = "all") -> list[dict[str, Any]]:
    done = run_gates("run", gate, "--root", str(spine), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout)["findings"] if f["severity"] != "info"]


def test_a_typod_required_field_is_one_schema_finding_with_the_name_it_meant(
        spine: Path) -> None:
    _edit(spine, ROLES, "    fallback_chain:", "    fallback_chian:")
    findings = _findings(spine)
    assert [(f["rule"], f["pointer"]) for f in findings] == [
        ("SCHEMA-001", "/roles/architect/fallback_chian")]
    assert findings[0]["message"].endswith(
        "unknown field 'fallback_chian'; did you mean 'fallback_chain' (required)?")
    assert findings[0]["fix"].startswith("Rename 'fallback_chian' to 'fallback_chain'")


def test_an_unknown_field_with_no_near_name_lists_the_fields(spine: Path) -> None:
    _edit(spine, ROLES, "    fallback_chain:", "    zzz: 1\n    fallback_chain:")
    [finding] = _findings(spine, "registry-policy")
    assert finding["message"].endswith("unknown field 'zzz'")
    assert finding["fix"].startswith("Remove 'zzz'; this mapping's fields are: ccr_slots, ")


def test_a_typo_of_an_optional_field_suggests_it_without_claiming_it_is_required(
        spine: Path) -> None:
    _edit(spine, ROLES, "    fallback_chain:", "    cost_polcy: free-only\n    fallback_chain:")
    [finding] = _findings(spine, "registry-policy")
    assert finding["message"].endswith("unknown field 'cost_polcy'; did you mean 'cost_policy'?")


@pytest.mark.parametrize(("old", "new", "fix"), [
    ('last_reviewed: "2026-11-25"', "last_reviewed: 25.11.2026",
     "'last_reviewed' must be a date written YYYY-MM-DD, quoted so YAML keeps it a string"),
    ("priority: 1", "priority: 9", "'priority' must be a whole number from 1 to 5"),
])
def test_a_schema_fix_states_the_type_and_format_the_field_expects(spine: Path, old: str,
                                                                   new: str, fix: str) -> None:
    _edit(spine, "docs/governance/SSOT_REGISTRY.yaml", old, new)
    schema = [f for f in _findings(spine, "registry-policy") if f["rule"] == "SCHEMA-001"]
    assert schema and schema[0]["fix"].startswith(fix), schema


def test_a_missing_required_field_says_what_to_add(spine: Path) -> None:
    text = (spine / PROVIDERS).read_text()
    _edit(spine, PROVIDERS, "    cost_tier: paid\n", "", 1)
    assert text != (spine / PROVIDERS).read_text()
    [finding] = [f for f in _findings(spine, "registry-policy") if f["rule"] == "SCHEMA-001"]
    assert finding["fix"].startswith("Add 'cost_tier': one of: free, paid, mixed")


def test_a_model_typo_suggests_the_closest_listed_model(spine: Path) -> None:
    _edit(spine, ROLES, "primary: anthropic/claude-opus-4-5", "primary: anthropic/claude-opus-4.5")
    [finding] = [f for f in _findings(spine, "registry-policy") if f["rule"] == "REG-003"]
    assert finding["message"].endswith(
        "does not list model 'claude-opus-4.5'; did you mean 'claude-opus-4-5'?")
    assert finding["fix"].startswith("Correct the entry to a model providers.anthropic.models")


def test_a_provider_typo_suggests_the_registered_provider(spine: Path) -> None:
    _edit(spine, ROLES, "primary: anthropic/claude-opus-4-5", "primary: antropic/claude-opus-4-5")
    [finding] = [f for f in _findings(spine, "registry-policy") if f["rule"] == "REG-002"]
    assert finding["message"].endswith("does not define; did you mean 'anthropic'?")


def test_a_role_typo_in_the_cli_registry_suggests_the_role(spine: Path) -> None:
    _edit(spine, CLIS, "roles: [architect, executor", "roles: [architekt, executor")
    [finding] = [f for f in _findings(spine, "registry-policy") if f["rule"] == "REG-011"]
    assert finding["message"].endswith("; did you mean 'architect'?")


def test_no_suggestion_when_nothing_is_close(spine: Path) -> None:
    _edit(spine, ROLES, "primary: anthropic/claude-opus-4-5", "primary: anthropic/xyzzy")
    [finding] = [f for f in _findings(spine, "registry-policy") if f["rule"] == "REG-003"]
    assert "did you mean" not in finding["message"]


def test_a_waived_schema_error_hides_no_other_finding(spine: Path) -> None:
    _edit(spine, ROLES, "    fallback_chain:", "    fallback_chian:")
    (spine / "waivers.yaml").write_text(
        f"waivers:\n  - rule: SCHEMA-001\n    file: {ROLES}\n"
        "    pointer: /roles/architect/fallback_chian\n"
        "    reason: migrating\n    owner: '@ops'\n    expires: '2026-12-31'\n")
    rules = {f["rule"] for f in _findings(spine, "registry-policy")}
    assert "ROLE-001" in rules


def test_unresolved_reference_fix_names_the_manifest_path_and_shape(spine: Path) -> None:
    (spine / MANIFEST).unlink()
    done = run_gates("run", "secret-refs", "--root", str(spine), "--format", "json")
    unresolved = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "SEC-011"]
    assert unresolved
    fix = unresolved[0]["fix"]
    assert MANIFEST in fix and "`paths: {/spine/ai/providers: [" in fix


def test_every_schema_regex_has_a_described_format() -> None:
    from spine_gates.model.schema_help import FORMATS
    from spine_gates.model.schemas import SCHEMAS

    def regexes(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["regex"]] if isinstance(node.get("regex"), str) else []
            return own + [r for v in node.values() for r in regexes(v)]
        return []

    found = {r for schema in SCHEMAS.values() for r in regexes(schema)}
    assert found and found <= set(FORMATS)
