"""`gates init` into a new folder or an empty repository: a minimal spine that passes at once.

It passes `gates run all`, a `git commit` through its own pre-commit hooks and
`pre-commit run --all-files` (the real pre-commit, offline), and D63/D67 as restated here. It
never overwrites: a file it would write that exists with other content stops it before anything
is written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import gates_env, one_error_line, run_gates
from tests.init.spine_restated import d63, d67

REGISTRIES = ("PROVIDER_REGISTRY", "CLI_INTERFACE_REGISTRY", "ROLE_PROVIDER_MAPS",
              "SSOT_REGISTRY")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
                     XDG_CACHE_HOME=str(tmp_path / "cache"),
                     XDG_CONFIG_HOME=str(tmp_path / "config"), SPINE_GATES_HEALTH_REFRESH="0",
                     PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
                     GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.invalid",
                     GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.invalid",
                     PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def test_init_writes_a_spine_that_passes_every_gate_at_once(tmp_path, env):
    made = run_gates("init", str(tmp_path / "x"), env=env)
    assert made.returncode == 0, made.stderr
    result = run_gates("run", "all", "--root", str(tmp_path / "x"), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error, 0 warning" in result.stdout


def test_init_prints_one_line_per_file_it_wrote(tmp_path, env):
    made = run_gates("init", str(tmp_path / "x"), env=env)
    written = _files(tmp_path / "x")
    created = [line.split()[1] for line in made.stdout.splitlines()
               if line.startswith("created ") and line.split()[1] != ".git"]
    assert sorted(created) == sorted(written)
    for name in REGISTRIES:
        assert f"created   docs/governance/{name}.yaml" in made.stdout


def test_review_dates_and_headers_are_today(tmp_path, env):
    run_gates("init", str(tmp_path / "x"), env={**env, "SPINE_GATES_TODAY": "2027-03-04"})
    governance = tmp_path / "x" / "docs" / "governance"
    ssot = yaml.safe_load((governance / "SSOT_REGISTRY.yaml").read_text())
    assert ssot["updated"] == "2027-03-04"
    assert {e["last_reviewed"] for e in ssot["ssots"]} == {"2027-03-04"}
    providers = yaml.safe_load((governance / "PROVIDER_REGISTRY.yaml").read_text())
    assert providers["updated_at"] == "2027-03-04"


def test_the_spine_is_minimal_not_the_reference_providers(tmp_path, env):
    run_gates("init", str(tmp_path / "x"), env=env)
    providers = yaml.safe_load(
        (tmp_path / "x" / "docs/governance/PROVIDER_REGISTRY.yaml").read_text())["providers"]
    assert len(providers) == 2
    assert any(p["api_key_ref"] for p in providers.values())
    assert any(p["type"] == "local" for p in providers.values())


def test_the_capability_files_pass_d63_and_d67_as_restated(tmp_path, env):
    run_gates("init", str(tmp_path / "x"), env=env)
    ops = tmp_path / "x" / "ops"
    assert d63(ops / "capabilities.yaml", tmp_path / "x") == []
    assert d67(ops / "capabilities.yaml", ops / "bindings" / "capability_map.yaml") == []


def test_the_session_start_hook_is_in_the_projects_settings_not_home(tmp_path, env):
    run_gates("init", str(tmp_path / "x"), env=env)
    settings = json.loads((tmp_path / "x" / ".claude" / "settings.json").read_text())
    (group,) = settings["hooks"]["SessionStart"]
    assert group["hooks"][0]["command"].startswith("gates session check --root")
    assert not (Path(env["HOME"]) / ".claude").exists()


def test_a_new_folder_becomes_a_git_repository(tmp_path, env):
    made = run_gates("init", str(tmp_path / "x"), env=env)
    assert (tmp_path / "x" / ".git").is_dir()
    assert "created   .git (git init)" in made.stdout


def test_a_folder_inside_a_repository_is_not_made_another_one(tmp_path, env):
    subprocess.run(["git", "init", "-q", str(tmp_path / "outer")], check=True)
    made = run_gates("init", str(tmp_path / "outer" / "spine"), env=env)
    assert made.returncode == 0, made.stderr
    assert not (tmp_path / "outer" / "spine" / ".git").exists()


def test_commit_and_pre_commit_run_pass_with_the_hooks_it_wrote(tmp_path, env):
    if shutil.which("pre-commit", path=env["PATH"]) is None:
        pytest.fail("pre-commit is not installed: run the README's test command")
    root = tmp_path / "x"
    assert run_gates("init", str(root), env=env).returncode == 0

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              timeout=300)

    assert run("pre-commit", "install").returncode == 0
    assert run("git", "add", "-A").returncode == 0
    committed = run("git", "commit", "-m", "spine from gates init")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "spine-gates registry policy" in committed.stdout + committed.stderr
    checked = run("pre-commit", "run", "--all-files")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_running_init_again_changes_nothing(tmp_path, env):
    run_gates("init", str(tmp_path / "x"), env=env)
    before = _files(tmp_path / "x")
    again = run_gates("init", str(tmp_path / "x"), env=env)
    assert again.returncode == 0, again.stderr
    assert _files(tmp_path / "x") == before
    assert all(line.startswith(("unchanged", "next:")) for line in again.stdout.splitlines())


def test_a_file_with_other_content_stops_init_before_anything_is_written(tmp_path, env):
    root = tmp_path / "x"
    (root / "docs" / "governance").mkdir(parents=True)
    mine = root / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    mine.write_text("providers: {}\n")
    (root / "waivers.yaml").write_text("waivers: []\n")
    made = run_gates("init", str(root), env=env)
    one_error_line(made, "PROVIDER_REGISTRY.yaml", "never overwrites", "nothing written")
    assert "waivers.yaml" not in made.stderr  # the user's waivers are kept, not a conflict
    assert _files(root) == {"docs/governance/PROVIDER_REGISTRY.yaml": b"providers: {}\n",
                            "waivers.yaml": b"waivers: []\n"}


def test_a_write_that_fails_midway_leaves_nothing_behind(tmp_path, env):
    root = tmp_path / "x"
    (root / "ops").mkdir(parents=True)
    (root / "ops" / "bindings").write_text("a file where init needs a folder\n")
    made = run_gates("init", str(root), env=env)
    one_error_line(made, "nothing written")
    assert _files(root) == {"ops/bindings": b"a file where init needs a folder\n"}
    assert sorted(p.name for p in root.iterdir()) == ["ops"]


def test_dir_that_is_a_file_is_bad_input(tmp_path, env):
    (tmp_path / "x").write_text("")
    one_error_line(run_gates("init", str(tmp_path / "x"), env=env), "is not a directory")


def test_the_ci_templates_that_ship_are_written_where_each_ci_runs_them(tmp_path, env):
    from spine_gates.init.templates import CI_TEMPLATE_DIR

    shipped = sorted(p.relative_to(CI_TEMPLATE_DIR).as_posix()
                     for p in CI_TEMPLATE_DIR.rglob("*") if p.is_file()) \
        if CI_TEMPLATE_DIR.is_dir() else []
    if not shipped:
        pytest.skip("no CI templates in this checkout (src/spine_gates/templates/ci/)")
    made = run_gates("init", str(tmp_path / "x"), env=env)
    assert made.returncode == 0, made.stderr
    for name in shipped:
        place = name.replace("github/", ".github/workflows/", 1).replace("gitlab/", ".gitlab/", 1)
        assert (tmp_path / "x" / place).read_bytes() == (CI_TEMPLATE_DIR / name).read_bytes()
        assert f"created   {place}" in made.stdout
    assert run_gates("run", "all", "--root", str(tmp_path / "x"), env=env).returncode == 0
