"""The YAML loader: a line for every node, merges, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from spine_gates.errors import InputError
from spine_gates.model import loader
from spine_gates.model.loader import parse_yaml


def _parse(text: str):
    return parse_yaml(text, Path("x.yaml"), "x.yaml")


def test_every_node_has_a_line_keyed_by_json_pointer():
    doc = _parse("a:\n  b: 1\n  c:\n    - x\n    - y/z\nd~e: 2\n")
    assert doc.lines["/a/b"] == 2
    assert doc.lines["/a/c/1"] == 5
    assert doc.lines["/d~0e"] == 6
    assert doc.line_of("/a/c/1/missing") == 5


def test_merge_keys_fill_only_absent_keys_and_own_keys_win():
    doc = _parse("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n")
    assert doc.data["thing"] == {"x": 1, "y": 3}
    assert doc.lines["/thing/y"] == 4


def test_dates_become_iso_strings_and_keys_stay_strings():
    doc = _parse("when: 2026-11-25\n1234: numeric key\n")
    assert doc.data == {"when": "2026-11-25", "1234": "numeric key"}


def test_node_limit_counts_alias_expansion(monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n"
    with pytest.raises(InputError, match="alias bomb"):
        _parse(text)


def test_error_messages_name_file_and_line():
    with pytest.raises(InputError) as caught:
        _parse("a: 1\nb: [\n")
    assert str(caught.value).startswith("x.yaml:")
    assert caught.value.line is not None
