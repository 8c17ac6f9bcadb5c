"""The compiled schema fast path never accepts what cerberus rejects.

`schemas.conforms` lets a clean registry skip cerberus; findings stay identical only if every
document it accepts is one cerberus also accepts. These tests mutate the reference registries
node by node (and at random) and check that implication against the real cerberus.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cerberus
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spine_gates.model.loader import Document
from spine_gates.model.schemas import SCHEMAS, conforms, validate_document
from spine_gates.model.spine import load_config, load_documents
from tests.helpers import REPO, gates_env

ODD_VALUES: list[Any] = [None, "", " ", "x", "UPPER Case", "a\n", "2026-13-99", "many", 0, 1, 6,
                         -1, 1.5, True, False, [], [None], [1], ["x", ""], {}, {"x": 1}]


def _reference() -> dict[str, Document]:
    return load_documents(REPO, load_config(REPO))


def _cerberus_ok(kind: str, data: Any) -> bool:
    return bool(cerberus.Validator(SCHEMAS[kind], allow_unknown=False).validate(data))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _mutations(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node replaced by each odd value; every mapping key dropped; an unknown key added."""
    for path in list(_paths(data)):
        if not path:
            continue
        for value in ODD_VALUES:
            mutated = copy.deepcopy(data)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = copy.deepcopy(value)
            yield mutated
        mutated = copy.deepcopy(data)
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict):
            del parent[path[-1]]
            yield mutated
            target = parent
        elif isinstance(parent, list):
            parent.pop(path[-1])
            yield mutated
            target = None
        else:
            target = None
        if isinstance(target, dict):
            mutated = copy.deepcopy(mutated)
            grand = mutated
            for step in path[:-1]:
                grand = grand[step]
            grand["not_a_field"] = "x"
            yield mutated


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_reference_registries_take_the_fast_path(kind: str) -> None:
    document = _reference()[kind]
    assert conforms(kind, document.data)
    assert validate_document(kind, document) == []


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_fast_path_accepts_only_what_cerberus_accepts(kind: str) -> None:
    data = _reference()[kind].data
    fast_accepted = cerberus_rejected = 0
    for mutated in _mutations(data):
        fast = conforms(kind, mutated)
        slow = _cerberus_ok(kind, mutated)
        assert not (fast and not slow), f"fast path accepted a document cerberus rejects: {mutated}"
        fast_accepted += fast
        cerberus_rejected += not slow
    # the corpus exercises both sides: benign edits pass fast, real violations are refused
    assert fast_accepted > 0 and cerberus_rejected > 0


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_violations_still_get_cerberus_findings(kind: str) -> None:
    document = _reference()[kind]
    data = copy.deepcopy(document.data)
    data["version"] = ["not", "a", "version"]
    broken = Document(document.path, document.name, data, document.lines)
    findings = validate_document(kind, broken)
    assert [f.pointer for f in findings] == ["/version"]
    assert findings[0].rule == "SCHEMA-001" and findings[0].line == document.line_of("/version")


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 9) | st.floats(allow_nan=False)
    | st.sampled_from(["", "x", "paid", "default", "2026-11-25", "https://a.example", "Bad Id"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "models", "primary", "id", "x", "notes"]), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(SCHEMAS)), pick=st.integers(0, 10_000), value=_JSONISH)
def test_random_values_never_pass_fast_but_fail_cerberus(kind: str, pick: int, value: Any) -> None:
    data = copy.deepcopy(_REFERENCE[kind])
    paths = [p for p in _paths(data) if p]
    path = paths[pick % len(paths)]
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    if conforms(kind, data):
        assert _cerberus_ok(kind, data)


_REFERENCE = {kind: document.data for kind, document in _reference().items()}


def test_clean_gate_run_does_not_import_cerberus(tmp_path: Path) -> None:
    probe = ("import sys\nfrom spine_gates.cli import main\n"
             "code = main(['run', 'registry-policy', '--root', sys.argv[1]])\n"
             "print('CERBERUS:' + str('cerberus' in sys.modules), file=sys.stderr)\n"
             "raise SystemExit(code)\n")
    result = subprocess.run([sys.executable, "-c", probe, str(REPO)], cwd=tmp_path,
                            env=gates_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CERBERUS:False" in result.stderr
