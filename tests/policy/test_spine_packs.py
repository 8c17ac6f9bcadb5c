"""A spine's own rule packs in `<root>/policies/` (conftest's convention): run by the pre-commit
gate, listed in the catalogue, tested by `gates policy test`, waivable, never shadowing a
shipped rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_gates
from tests.policy.team_pack import CASES, PACK

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"


@pytest.fixture
def team(spine: Path) -> Path:
    (spine / "policies" / "tests").mkdir(parents=True)
    (spine / "policies" / "team.yaml").write_text(PACK)
    (spine / "policies" / "tests" / "team.yaml").write_text(CASES)
    return spine


def _short_chain(spine: Path) -> None:
    """Background keeps its primary and one fallback: two models."""
    path = spine / ROLES
    text = path.read_text()
    assert "      - local_lmstudio/qwen2.5-coder\n" in text
    path.write_text(text.replace("      - local_lmstudio/qwen2.5-coder\n", "", 1))


def test_the_pre_commit_gate_runs_the_spines_own_rules(team: Path) -> None:
    clean = run_gates("run", "registry-policy", "--root", str(team), "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _short_chain(team)
    done = run_gates("run", "registry-policy", "--root", str(team), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    (finding,) = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "TEAM-001"]
    assert (finding["file"], finding["pointer"]) == (ROLES, "/roles/background")
    assert finding["line"] == (team / ROLES).read_text().splitlines().index("  background:") + 1
    assert finding["message"] == ("role background has 2 model(s) in its chain; we want at "
                                  "least 3")


def test_a_waiver_covers_a_spine_rule_like_any_other(team: Path) -> None:
    _short_chain(team)
    (team / "waivers.yaml").write_text(
        f"waivers:\n  - rule: TEAM-001\n    file: {ROLES}\n    pointer: /roles/background\n"
        "    reason: third model on order (TICKET-9)\n    owner: '@ronny'\n"
        "    expires: 2027-01-31\n")
    done = run_gates("run", "registry-policy", "--root", str(team), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["summary"]["waived"] == 1


def test_policy_test_runs_the_spines_cases_with_coverage(team: Path) -> None:
    done = run_gates("policy", "test", "--root", str(team), "--require-coverage",
                     "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"] == {"TEAM-001": {"pass": True, "fail": True}}
    assert [c["source"] for c in report["cases"]] == ["policies/tests/team.yaml"] * 2

    cases = team / "policies" / "tests" / "team.yaml"
    cases.write_text(CASES.replace("{pointer: /roles/background}", "{pointer: /roles/executor}"))
    failed = run_gates("policy", "test", "--root", str(team))
    assert failed.returncode == 1
    assert "FAIL TEAM-001" in failed.stdout and "uncovered TEAM-001: no fail case" in failed.stdout


def test_the_catalogue_lists_the_spines_rules(team: Path) -> None:
    done = run_gates("policy", "rules", "--root", str(team), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(done.stdout)["rules"]}
    assert rows["TEAM-001"]["pack"] == "spine:team" and "REG-001" in rows


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace("TEAM-001", "REG-001"),
     "gates: error: policies/team.yaml:4: rule id REG-001 also defined in policies/registry.yaml"),
    (lambda t: t.replace("TEAM-001", "ROLE-110"),
     "gates: error: policies/team.yaml:4: rule id ROLE-110 is a built-in rule"),
    (lambda t: t.replace("pack: team", "pack: registry"),
     "gates: error: policies/team.yaml:1: pack name 'registry' is a shipped pack"),
    (lambda t: t.replace("count: {value: chain, min: 3}", "count: {value: chain, min: three}"),
     "gates: error: policies/team.yaml:"),
])
def test_a_pack_that_would_shadow_or_break_is_bad_input(team: Path, edit, expected) -> None:
    pack = team / "policies" / "team.yaml"
    pack.write_text(edit(PACK))
    for command in (("run", "registry-policy"), ("policy", "test"), ("policy", "rules")):
        done = run_gates(*command, "--root", str(team))
        assert done.returncode == 3, (command, done.stdout, done.stderr)
        (line,) = done.stderr.splitlines()
        assert line.startswith(expected), line


def test_a_policies_file_instead_of_a_directory_is_bad_input(spine: Path) -> None:
    (spine / "policies").write_text("not a directory\n")
    done = run_gates("run", "registry-policy", "--root", str(spine))
    assert done.returncode == 3
    assert done.stderr.strip() == ("gates: error: policies: is not a readable directory of rule "
                                   "packs")


def test_a_spine_without_policies_tests_the_shipped_packs(spine: Path) -> None:
    done = run_gates("policy", "test", "--root", str(spine), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "REG-001" in json.loads(done.stdout)["coverage"]


def test_a_vendored_copy_of_the_shipped_packs_is_not_a_redefinition(spine: Path) -> None:
    """A spine (like this repository, checked by an installed gates) whose policies/ holds
    byte-identical copies of the shipped packs runs them once and tests the shipped cases."""
    import shutil

    from tests.helpers import REPO

    shutil.copytree(REPO / "policies", spine / "policies")
    done = run_gates("run", "registry-policy", "--root", str(spine))
    assert done.returncode == 0, done.stdout + done.stderr
    tested = run_gates("policy", "test", "--root", str(spine), "--format", "json")
    assert tested.returncode == 0, tested.stderr
    assert "REG-001" in json.loads(tested.stdout)["coverage"]

    (spine / "policies" / "team.yaml").write_text(PACK)  # plus one of its own: that one counts
    done = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = run_gates("policy", "rules", "--root", str(spine), "--format", "json")
    ids = [row["id"] for row in json.loads(rules.stdout)["rules"]]
    assert ids.count("REG-001") == 1 and "TEAM-001" in ids

    edited = spine / "policies" / "registry.yaml"  # an edited copy redefines shipped rules
    edited.write_text(edited.read_text().replace("severity: error", "severity: info", 1))
    done = run_gates("run", "registry-policy", "--root", str(spine))
    assert done.returncode == 3
    assert "pack name 'registry' is a shipped pack" in done.stderr


def test_policy_test_uses_the_spines_rule_params_like_the_gate(spine: Path) -> None:
    """A case must judge with the parameters the gate judges with (spine-gates.yaml)."""
    (spine / "policies" / "tests").mkdir(parents=True)
    (spine / "policies" / "acme.yaml").write_text(
        "pack: acme\nrules:\n  - id: ACME-004\n    title: Reviewed within our window\n"
        "    severity: error\n    select: \"ssot_entries[?archived != `true`]\"\n"
        "    assert:\n      max_age_days: {value: last_reviewed, days: 21}\n"
        "    message: \"{id}: {age} days old (limit {days})\"\n    fix: Review it.\n")
    (spine / "policies" / "tests" / "acme.yaml").write_text(
        "today: \"2026-11-27\"\ncases:\n"
        "  - {name: two days is too old for us, rule: ACME-004, expect: [\n"
        "      {pointer: /ssots/0/last_reviewed}, {pointer: /ssots/1/last_reviewed},\n"
        "      {pointer: /ssots/2/last_reviewed}]}\n")
    (spine / "spine-gates.yaml").write_text("rule_params:\n  ACME-004: {days: 0}\n")
    tested = run_gates("policy", "test", "--root", str(spine))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    from tests.helpers import gates_env

    gate = run_gates("run", "registry-policy", "--root", str(spine),
                     env=gates_env(SPINE_GATES_TODAY="2026-11-27"))
    assert gate.returncode == 1 and gate.stdout.count("ACME-004 [error]") == 3, gate.stdout
