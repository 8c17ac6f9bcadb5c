"""The shipped `providers.status` capability entry passes the spine's D63 and D67 (restated).

`ops/capabilities.yaml` is the entry to copy into the spine's own file; copied there, with the
spine's secrets preconditions beside it, it must pass D63 capabilities-metadata-lock, and its map
entry D67 capability-map-lock. The restatements are in tests/init/spine_restated.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import REPO
from tests.init.real_spine import make_real_spine
from tests.init.spine_restated import d63, d67

SHIPPED = REPO / "ops" / "capabilities.yaml"


def _copy_into_spine(tmp_path: Path, entries: dict[str, object]) -> Path:
    spine = make_real_spine(tmp_path / "spine")
    path = spine / "ops" / "capabilities.yaml"
    data = yaml.safe_load(path.read_text())
    data["capabilities"].update(entries)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return spine


def test_the_real_spine_fixture_passes_d63_and_d67(tmp_path):
    spine = make_real_spine(tmp_path / "spine")
    ops = spine / "ops"
    assert d63(ops / "capabilities.yaml", spine) == []
    assert d67(ops / "capabilities.yaml", ops / "bindings" / "capability_map.yaml") == []


def test_the_shipped_entry_copied_into_the_spine_passes_d63(tmp_path):
    entry = yaml.safe_load(SHIPPED.read_text())["capabilities"]["providers.status"]
    spine = _copy_into_spine(tmp_path, {"providers.status": entry})
    assert d63(spine / "ops" / "capabilities.yaml", spine) == []


def test_the_shipped_file_passes_d63_and_d67_as_it_stands():
    """It is also what `gates init` writes into a new repository: whole, not only the entry."""
    assert d63(SHIPPED, REPO) == []
    assert d67(SHIPPED, REPO / "ops" / "bindings" / "capability_map.yaml") == []


def test_d63_as_restated_refuses_a_sentence_as_arg_protocol_and_an_unknown_plane(tmp_path):
    entry = {"description": "x", "command": "gates providers status", "safety": "read-only",
             "approval": "auto", "outputs": ["stdout"], "plane": "control",
             "arg_protocol": "passthrough: --format text|json"}
    spine = _copy_into_spine(tmp_path, {"providers.status": entry})
    fails = d63(spine / "ops" / "capabilities.yaml", spine)
    assert any("invalid arg_protocol" in fail for fail in fails), fails
    assert any("invalid plane: 'control'" in fail for fail in fails), fails


def test_d63_as_restated_refuses_touches_api_without_the_secrets_preconditions(tmp_path):
    entry = {"description": "x", "command": "gates providers status", "safety": "read-only",
             "approval": "auto", "outputs": ["stdout"], "arg_protocol": "none",
             "touches_api": True, "requires": ["secrets.binding", "secrets.nope"]}
    spine = _copy_into_spine(tmp_path, {"providers.status": entry})
    fails = d63(spine / "ops" / "capabilities.yaml", spine)
    assert any("requires unknown capability: secrets.nope" in fail for fail in fails), fails
    assert any("touches_api=true but missing requires" in fail for fail in fails), fails


def test_d67_as_restated_names_a_capability_missing_from_the_map(tmp_path):
    entry = {"description": "x", "command": "gates x", "safety": "read-only",
             "approval": "auto", "outputs": ["stdout"], "arg_protocol": "none"}
    spine = _copy_into_spine(tmp_path, {"providers.status": entry})
    ops = spine / "ops"
    fails = d67(ops / "capabilities.yaml", ops / "bindings" / "capability_map.yaml")
    assert fails and "providers.status" in fails[0]


def test_the_shipped_files_are_what_init_writes():
    """One source: the repository's ops/ files are init's templates as rendered for this spine."""
    from spine_gates.init.templates import Values, render

    values = Values(today="2026-11-25", owner="@ronny", scope="agentic-spine")
    for name in ("ops/capabilities.yaml", "ops/bindings/capability_map.yaml"):
        assert render(name, values) == (REPO / name).read_text(), name
