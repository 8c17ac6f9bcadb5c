"""The hot-path shortcuts give exactly what the general code gives, and the benchmark spines are
valid spines (so the benchmarks time a full, passing gate run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import jmespath
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import parse_yaml
from spine_gates.model.spine import load_config, load_documents
from spine_gates.policy.rules import compile_expression
from tests.helpers import REPO, run_gates

_SYNTH = REPO / "benchmarks" / "synth_spine.py"
_spec = importlib.util.spec_from_file_location("synth_spine", _SYNTH)
assert _spec and _spec.loader
synth_spine = importlib.util.module_from_spec(_spec)
sys.modules["synth_spine"] = synth_spine
_spec.loader.exec_module(synth_spine)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "a", "b"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["a", "b"]),
                                                                inner, max_size=2),
    max_leaves=10,
)
EXPRESSIONS = ["a", "b", '"a"', "a[]", "b[]", "a[].b", "a[?b]", "a.b", "a[0]", "`true`"]


@settings(max_examples=400, deadline=None)
@given(data=_JSON, text=st.sampled_from(EXPRESSIONS))
def test_compiled_expressions_agree_with_jmespath(data: Any, text: str) -> None:
    assert compile_expression(text, "test", None).search(data) == jmespath.search(text, data)


def test_common_shapes_take_the_direct_path() -> None:
    assert compile_expression("provider", "test", None)._field == "provider"
    assert compile_expression("roles[]", "test", None)._field == "roles"
    assert compile_expression("roles[].id", "test", None)._field is None


SCALARS = """\
plain: text
quoted: "text"
single: 'it''s'
tagged: !!str 5
number: 5
float: 1.5
boolean: yes
nothing: ~
date: 2026-11-25
block: |
  two
  lines
folded: >
  one
  line
anchor: &a shared
alias: *a
list: [a, "b", 3]
"""


def test_loader_builds_the_same_data_as_pyyaml() -> None:
    document = parse_yaml(SCALARS, Path("x.yaml"), "x.yaml")
    expected = yaml.load(SCALARS, Loader=yaml.CSafeLoader)
    expected["date"] = expected["date"].isoformat()  # the loader keeps dates as ISO text
    assert document.data == expected
    assert document.line_of("/folded") == 13 and document.line_of("/list/2") == 18


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    base = tmp_path_factory.mktemp("synth")
    roots = {}
    for scale in (1, 10):
        roots[scale] = base / f"x{scale}"
        synth_spine.write_spine(roots[scale], scale)
    return roots


def test_synthetic_spine_sizes_scale_with_the_factor(tmp_path: Path) -> None:
    size = synth_spine.write_spine(tmp_path / "x3", 3)
    assert size["providers"] == 18 and size["models"] == 300 and size["roles"] == 9


@pytest.mark.parametrize("scale", [1, 10])
def test_synthetic_spines_pass_every_shipped_gate_rule(synthetic: dict[int, Path],
                                                       scale: int) -> None:
    result = run_gates("run", "registry-policy", "--root", str(synthetic[scale]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error, 0 warning" in result.stdout


def test_synthetic_spine_defects_are_found(synthetic: dict[int, Path], tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "broken"
    shutil.copytree(synthetic[10], root)
    roles = root / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    text = roles.read_text(encoding="utf-8")
    roles.write_text(text.replace('primary: "prov', 'primary: "ghost', 1), encoding="utf-8")
    result = run_gates("run", "registry-policy", "--root", str(root), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"rule": "REG-002"' in result.stdout


def test_cli_role_reach_lists_each_cli_role_chain_in_order(synthetic: dict[int, Path]) -> None:
    root = synthetic[10]
    config = load_config(root)
    view = GovernanceModel(root, load_documents(root, config), config).view()
    chains = {role["id"]: role["chain"] for role in view["roles"]}
    expected = [(cli["id"], role, ref) for cli in view["cli_interfaces"]
                for role in cli["roles"] for ref in chains[role]]
    assert [(r["cli"], r["role"], r["ref"]) for r in view["cli_role_reach"]] == expected
    assert len(expected) > 100


def test_a_cli_role_that_is_not_a_string_is_a_finding_not_a_crash(spine: Path) -> None:
    registry = spine / "docs" / "governance" / "CLI_INTERFACE_REGISTRY.yaml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("roles: [executor]", "roles: [[executor]]"), encoding="utf-8")
    result = run_gates("run", "registry-policy", "--root", str(spine))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SCHEMA-001" in result.stdout and "internal error" not in result.stderr
