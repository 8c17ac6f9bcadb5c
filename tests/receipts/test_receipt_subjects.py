"""A receipt's subjects are the governed files its gate read: the registries and the spine's own
files that change verdicts (spine-gates.yaml, waivers.yaml, the baseline) for every gate, the
spine's own packs (policies/) for the gate that runs them, scenarios/ for the routing gate. Editing
any of them after the newest passing run of a gate that reads it is an unreceipted change."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
REGISTRIES = {PROVIDERS, "docs/governance/CLI_INTERFACE_REGISTRY.yaml",
              "docs/governance/ROLE_PROVIDER_MAPS.yaml", "docs/governance/SSOT_REGISTRY.yaml"}
WAIVERS = ("waivers:\n  - rule: REG-002\n    reason: migration in progress\n"
           "    owner: \"@ronny\"\n    expires: \"2026-12-20\"\n")
SETTINGS = "ccr:\n  apikey_ref: env:CCR_APIKEY\n"
PACK = """\
pack: team
description: Our own house rules.
rules:
  - id: TEAM-001
    title: Every role has at least one fallback
    severity: error
    rationale: A role without a fallback goes down with its provider.
    select: "roles[]"
    assert:
      count: {value: chain, min: 2}
    message: "role {id} has {count} model(s) in its chain; we want at least {min}"
    fix: "Add a fallback to role {id}."
"""


@pytest.fixture
def key(spine: Path, tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "ci.key"
    made = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(path), "--name",
                     "ci")
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def full_spine(spine: Path) -> Path:
    """The reference spine with settings, waivers, a baseline and the repository's scenarios."""
    (spine / "spine-gates.yaml").write_text(SETTINGS)
    (spine / "waivers.yaml").write_text(WAIVERS)
    (spine / ".spine-gates-baseline.json").write_text('{"findings": []}\n')
    shutil.copytree(REPO / "scenarios", spine / "scenarios")
    (spine / "policies" / "tests").mkdir(parents=True)
    (spine / "policies" / "team.yaml").write_text(PACK)
    (spine / "policies" / "tests" / "team.yaml").write_text("cases: []\n")
    (spine / "scenarios" / ".healthy.yaml.swp").write_bytes(b"editor scratch")
    return spine


def gated(spine: Path, key: Path, gate: str = "registry-policy") -> dict:
    result = run_gates("run", gate, "--root", str(spine), "--receipt", "--signing-key", str(key),
                       "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def subjects_of(spine: Path, report: dict) -> dict[str, str]:
    path = spine / "receipts" / report["receipt"]["path"].split("receipts/", 1)[1]
    statement = json.loads(base64.b64decode(json.loads(path.read_bytes())["payload"]))
    return {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_worktree(spine: Path):
    return run_gates("receipts", "verify", "--root", str(spine), "--against-worktree")


def test_a_receipt_lists_what_its_gate_read(full_spine, key):
    scenario_files = {p.relative_to(full_spine).as_posix()
                      for p in (full_spine / "scenarios").rglob("*")
                      if p.is_file() and not p.name.startswith(".")}
    assert "scenarios/configs/image-slot.json5" in scenario_files  # router configs they name
    common = REGISTRIES | {"spine-gates.yaml", "waivers.yaml", ".spine-gates-baseline.json"}
    for gate, expected in (("registry-policy", common | {"policies/team.yaml"}),
                           ("routing-scenarios", common | scenario_files)):
        subjects = subjects_of(full_spine, gated(full_spine, key, gate))
        assert set(subjects) == expected, gate
        for name in expected:
            assert subjects[name] == sha256(full_spine / name), name


def test_a_spine_without_those_files_has_only_its_registries_as_subjects(spine, key):
    assert set(subjects_of(spine, gated(spine, key))) == REGISTRIES


def test_editing_waivers_after_a_passing_receipt_fails_verify_against_worktree(full_spine, key):
    gated(full_spine, key)
    only_pre_commit = verify_worktree(full_spine)  # nothing has read the scenarios yet
    assert only_pre_commit.returncode == 1
    assert "scenarios/healthy.yaml: no passing run of a gate that reads it" in \
        only_pre_commit.stdout
    gated(full_spine, key, "routing-scenarios")
    assert verify_worktree(full_spine).returncode == 0
    with (full_spine / "waivers.yaml").open("a") as handle:
        handle.write("  - rule: REG-003\n    reason: wider exception\n    owner: \"@x\"\n"
                     "    expires: \"2026-12-20\"\n")
    result = verify_worktree(full_spine)
    assert result.returncode == 1
    assert "waivers.yaml changed since the newest passing run of a gate that reads it" \
        in result.stdout
    gated(full_spine, key)  # a passing run over the new waivers covers them again
    assert verify_worktree(full_spine).returncode == 0


def test_a_waivers_file_added_after_the_receipt_is_an_unreceipted_change(spine, key):
    gated(spine, key)
    (spine / "waivers.yaml").write_text(WAIVERS)
    result = verify_worktree(spine)
    assert result.returncode == 1
    assert "waivers.yaml was added after the newest passing run of a gate that reads it " \
        "(registry-policy)" in result.stdout


@pytest.mark.parametrize("name", ["spine-gates.yaml", "scenarios/fallback.yaml",
                                  "policies/team.yaml", "scenarios/configs/image-slot.json5",
                                  ".spine-gates-baseline.json"])
def test_editing_any_governed_settings_file_fails_verify_against_worktree(full_spine, key, name):
    gated(full_spine, key)
    gated(full_spine, key, "routing-scenarios")
    assert verify_worktree(full_spine).returncode == 0
    with (full_spine / name).open("a") as handle:
        handle.write("\n")
    result = verify_worktree(full_spine)
    assert result.returncode == 1
    assert f"{name} changed since the newest passing run of a gate that reads it" in result.stdout


def test_a_gate_that_never_read_a_file_does_not_vouch_for_it(full_spine, key):
    """The pre-commit gate reads no scenario: its passing run after a scenario edit covers the
    registries, not the scenario; a failing routing run over the edit does not either."""
    gated(full_spine, key)
    gated(full_spine, key, "routing-scenarios")
    scenario = full_spine / "scenarios" / "healthy.yaml"
    scenario.write_text(scenario.read_text().replace("openai/o4-mini", "zai/glm-5", 1))
    gated(full_spine, key)  # registry-policy passes again
    result = verify_worktree(full_spine)
    assert result.returncode == 1
    assert "scenarios/healthy.yaml changed since the newest passing run of a gate that reads " \
        "it (routing-scenarios)" in result.stdout
    failing = run_gates("run", "routing-scenarios", "--root", str(full_spine), "--receipt",
                        "--signing-key", str(key))
    assert failing.returncode == 1, failing.stdout
    assert verify_worktree(full_spine).returncode == 1


def test_a_deleted_waivers_file_is_an_unreceipted_change(full_spine, key):
    gated(full_spine, key)
    (full_spine / "waivers.yaml").unlink()
    result = verify_worktree(full_spine)
    assert result.returncode == 1
    assert "waivers.yaml is gone from the worktree" in result.stdout


def test_the_audit_lists_a_commit_that_only_changed_waivers(full_spine, key):
    import git

    repo = git.Repo.init(full_spine)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Author")
        config.set_value("user", "email", "author@example.invalid")
    repo.index.add([p.relative_to(full_spine).as_posix() for p in full_spine.rglob("*")
                    if p.is_file() and ".git" not in p.parts and "receipts" not in p.parts])
    repo.index.add(["receipts/keys/ci.pub"])  # the trust anchor
    repo.index.commit("initial spine")
    gated(full_spine, key)
    gated(full_spine, key, "routing-scenarios")
    (full_spine / "waivers.yaml").write_text(WAIVERS.replace("2026-12-20", "2027-06-30"))
    repo.index.add(["waivers.yaml"])
    sneaky = repo.index.commit("extend the waiver quietly").hexsha
    result = run_gates("receipts", "audit", "--root", str(full_spine), "--format", "json")
    assert result.returncode == 0, result.stderr
    commits = json.loads(result.stdout)["unreceipted"]["commits"]
    assert [(c["commit"], [f["path"] for f in c["files"]]) for c in commits] == \
        [(sneaky, ["waivers.yaml"])]
