"""`Router.longContextThreshold` is a router setting with a default (60000 in 1.0 and 2.0: the
router reads `longContextThreshold || 60000`), not a slot: absent on one side and the default on
the other is the same router, and adopt names the spine setting that holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.drift.test_ccr_drift import by_rule, drift, setup, verdict
from tests.helpers import run_gates

SPINE_SETTINGS = "spine-gates.yaml"


def _edit_router(live: Path, **router: object) -> None:
    data = json.loads(live.read_text())
    for key, value in router.items():
        if value is None:
            data["Router"].pop(key, None)
        else:
            data["Router"][key] = value
    live.write_text(json.dumps(data, indent=2))




@pytest.mark.parametrize("value", [60000, 0])
def test_the_default_threshold_written_live_is_no_drift(spine: Path, tmp_path: Path,
                                                        value: int) -> None:
    live, env = setup(spine, tmp_path)
    assert "longContextThreshold" not in json.loads(live.read_text())["Router"]
    _edit_router(live, longContextThreshold=value)
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings) == "verdict in_sync", findings


def test_a_threshold_absent_live_and_the_default_in_the_ssot_is_no_drift(spine: Path,
                                                                          tmp_path: Path) -> None:
    assert not (spine / SPINE_SETTINGS).exists()
    (spine / SPINE_SETTINGS).write_text("ccr:\n  long_context_threshold: 60000\n")
    live, env = setup(spine, tmp_path)
    _edit_router(live, longContextThreshold=None)
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings) == "verdict in_sync", findings


def test_another_threshold_is_drift(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    _edit_router(live, longContextThreshold=32000)
    code, findings = drift(spine, live, env)
    assert code == 2
    assert [f["pointer"] for f in by_rule(findings, "DRIFT-001")] == [
        "/Router/longContextThreshold"]


def test_adopt_names_the_spine_setting_not_a_slot(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    _edit_router(live, longContextThreshold=32000)
    result = run_gates("adopt", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    assert "no role binds slot" not in result.stdout
    assert "ccr.long_context_threshold: 32000" in result.stdout
