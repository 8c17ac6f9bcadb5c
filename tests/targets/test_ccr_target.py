"""The claude-code-router proxy target does exactly what `gates compile ccr`, `gates run
provider-drift` and `gates sync` do today: same bytes, same verdicts, same file on disk."""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spine_gates.errors import EXIT_BAD_INPUT, InputError
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.spine import load_config, load_documents
from spine_gates.targets import DEFAULT_TARGET, TARGETS, UnknownTarget, get_target
from spine_gates.targets.interface import Compiled
from tests.helpers import REPO, TODAY, gates_env, run_gates

CCR = get_target("ccr")


def load_model(root: Path) -> GovernanceModel:
    config = load_config(root)
    return GovernanceModel(root, load_documents(root, config), config)


def live_in(tmp_path: Path, name: str = "home") -> tuple[Path, dict[str, str]]:
    home = tmp_path / name
    live = home / ".claude-code-router" / "config.json"
    return live, gates_env(HOME=str(home))


def gates_sync(spine: Path, live: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    return result


def gate_verdict(spine: Path, live: Path, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """`gates run provider-drift`'s verdict and {pointer: rule} of its DRIFT-001/002 findings."""
    result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                       "--format", "json", "--no-receipt", env=env)
    assert result.returncode in (0, 2), result.stderr
    findings = json.loads(result.stdout)["findings"]
    [summary] = [f for f in findings if f["rule"] == "DRIFT-000"]
    located = {f["pointer"]: f["rule"] for f in findings if f["rule"] in ("DRIFT-001", "DRIFT-002")}
    return summary["message"].split(":")[0].removeprefix("verdict "), located


def target_verdict(spine: Path, live: Path) -> tuple[str, dict[str, str]]:
    read = CCR.read_live(live, required=True)
    assert read is not None
    comparison = CCR.compare(CCR.compile(load_model(spine), fallback_profile="2.0"), read)
    rules = {"drift": "DRIFT-001", "pending": "DRIFT-002"}
    return comparison.verdict.value, {comparison.pointer(d): rules[d.verdict.value]
                                      for d in comparison.differences}


def edit_json(live: Path, edit: Callable[[dict[str, Any]], object]) -> None:
    data = json.loads(live.read_text())
    edit(data)
    live.write_text(json.dumps(data, indent=2))


def promote_gpt5(spine: Path) -> None:
    """A registry edit the router has not seen: a role's primary becomes openai/gpt-5."""
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: openai/gpt-5"))


@pytest.mark.parametrize("profile", ["2.0", "1.0"])
def test_compiles_the_reference_spine_byte_identical_to_gates_compile_ccr(
        spine: Path, profile: str) -> None:
    expected = run_gates("compile", "ccr", "--root", str(spine), "--profile", profile)
    assert expected.returncode == 0, expected.stderr
    compiled = CCR.compile(load_model(spine), profile)
    assert compiled.text == expected.stdout
    assert (compiled.target, compiled.profile) == ("ccr", profile)
    assert json.loads(compiled.text) == compiled.data


def test_the_spine_profile_setting_wins_over_a_gate_fallback(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("ccr:\n  profile: \"1.0\"\n")
    compiled = CCR.compile(load_model(spine), fallback_profile="2.0")
    assert compiled.profile == "1.0" and "fallback" not in compiled.data
    assert CCR.compile(load_model(spine), "2.0").profile == "2.0"


def test_reads_a_json5_live_config_with_the_line_of_each_pointer(tmp_path: Path) -> None:
    live = tmp_path / "config.json"
    live.write_text('// hand written\n{\n  PORT: 3456,\n  "Router": {\n'
                    '    "think": "openai,gpt-5",  // trailing comma next\n  },\n}\n')
    read = CCR.read_live(live, required=True)
    assert read is not None
    assert read.data == {"PORT": 3456, "Router": {"think": "openai,gpt-5"}}
    assert read.line("/Router/think") == 5
    assert read.raw == live.read_bytes()


def test_a_missing_live_config_is_none_unless_it_was_asked_for(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.json"
    assert CCR.read_live(missing, required=False) is None
    with pytest.raises(InputError) as raised:
        CCR.read_live(missing, required=True)
    assert raised.value.file == str(missing)


def test_live_path_defaults_to_the_routers_home_and_expands_a_named_one() -> None:
    assert CCR.live_path(None) == (Path("~/.claude-code-router/config.json").expanduser(), False)
    assert CCR.live_path("~/x.json") == (Path("~/x.json").expanduser(), True)


def test_a_fresh_sync_is_in_sync_as_the_drift_gate_says(spine: Path, tmp_path: Path) -> None:
    live, env = live_in(tmp_path)
    gates_sync(spine, live, env)
    assert target_verdict(spine, live) == gate_verdict(spine, live, env) == ("in_sync", {})


def test_a_registry_edit_without_sync_is_pending_as_the_drift_gate_says(
        spine: Path, tmp_path: Path) -> None:
    live, env = live_in(tmp_path)
    gates_sync(spine, live, env)
    promote_gpt5(spine)
    expected = ("pending", {"/Router/default": "DRIFT-002", "/Router/webSearch": "DRIFT-002"})
    assert target_verdict(spine, live) == gate_verdict(spine, live, env) == expected


def test_a_hand_edit_is_drift_at_the_same_pointers_as_the_drift_gate_says(
        spine: Path, tmp_path: Path) -> None:
    live, env = live_in(tmp_path)
    gates_sync(spine, live, env)

    def edit(data: dict[str, Any]) -> None:
        data["Router"]["think"] = "nvidia_nim,z-ai/glm5"
        data["Providers"][1]["models"] = ["o4-mini", "gpt-4o"]
        data["Providers"].reverse()  # order is no difference; pointers follow the file

    edit_json(live, edit)
    got = target_verdict(spine, live)
    assert got == gate_verdict(spine, live, env)
    verdict, located = got
    assert verdict == "drift" and set(located.values()) == {"DRIFT-001"}
    assert "/Router/think" in located and len(located) == 2


def test_a_stamp_written_for_another_profile_makes_every_difference_drift(
        spine: Path, tmp_path: Path) -> None:
    live, env = live_in(tmp_path)
    gates_sync(spine, live, env)
    promote_gpt5(spine)
    read = CCR.read_live(live, required=True)
    assert read is not None
    comparison = CCR.compare(CCR.compile(load_model(spine), "1.0"), read)
    assert comparison.verdict.value == "drift"
    assert comparison.stamp is not None and comparison.stamp["profile"] == "2.0"


def target_sync(spine: Path, live: Path) -> None:
    """What `gates sync` does, through the target: compare, plan, apply."""
    model = load_model(spine)
    compiled = CCR.compile(model)
    before = CCR.read_live(live, required=False)
    comparison = CCR.compare(compiled, before) if before is not None else None
    plan = CCR.plan_sync(compiled, comparison, live, [], _dt.date.fromisoformat(TODAY))
    CCR.apply_sync(plan, str(spine))


def synced_state(live: Path) -> tuple[str, int, dict[str, Any], str, int]:
    stamp = json.loads((live.parent / "config.json.spine-gates-sync").read_text())
    backups = sorted(live.parent.glob("config.json.*.bak"))
    return (live.read_text(), live.stat().st_mode & 0o777, stamp["compiled"], stamp["profile"],
            len(backups))


def test_sync_creates_the_same_files_as_gates_sync(spine: Path, tmp_path: Path) -> None:
    ours, _ = live_in(tmp_path, "ours")
    theirs, env = live_in(tmp_path, "theirs")
    target_sync(spine, ours)
    gates_sync(spine, theirs, env)
    assert synced_state(ours) == synced_state(theirs)
    assert synced_state(ours)[4] == 0  # nothing was there to back up


def test_sync_over_a_hand_edit_backs_it_up_as_gates_sync_does(spine: Path,
                                                              tmp_path: Path) -> None:
    ours, _ = live_in(tmp_path, "ours")
    theirs, env = live_in(tmp_path, "theirs")
    for live in (ours, theirs):
        gates_sync(spine, live, env)
        edit_json(live, lambda data: data["Router"].update(think="zai,glm-5"))
    edited = ours.read_text()
    target_sync(spine, ours)
    gates_sync(spine, theirs, env)
    assert synced_state(ours) == synced_state(theirs)
    [backup] = ours.parent.glob("config.json.*.bak")
    assert backup.read_text() == edited
    assert target_verdict(spine, ours) == ("in_sync", {})


def test_sync_keeps_the_live_value_at_an_ignored_pointer(spine: Path, tmp_path: Path) -> None:
    from spine_gates.drift.ignore import parse_rules

    live, env = live_in(tmp_path)
    gates_sync(spine, live, env)
    edit_json(live, lambda data: data["Router"].update(think="zai,glm-5"))
    rules = parse_rules([{"pointer": "/Router/think", "reason": "trial", "owner": "ops",
                          "expires": "2099-01-01"}], "spine-gates.yaml")
    compiled = CCR.compile(load_model(spine))
    read = CCR.read_live(live, required=True)
    assert read is not None
    plan = CCR.plan_sync(compiled, CCR.compare(compiled, read), live, rules,
                         _dt.date.fromisoformat(TODAY))
    CCR.apply_sync(plan, str(spine))
    assert json.loads(live.read_text())["Router"]["think"] == "zai,glm-5"
    assert [unit for unit, _rule in plan.kept] == [("Router", "think")]


def test_sync_refuses_a_live_file_changed_since_it_was_read(spine: Path, tmp_path: Path) -> None:
    live, _ = live_in(tmp_path)
    live.parent.mkdir(parents=True)
    live.write_text('{"PORT": 3456, "Providers": [], "Router": {}}\n')
    compiled = CCR.compile(load_model(spine))
    read = CCR.read_live(live, required=True)
    assert read is not None
    plan = CCR.plan_sync(compiled, CCR.compare(compiled, read), live, [],
                         _dt.date.fromisoformat(TODAY))
    live.write_text('{"PORT": 9999, "Providers": [], "Router": {}}\n')
    with pytest.raises(InputError, match="changed since it was read; nothing written"):
        CCR.apply_sync(plan, str(spine))
    assert live.read_text() == '{"PORT": 9999, "Providers": [], "Router": {}}\n'


def test_reload_is_the_restart_gates_sync_tells_the_user_to_run(spine: Path,
                                                                 tmp_path: Path) -> None:
    live, env = live_in(tmp_path)
    reload = CCR.reload(live)
    assert reload.command == ("ccr", "restart")
    assert gates_sync(spine, live, env).stdout.rstrip("\n").endswith(reload.sentence)


def test_a_comparison_of_another_targets_live_config_is_refused(spine: Path,
                                                                tmp_path: Path) -> None:
    class OtherLive:
        path, name, raw = tmp_path / "config.yaml", "config.yaml", b"{}"
        data: dict[str, Any] = {}

        def line(self, pointer: str) -> int | None:
            return None

    compiled: Compiled = CCR.compile(load_model(spine))
    comparison = CCR.compare(compiled, OtherLive())
    with pytest.raises(TypeError, match="not read by the claude-code-router target"):
        CCR.plan_sync(compiled, comparison, tmp_path / "config.json", [],
                      _dt.date.fromisoformat(TODAY))


def test_an_unknown_target_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(UnknownTarget) as raised:
        get_target("litelm")
    assert isinstance(raised.value, InputError)
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert str(raised.value) == "unknown proxy target 'litelm' (known: ccr, litellm)"


def test_each_table_entry_builds_the_target_of_its_name() -> None:
    assert DEFAULT_TARGET in TARGETS
    assert get_target(None).name == DEFAULT_TARGET
    for name, build in TARGETS.items():
        assert build().name == name


def test_listing_the_targets_imports_no_implementation() -> None:
    code = ("import json, sys, spine_gates.targets as t; t.TARGETS; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('spine_gates', "
            "'deepdiff', 'pyjson5')))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=gates_env(),
                            capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(result.stdout)
    assert "spine_gates.targets.interface" in loaded
    assert not [m for m in loaded if m.startswith(("spine_gates.targets.ccr", "spine_gates.drift",
                                                   "spine_gates.ccr", "deepdiff", "pyjson5"))]
