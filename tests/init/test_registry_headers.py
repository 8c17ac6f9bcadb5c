"""Each registry's header is accepted as the spine writes it.

The real spine's `SSOT_REGISTRY.yaml` starts `version`, `updated`, `github_issue` (not the binding
files' `version`, `updated_at`, `owner`, `scope`); the binding-style registries keep their own
header, so a typo there is still a schema error.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import run_gates

SSOT = "docs/governance/SSOT_REGISTRY.yaml"
PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
REAL_HEADER = 'version: "1.1"\nupdated: "2026-11-25"\ngithub_issue: "#541"\n'


def _replace_header(path: Path, header: str) -> None:
    text = path.read_text()
    start = text.index("version:")
    body = text.index("\nssots:") if "\nssots:" in text else text.index("\nproviders:")
    path.write_text(text[:start] + header + text[body:])


def test_the_real_spines_ssot_header_passes_the_schema(spine):
    _replace_header(spine / SSOT, REAL_HEADER)
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SCHEMA-001" not in result.stdout


def test_an_issue_number_written_as_a_number_is_accepted(spine):
    _replace_header(spine / SSOT, 'version: "1.1"\nupdated: 2026-11-25\ngithub_issue: 541\n')
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_ssot_updated_that_is_not_a_date_is_a_schema_error(spine):
    _replace_header(spine / SSOT, 'version: "1.1"\nupdated: "last week"\n')
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 1
    assert re.search(r"SSOT_REGISTRY\.yaml:\d+: SCHEMA-001 \[error\] /updated", result.stdout)


def test_an_unknown_ssot_header_field_is_still_a_schema_error(spine):
    _replace_header(spine / SSOT, 'version: "1.1"\nupdated: "2026-11-25"\nissue: "#541"\n')
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 1
    assert "unknown field 'issue'" in result.stdout


def test_a_binding_registry_keeps_its_own_header(spine):
    """`updated` is the SSOT registry's spelling; the binding files keep `updated_at`."""
    _replace_header(spine / PROVIDERS, 'version: "1.0"\nupdated: "2026-11-25"\n'
                                       'owner: "@ronny"\nscope: agentic-spine\n')
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 1
    assert "unknown field 'updated'" in result.stdout
    assert "unknown field 'updated'; did you mean 'updated_at' (required)?" in result.stdout
