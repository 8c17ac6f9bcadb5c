"""`gates import ccr PATH --into DIR` into a spine whose merged files hold bad YAML or the
wrong types, or into a DIR that cannot be made: one error line, exit 3, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import gates_env, one_error_line, run_gates

CONFIG = Path(__file__).resolve().parent / "fixtures" / "gemini-fallback.json"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
                     XDG_CACHE_HOME=str(tmp_path / "cache"),
                     XDG_CONFIG_HOME=str(tmp_path / "config"))


@pytest.mark.parametrize("name, text, line, what", [
    (SSOT, "ssots: 5\n", 1, "'ssots' must be a list"),
    (SSOT, "ssots: [\n", 2, "YAML"),
    (".pre-commit-config.yaml", "repos: [{hooks: 5}]\n", 1, "'hooks' must be a list"),
    ("ops/capabilities.yaml", "capabilities: 5\n", 1, "'capabilities' must be a mapping"),
])
def test_a_merged_file_with_bad_yaml_or_types_is_one_error_line_and_nothing_written(
        name: str, text: str, line: int, what: str, tmp_path: Path, env: dict[str, str]) -> None:
    spine = tmp_path / "s7"
    (spine / name).parent.mkdir(parents=True)
    (spine / name).write_text(text)
    result = run_gates("import", "ccr", str(CONFIG), "--into", str(spine), "--yes", env=env)
    one_error_line(result, f"{name}:{line}:", what)
    assert [p.relative_to(spine).as_posix() for p in spine.rglob("*") if p.is_file()] == [name]
    assert (spine / name).read_text() == text


def test_into_a_dir_under_a_file_is_one_error_line(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "plain").write_text("")
    result = run_gates("import", "ccr", str(CONFIG), "--into", str(tmp_path / "plain" / "sub"),
                       env=env)
    one_error_line(result, "plain")
