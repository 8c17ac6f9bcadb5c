"""A defect planted in a copy of the reference spine is reported with rule, file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"


def _edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` (which must occur once) and return the 1-based line where `new` starts."""
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {rel}"
    index = text.index(old)
    path.write_text(text.replace(old, new))
    return text[:index].count("\n") + 1 + new[: len(new) - len(new.lstrip("\n"))].count("\n")


DEFECTS = {
    "dangling provider in a chain": (
        "REG-002", ROLES,
        "      - nvidia_nim/moonshotai/kimi-k2.5\n", "      - deepseek/deepseek-v3\n"),
    "unknown model": (
        "REG-003", ROLES,
        "    primary: anthropic/claude-opus-4-5\n", "    primary: anthropic/claude-opus-9\n"),
    "duplicate model id in a provider": (
        "REG-012", PROVIDERS,
        "    models: [z-ai/glm5, moonshotai/kimi-k2.5]\n",
        "    models: [z-ai/glm5, moonshotai/kimi-k2.5, z-ai/glm5]\n"),
    "duplicate SSOT id": (
        "SSOT-005", SSOT, "  - id: cli-interface-registry\n", "  - id: provider-registry\n"),
    "chain on one provider": (
        "ROLE-001", ROLES,
        "  background:\n    primary: nvidia_nim/z-ai/glm5\n    fallback_chain:\n"
        "      - openrouter/z-ai/glm-4.5-air:free\n      - local_lmstudio/qwen2.5-coder\n",
        "  background:\n    primary: nvidia_nim/z-ai/glm5\n    fallback_chain:\n"
        "      - nvidia_nim/moonshotai/kimi-k2.5\n"),
    "free-only role reaching a paid provider": (
        "ROLE-002", ROLES,
        "      - openrouter/z-ai/glm-4.5-air:free\n", "      - zai/glm-4.7-flash\n"),
    "stale last_reviewed": (
        "SSOT-004", SSOT,
        '    last_reviewed: "2026-11-25"\n    notes: "Agent CLIs',
        '    last_reviewed: "2026-09-01"\n    notes: "Agent CLIs'),
    "missing inject file": (
        "REG-007", ROLES,
        "    inject: docs/brain/roles/executor.md\n", "    inject: docs/brain/roles/exec.md\n"),
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_planted_defect_is_reported_with_rule_file_and_line(name, spine, gates):
    rule, rel, old, new = DEFECTS[name]
    line = _edit(spine, rel, old, new)
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    hits = [f for f in report["findings"] if f["rule"] == rule]
    assert hits, f"{rule} not reported: {report['findings']}"
    assert hits[0]["file"] == rel
    new_lines = range(line, line + new.count("\n") + 1)
    assert hits[0]["line"] in new_lines, (hits[0], line)


def test_missing_ssot_entry_is_reported_at_the_ssot_list(spine, gates):
    path = spine / SSOT
    text = path.read_text()
    path.write_text(text[: text.index("\n  - id: role-provider-maps")] + "\n")
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert result.returncode == 1
    hits = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "SSOT-001"]
    assert len(hits) == 1
    assert hits[0]["file"] == SSOT and hits[0]["pointer"] == "/ssots"
    assert hits[0]["line"] == 7
    assert hits[0]["message"].startswith(ROLES)


def test_text_report_shows_file_line_rule_and_fix(spine, gates):
    _edit(spine, ROLES, "      - nvidia_nim/moonshotai/kimi-k2.5\n", "      - nowhere/m\n")
    result = gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 1
    assert f"{ROLES}:13: REG-002 [error]" in result.stdout
    assert "fix: Register provider 'nowhere'" in result.stdout
    assert "FAIL" in result.stdout


def test_a_schema_violation_is_a_finding_not_an_input_error(spine, gates):
    _edit(spine, PROVIDERS, "    rate_limit_rpm: 40\n", "    rate_limit_rpm: forty\n")
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert result.returncode == 1
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["rule"] == "SCHEMA-001"
    assert finding["pointer"] == "/providers/nvidia_nim/rate_limit_rpm"
    assert finding["line"] == 34


def test_schema_messages_never_echo_a_rejected_value(spine, gates):
    secret_like = "sk-ant-api03-" + "Q" * 40
    _edit(spine, PROVIDERS, "    type: hosted-free\n", f"    type: {secret_like}\n")
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert result.returncode == 1
    assert secret_like not in result.stdout + result.stderr
