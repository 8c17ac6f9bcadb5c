"""YAML-001: the pre-commit gate flags plain values that only YAML 1.1 reads as booleans, numbers
or timestamps where the schema wants something else (and numbers in YAML 1.1-only forms)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
CLIS = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"
ZAI_MODELS = "models: [glm-5, glm-4.7-flash]"


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, count))


def coercions(gates, root: Path) -> list[dict[str, object]]:
    done = gates("run", "registry-policy", "--root", str(root), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "YAML-001"]


@pytest.mark.parametrize(("written", "read_as"), [
    ("on", "boolean"), ("yes", "boolean"), ("2026-01-01", "timestamp"),
    ("2026-01-01 10:00:00", "timestamp"), ("1_000", "number"), ("017", "number"),
])
def test_a_model_id_yaml_1_1_reads_as_another_type_is_flagged(gates, spine: Path, written: str,
                                                              read_as: str) -> None:
    edit(spine, PROVIDERS, ZAI_MODELS, f"models: [glm-5, glm-4.7-flash, {written}]")
    found = coercions(gates, spine)
    assert [(f["pointer"], f["severity"]) for f in found] == [("/providers/zai/models/2",
                                                              "error")]
    assert written in str(found[0]["message"]) and read_as in str(found[0]["message"])
    assert found[0]["file"] == PROVIDERS and isinstance(found[0]["line"], int)


@pytest.mark.parametrize("written", ["1_000", "0b101", "040", "1:30"])
def test_a_number_in_a_yaml_1_1_only_form_is_flagged_even_where_a_number_is_wanted(
        gates, spine: Path, written: str) -> None:
    edit(spine, PROVIDERS, "rate_limit_rpm: 40", f"rate_limit_rpm: {written}")
    found = coercions(gates, spine)
    assert [f["pointer"] for f in found] == ["/providers/nvidia_nim/rate_limit_rpm"]


def test_booleans_and_dates_where_the_schema_wants_them_are_not_flagged(gates,
                                                                        spine: Path) -> None:
    edit(spine, CLIS, "proxy_compatible: true", "proxy_compatible: yes")
    edit(spine, CLIS, "proxy_compatible: false", "proxy_compatible: off")
    edit(spine, SSOT, 'last_reviewed: "2026-11-25"', "last_reviewed: 2026-11-25", count=-1)
    edit(spine, PROVIDERS, 'updated_at: "2026-11-25"', "updated_at: 2026-11-25")
    assert coercions(gates, spine) == []


def test_quoted_values_are_strings_and_not_flagged(gates, spine: Path) -> None:
    edit(spine, PROVIDERS, ZAI_MODELS, 'models: [glm-5, glm-4.7-flash, "on", "1_000", '
                                       "'2026-01-01']")
    assert coercions(gates, spine) == []
