"""Review regression: a secret with characters a report format escapes is still scrubbed there.

JSON writes `"` and `\\` escaped, JUnit XML writes `&`, `<`, `>` (and `"` in attributes) as
entities, GitHub annotations write `%` as `%25`; the redaction service registers those forms too,
or a password such as `Pw"9&<…%` would reach those reports whole. No other test plants one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import run_gates

SECRET = 'Pw"9&<Kx7Lm2\\Nq8Rt5>Vz&Qe%Ab3'


def pieces(text: str, size: int = 8) -> set[str]:
    return {text[i:i + size] for i in range(len(text) - size + 1)}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "spine"])
def test_a_secret_with_escaped_characters_never_reaches_a_report(spine: Path, fmt: str) -> None:
    governance = spine / "docs" / "governance"
    providers = yaml.safe_load((governance / "PROVIDER_REGISTRY.yaml").read_text())
    providers["providers"]["openai"]["x_api_key"] = SECRET  # SEC-001 registers it
    (governance / "PROVIDER_REGISTRY.yaml").write_text(yaml.safe_dump(providers, width=200))
    roles = yaml.safe_load((governance / "ROLE_PROVIDER_MAPS.yaml").read_text())
    roles["roles"]["architect"]["inject"] = SECRET  # REG-007 echoes the missing inject path
    (governance / "ROLE_PROVIDER_MAPS.yaml").write_text(yaml.safe_dump(roles, width=200))
    result = run_gates("run", "registry-policy", "--root", str(spine), "--format", fmt)
    assert result.returncode == 1, result.stderr
    out = result.stdout + result.stderr
    if fmt != "spine":  # the one-line spine format names only the first finding
        assert "REG-007" in out and "SEC-001" in out  # both findings are there, the value not
    leaked = sorted(piece for piece in pieces(SECRET) if piece in out)
    assert not leaked, leaked
    for escaped in ('\\"', "&amp;", "&lt;", "\\\\", "%25"):  # no escaped fragment of it either
        assert f"Pw{escaped}" not in out and f"Kx7Lm2{escaped}" not in out
