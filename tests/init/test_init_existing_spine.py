"""`gates init` in a spine of the real one's shape: it adds only what is missing.

The fixture (tests/init/real_spine.py) has the spine's SSOT registry header and 55 entries, its
capability file with a schema block and the secrets preconditions, the capability map and a
`.claude/settings.json` with the spine's own session hook. init adds the registries, their SSOT
entries, `providers.status` and its map entry, and the session-start hook, keeps every byte of
what was there, and the result passes `gates run all` and D63/D67 as restated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import gates_env, one_error_line, run_gates
from tests.init.real_spine import CLAUDE_SETTINGS, SSOT_COUNT, make_real_spine
from tests.init.spine_restated import d63, d67

SSOT = "docs/governance/SSOT_REGISTRY.yaml"
CAPS = "ops/capabilities.yaml"
MAP = "ops/bindings/capability_map.yaml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
                     XDG_CACHE_HOME=str(tmp_path / "cache"),
                     XDG_CONFIG_HOME=str(tmp_path / "config"), SPINE_GATES_HEALTH_REFRESH="0")


@pytest.fixture
def real(tmp_path: Path) -> Path:
    return make_real_spine(tmp_path / "spine")


def _is_kept_in(before: str, after: str) -> bool:
    """Every line of `before` is in `after`, in order (lines were only added)."""
    remaining = iter(after.splitlines())
    return all(any(line == other for other in remaining) for line in before.splitlines())


def test_init_into_the_real_spine_passes_every_gate(real, env):
    made = run_gates("init", str(real), "--yes", env=env)
    assert made.returncode == 0, made.stderr
    result = run_gates("run", "all", "--root", str(real), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SCHEMA-001" not in result.stdout


def test_the_spines_own_d63_and_d67_still_pass(real, env):
    run_gates("init", str(real), "--yes", env=env)
    assert d63(real / CAPS, real) == []
    assert d67(real / CAPS, real / MAP) == []


def test_only_the_missing_capability_is_added_and_nothing_of_the_spines_changes(real, env):
    before = {name: (real / name).read_text() for name in (CAPS, MAP)}
    made = run_gates("init", str(real), "--yes", env=env)
    assert f"merged    {CAPS} (added capabilities: providers.status, failover.watch)" in made.stdout
    for name, text in before.items():
        after = (real / name).read_text()
        assert _is_kept_in(text, after), name
        assert after.startswith(text.rstrip("\n"))
    caps = yaml.safe_load((real / CAPS).read_text())["capabilities"]
    assert caps["secrets.binding"]["command"] == "./ops/plugins/secrets/bin/secrets-binding"
    assert caps["providers.status"]["plane"] == "fabric"


def test_the_ssot_registry_keeps_its_header_entries_and_comments(real, env):
    before = (real / SSOT).read_text()
    run_gates("init", str(real), "--yes", env=env)
    after = (real / SSOT).read_text()
    assert _is_kept_in(before, after)
    data = yaml.safe_load(after)
    assert (data["version"], data["github_issue"]) == ("1.3", "#541")
    ids = [entry["id"] for entry in data["ssots"]]
    assert len(ids) == SSOT_COUNT + 4
    assert ids[SSOT_COUNT:] == ["provider-registry", "cli-interface-registry",
                                "role-provider-maps", "secrets-manifest"]


def test_the_session_hook_joins_the_spines_own_settings(real, env):
    run_gates("init", str(real), "--yes", env=env)
    settings = json.loads((real / ".claude" / "settings.json").read_text())
    assert settings["permissions"] == CLAUDE_SETTINGS["permissions"]
    commands = [hook["command"] for group in settings["hooks"]["SessionStart"]
                for hook in group["hooks"]]
    assert commands[0] == "./ops/plugins/session/bin/session-start"
    assert commands[1].startswith("gates session check")


def test_without_yes_and_no_terminal_it_writes_nothing(real, env):
    before = {p: p.read_bytes() for p in real.rglob("*") if p.is_file()}
    made = run_gates("init", str(real), env=env)
    one_error_line(made, "--yes", SSOT, ".claude/settings.json", "nothing written")
    assert {p: p.read_bytes() for p in real.rglob("*") if p.is_file()} == before


def test_a_second_run_adds_nothing(real, env):
    run_gates("init", str(real), "--yes", env=env)
    before = {p: p.read_bytes() for p in real.rglob("*") if p.is_file()}
    again = run_gates("init", str(real), env=env)  # nothing to merge: no --yes needed
    assert again.returncode == 0, again.stderr
    assert {p: p.read_bytes() for p in real.rglob("*") if p.is_file()} == before


def test_a_taken_ssot_id_for_another_path_is_bad_input(real, env):
    ssot = real / SSOT
    ssot.write_text(ssot.read_text().replace("governance-doc-01", "provider-registry"))
    made = run_gates("init", str(real), "--yes", env=env)
    one_error_line(made, "provider-registry", "taken")


def test_settings_that_are_not_json_are_bad_input(real, env):
    (real / ".claude" / "settings.json").write_text("{not json\n")
    one_error_line(run_gates("init", str(real), "--yes", env=env), ".claude/settings.json",
                   "not valid JSON")
