"""The real pre-commit, in a real git repository, blocks a commit that breaks a rule."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from git import Repo

from tests.helpers import REPO, TODAY, run_gates
from tests.policy.team_pack import CASES as TEAM_CASES
from tests.policy.team_pack import PACK as TEAM_PACK

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"

HOOK_CONFIG = f"""repos:
  - repo: local
    hooks:
      - id: registry-policy
        name: spine-gates registry policy
        entry: {sys.executable} -m spine_gates run registry-policy
        language: system
        pass_filenames: false
        files: ^docs/
"""


@pytest.fixture
def repo(spine: Path, tmp_path: Path) -> Repo:
    if shutil.which("pre-commit") is None and not Path(sys.executable).with_name(
            "pre-commit").exists():
        pytest.fail("pre-commit is not installed: run the README's test command")
    repository = Repo.init(spine)
    with repository.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    (spine / ".pre-commit-config.yaml").write_text(HOOK_CONFIG)
    repository.git.add(A=True)
    repository.index.commit("reference spine")
    env = _env(tmp_path)
    subprocess.run([_pre_commit(), "install"], cwd=spine, env=env, check=True,
                   capture_output=True)
    return repository


def _pre_commit() -> str:
    local = Path(sys.executable).with_name("pre-commit")
    return str(local) if local.exists() else "pre-commit"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), SPINE_GATES_TODAY=TODAY,
               NO_COLOR="1", PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    return env


def _commit(repo: Repo, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-m", "change"], cwd=repo.working_dir,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)


def test_hook_blocks_a_commit_with_a_dangling_provider(repo, tmp_path):
    roles = Path(repo.working_dir) / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m"))
    repo.git.add(A=True)
    result = _commit(repo, tmp_path)
    assert result.returncode != 0
    assert "REG-002" in result.stdout + result.stderr
    assert repo.head.commit.message == "reference spine"


def test_hook_lets_a_clean_change_through(repo, tmp_path):
    inject = Path(repo.working_dir) / "docs/brain/roles/architect.md"
    inject.write_text(inject.read_text() + "\n- Prefers small, reviewable plans.\n")
    repo.git.add(A=True)
    result = _commit(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.head.commit.message.strip() == "change"


# The hooks this repository offers (.pre-commit-hooks.yaml), run by the real pre-commit as a
# spine repository would: the same filters, the same arguments, `gates` started from this checkout.
OFFERED = REPO / ".pre-commit-hooks.yaml"
FILTER_KEYS = ("pass_filenames", "always_run", "require_serial", "files", "exclude", "types",
               "types_or")
MOVED_ROLES = "gov/roles.yaml"
SKIP_LINE = "nothing it reads changed"


def _offered_config(*ids: str) -> str:
    hooks = []
    for hook in yaml.safe_load(OFFERED.read_text()):
        if hook["id"] not in ids:
            continue
        program, *args = hook["entry"].split()
        assert program == "gates", hook["entry"]
        local = {"id": hook["id"], "name": hook["name"], "language": "system",
                 "entry": " ".join([sys.executable, "-m", "spine_gates", *args])}
        local.update({k: hook[k] for k in FILTER_KEYS if k in hook})
        hooks.append(local)
    assert sorted(h["id"] for h in hooks) == sorted(ids)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def _offered_repo(spine: Path, tmp_path: Path, *ids: str) -> Repo:
    """`spine` in git, committed as it is (no hook runs on that first commit), the offered hooks
    `ids` installed."""
    repository = Repo.init(spine)
    with repository.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    (spine / ".pre-commit-config.yaml").write_text(_offered_config(*ids))
    (spine / "README.md").write_text("# Our spine\n")
    repository.git.add(A=True)
    repository.index.commit("spine")
    subprocess.run([_pre_commit(), "install"], cwd=spine, env=_env(tmp_path), check=True,
                   capture_output=True)
    return repository


def _move_roles(spine: Path) -> None:
    """The role map moves to gov/roles.yaml (spine-gates.yaml `registries:`); SSOT follows."""
    (spine / "gov").mkdir()
    (spine / ROLES).rename(spine / MOVED_ROLES)
    (spine / "spine-gates.yaml").write_text(f"registries:\n  roles: {MOVED_ROLES}\n")
    ssot = spine / "docs/governance/SSOT_REGISTRY.yaml"
    ssot.write_text(ssot.read_text().replace(ROLES, MOVED_ROLES))
    assert run_gates("run", "registry-policy", "--root", str(spine)).returncode == 0


def _dangle(path: Path) -> None:
    text = path.read_text()
    assert "nvidia_nim/moonshotai/kimi-k2.5" in text
    path.write_text(text.replace("nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m"))


def _commit_all(repo: Repo, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    repo.git.add(A=True)
    return _commit(repo, tmp_path)


def _refused(repo: Repo, result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode != 0 and repo.head.commit.message.strip() == "spine"


def test_registry_policy_hook_refuses_a_broken_moved_registry(spine, tmp_path):
    _move_roles(spine)
    repo = _offered_repo(spine, tmp_path, "registry-policy")
    _dangle(spine / MOVED_ROLES)
    result = _commit_all(repo, tmp_path)
    assert _refused(repo, result), result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert f"{MOVED_ROLES}:" in out and "REG-002" in out


def test_registry_policy_hook_refuses_a_broken_spine_policy(spine, tmp_path):
    repo = _offered_repo(spine, tmp_path, "registry-policy")
    (spine / "policies").mkdir()
    (spine / "policies" / "team.yaml").write_text(
        "pack: team\nrules:\n  - id: TEAM-001\n    title: t\n    severity: error\n"
        "    rationale: r\n    select: \"roles[]\"\n    assert: {no_such_assertion: {}}\n"
        "    message: m\n    fix: f\n")
    result = _commit_all(repo, tmp_path)
    assert _refused(repo, result), result.stdout + result.stderr
    assert "policies/team.yaml" in result.stdout + result.stderr


def test_registry_policy_hook_refuses_deleting_an_inject_file_with_another_change(spine,
                                                                                  tmp_path):
    repo = _offered_repo(spine, tmp_path, "registry-policy")
    (spine / "docs/brain/roles/architect.md").unlink()
    (spine / "README.md").write_text("# Our spine\n\nNow with fewer roles.\n")
    result = _commit_all(repo, tmp_path)
    assert _refused(repo, result), result.stdout + result.stderr
    assert "REG-007" in result.stdout + result.stderr


def test_secret_refs_hook_refuses_an_unlisted_key_in_a_moved_registry(spine, tmp_path):
    providers = "docs/governance/PROVIDER_REGISTRY.yaml"
    (spine / "gov").mkdir()
    (spine / providers).rename(spine / "gov/providers.yaml")
    (spine / "spine-gates.yaml").write_text("registries:\n  providers: gov/providers.yaml\n")
    repo = _offered_repo(spine, tmp_path, "secret-refs")
    path = spine / "gov/providers.yaml"
    path.write_text(path.read_text().replace("providers/OPENAI_API_KEY", "providers/NOPE_KEY"))
    result = _commit_all(repo, tmp_path)
    assert _refused(repo, result), result.stdout + result.stderr
    assert "SEC-010" in result.stdout + result.stderr


def test_policy_test_hook_runs_when_a_registry_its_cases_patch_changes(spine, tmp_path):
    (spine / "policies" / "tests").mkdir(parents=True)
    (spine / "policies" / "team.yaml").write_text(TEAM_PACK)
    (spine / "policies" / "tests" / "team.yaml").write_text(TEAM_CASES)
    repo = _offered_repo(spine, tmp_path, "policy-test")
    roles = spine / ROLES
    roles.write_text(roles.read_text().replace("      - local_lmstudio/qwen2.5-coder\n", "", 1))
    result = _commit_all(repo, tmp_path)
    assert _refused(repo, result), result.stdout + result.stderr
    assert "TEAM-001" in result.stdout + result.stderr


def test_a_commit_touching_nothing_governed_passes_without_running_the_gate(spine, tmp_path):
    # The committed spine already breaks REG-002: only a gate that does not run lets this through.
    _dangle(spine / ROLES)
    repo = _offered_repo(spine, tmp_path, "registry-policy", "secret-refs", "policy-test")
    (spine / "README.md").write_text("# Our spine\n\nHow we route.\n")
    result = _commit_all(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.head.commit.message.strip() == "change"
    assert "REG-002" not in result.stdout + result.stderr


def test_a_gate_given_only_files_it_does_not_read_says_so_and_passes(spine):
    _dangle(spine / ROLES)
    result = run_gates("run", "registry-policy", "--root", str(spine), "README.md",
                       "notes/todo.txt", cwd=spine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("\n") == 1 and SKIP_LINE in result.stdout


def test_a_gate_given_a_file_it_reads_runs_in_full(spine):
    _dangle(spine / ROLES)
    result = run_gates("run", "registry-policy", "--root", str(spine), "README.md",
                       "docs/brain/roles/executor.md", cwd=spine)
    assert result.returncode == 1 and "REG-002" in result.stdout


def test_a_changed_scenario_runs_the_gates_that_read_scenarios(spine, tmp_path):
    """routing-scenarios judges the scenario; registry-policy scans its text for keys."""
    (spine / "scenarios").mkdir()
    (spine / "scenarios" / "team.yaml").write_text(
        "scenarios:\n  - name: OpenAI down, executor still served by OpenAI\n"
        "    given: {providers: {openai: http_5xx}}\n    when: {role: executor}\n"
        "    then: {model: openai/gpt-5}\n")
    changed = "scenarios/team.yaml"
    scanned = run_gates("run", "registry-policy", "--root", str(spine), changed, cwd=spine)
    assert scanned.returncode == 0 and SKIP_LINE not in scanned.stdout, scanned.stdout
    ignored = run_gates("run", "provider-drift", "--root", str(spine), changed, cwd=spine)
    assert ignored.returncode == 0 and SKIP_LINE in ignored.stdout, ignored.stdout
    refused = run_gates("run", "routing-scenarios", "--root", str(spine), changed, cwd=spine)
    assert refused.returncode == 1 and "SCEN-001" in refused.stdout, refused.stdout


def test_a_changed_file_outside_the_spine_root_is_not_governed(spine, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("x: 1\n")
    result = run_gates("run", "registry-policy", "--root", str(spine), str(outside), cwd=spine)
    assert result.returncode == 0 and SKIP_LINE in result.stdout
