"""The plan says which fallback list an overridden request uses, and that spine-gates does not
prune it; `apply` signs the plan's warnings into its receipt.

2.0.0 marks a custom route as scenario `default`, so an overridden request falls back through
`fallback.default`, loaded at router start. The issue asked that hung or unreachable entries be
removed from the slot's fallback list for the override's life; the module cannot do that safely
(measured: the change outlives the override and applies to every request), so spine-gates leaves
the list alone, and says so in the plan and in the receipt.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover.receipt import chain_dir
from tests.failover.cli_setup import Armed, arm

DEFAULT_LIST = ["openai,o4-mini", "openrouter,anthropic/claude-sonnet-4-5"]



@pytest.fixture
def armed(tmp_path: Path) -> Armed:
    """openai refuses connections, and the live fallback.default starts with it."""
    armed = arm(tmp_path)
    config = json.loads(armed.live.read_text())
    config["fallback"]["default"] = DEFAULT_LIST
    armed.live.write_text(json.dumps(config, indent=2) + "\n")
    return armed


def _plan_json(armed: Armed) -> dict[str, Any]:
    proc = armed.failover("plan", "--from-cache", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    return dict(json.loads(proc.stdout))


def test_each_change_names_the_fallback_list_it_uses_and_that_it_is_not_pruned(
        armed: Armed) -> None:
    data = _plan_json(armed)
    for change in data["changes"]:
        assert change["fallback"] == {"list": "fallback.default", "entries": DEFAULT_LIST,
                                      "unusable_entries_removed": False}
    [unreachable] = [w for w in data["warnings"] if w["kind"] == "unreachable_fallback"
                     and w["slot"] == "default"]
    assert unreachable["entry"] == "openai,o4-mini"
    assert "not removed" in unreachable["message"]


def test_the_plan_text_says_overridden_requests_fall_back_through_fallback_default(
        armed: Armed) -> None:
    proc = armed.failover("plan", "--from-cache")
    assert proc.returncode == 1, proc.stderr
    assert "falls back through fallback.default [openai,o4-mini, openrouter,anthropic/" \
           "claude-sonnet-4-5]" in proc.stdout
    assert "spine-gates does not remove hung or unreachable entries" in proc.stdout
    assert "warning default: fallback.default entry openai,o4-mini is unreachable" in proc.stdout


def test_apply_signs_the_plans_warnings_into_its_receipt(armed: Armed) -> None:
    warnings = _plan_json(armed)["warnings"]
    assert warnings
    proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert f"{len(warnings)} plan warning(s) recorded in the receipt" in proc.stdout
    [envelope] = chain_dir(armed.spine).glob("*/*/*.dsse.json")
    statement = json.loads(base64.b64decode(json.loads(envelope.read_text())["payload"]))
    assert statement["predicate"]["warnings"] == warnings
