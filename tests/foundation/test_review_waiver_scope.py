"""Review regression: a waiver scoped to one file does not cover the same pointer in another
file (deleting the file comparison passed every existing test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"


@pytest.fixture
def dangling(spine: Path) -> Path:
    path = spine / ROLES
    path.write_text(path.read_text().replace("      - nvidia_nim/moonshotai/kimi-k2.5\n",
                                             "      - nowhere/m1\n"))
    return spine


def _waive(root: Path, file: str) -> None:
    (root / "waivers.yaml").write_text(
        "waivers:\n"
        "  - rule: REG-002\n"
        f"    file: {file}\n"
        "    pointer: /roles/architect\n"
        "    reason: provider onboarding in progress (TICKET-12)\n"
        '    owner: "@ronny"\n'
        "    expires: 2027-01-31\n")


@pytest.mark.parametrize(("file", "waived"), [
    (ROLES, 1),
    ("docs/governance/PROVIDER_REGISTRY.yaml", 0),
])
def test_a_waiver_covers_only_findings_in_its_file(gates, dangling: Path, file: str,
                                                   waived: int) -> None:
    _waive(dangling, file)
    result = gates("run", "registry-policy", "--root", str(dangling), "--format", "json")
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["rule"] == "REG-002"]
    assert finding["file"] == ROLES and finding["pointer"].startswith("/roles/architect")
    assert report["summary"]["waived"] == waived
    assert result.returncode == (0 if waived else 1), result.stderr
