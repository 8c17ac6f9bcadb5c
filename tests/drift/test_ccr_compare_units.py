"""The pieces under the drift gate: keyed comparison, pointer lines, placeholders."""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

import pytest

from spine_gates.ccr.compile import compile_ccr_config, endpoint_for, placeholder_for
from spine_gates.ccr.lines import pointer_lines
from spine_gates.ccr.profiles import get_profile
from spine_gates.checks.interface import prepare
from spine_gates.drift.compare import DriftVerdict, compare
from tests.helpers import REPO

BASE = {"PORT": 3456, "Providers": [{"name": "p", "api_base_url": "u", "api_key": "$K",
                                     "models": ["a", "b"]}], "Router": {"default": "p,a"}}


def test_a_mostly_different_config_is_split_per_key_not_one_root_change() -> None:
    live = {"PORT": 3456, "Providers": [], "Router": {}}
    units = [d.unit for d in compare(live, BASE, None)]
    assert units == [("Providers", "p"), ("Router", "default")]


def test_order_of_providers_and_models_is_not_a_difference() -> None:
    live = copy.deepcopy(BASE)
    live["Providers"][0]["models"].reverse()
    live["Providers"].insert(0, {"name": "q", "api_base_url": "v", "api_key": "$Q",
                                 "models": []})
    ssot = copy.deepcopy(live)
    ssot["Providers"].reverse()
    assert compare(live, ssot, None) == []


def test_pending_needs_the_live_value_to_equal_what_sync_wrote() -> None:
    synced = copy.deepcopy(BASE)
    ssot = copy.deepcopy(BASE)
    ssot["Router"]["default"] = "p,b"
    assert [d.verdict for d in compare(BASE, ssot, synced)] == [DriftVerdict.PENDING]
    edited = copy.deepcopy(BASE)
    edited["Router"]["default"] = "p,c"
    assert [d.verdict for d in compare(edited, ssot, synced)] == [DriftVerdict.DRIFT]
    assert [d.verdict for d in compare(BASE, ssot, None)] == [DriftVerdict.DRIFT]


def test_pointer_lines_follow_json5_comments_quotes_and_trailing_commas() -> None:
    text = ("// c\n{\n  HOST: '127.0.0.1', /* a\n  b */ \"Providers\": [\n"
            "    {\"name\": \"a\\\"b\",\n     models: [\"m1\", \"m2\",],},\n    {name: \"b\"}\n"
            "  ],\n  Router: {default: \"a,m1\", n: -1.5e3},\n}\n")
    lines = pointer_lines(text)
    assert lines["/HOST"] == 3 and lines["/Providers"] == 4
    assert lines["/Providers/0/models/1"] == 6 and lines["/Providers/1/name"] == 7
    assert lines["/Router/n"] == 9


@pytest.mark.parametrize(("ref", "placeholder"), [
    ("infisical://spine/ai/providers/ANTHROPIC_API_KEY", "$ANTHROPIC_API_KEY"),
    ("env:FOO", "$FOO"),
    ("env:Z_AI_API_KEY", "$Z_AI_API_KEY"),
])
def test_placeholders_come_from_the_reference_name(ref: str, placeholder: str) -> None:
    assert placeholder_for(ref) == placeholder


@pytest.mark.parametrize("ref", ["env:lower_case", "file:/etc/key", "infisical://spine/"])
def test_a_reference_the_router_cannot_interpolate_is_refused(ref: str) -> None:
    with pytest.raises(ValueError):
        placeholder_for(ref)


def test_endpoints_are_full_urls() -> None:
    assert endpoint_for("anthropic", "https://x.test/v1") == "https://x.test/v1/messages"
    assert endpoint_for("openai", "https://x.test/v1/") == "https://x.test/v1/chat/completions"


def test_compile_is_a_pure_function_of_the_registries() -> None:
    ctx = prepare(REPO)
    first = compile_ccr_config(ctx.model, get_profile("2.0"))
    second = compile_ccr_config(prepare(REPO).model, get_profile("2.0"))
    assert json.dumps(first) == json.dumps(second)


def test_two_thousand_providers_compare_quickly(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks" / "ccr"))
    from synth_ccr import write_spine

    write_spine(tmp_path / "spine", 2000)
    ctx = prepare(tmp_path / "spine")
    compiled = compile_ccr_config(ctx.model, get_profile("2.0"))
    live = copy.deepcopy(compiled)
    live["Router"]["think"] = live["Router"]["default"]
    for provider in live["Providers"][100:150]:
        provider["models"].append("extra")
    started = time.process_time()
    differences = compare(live, compiled, None)
    elapsed = time.process_time() - started
    assert len(differences) == 51
    assert elapsed < 1.0, f"compare took {elapsed:.2f} s of CPU"
