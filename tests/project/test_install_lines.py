"""The README's install lines work outside this checkout, and the docs offer every shipped hook.

The lines are read from the README (not copied here) and run offline in fresh virtual
environments (tests/project/installing.py): the git URL with this repository as a `file://` URL
pinned to its HEAD commit, the wheel built by `pip wheel`, and the README's first command in a
copy of the checkout. Then `gates --version`, and the guide's `repo: local` pre-commit hooks
running the installed `gates` in a spine repository."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, TODAY, copy_reference_spine
from tests.project.installing import (
    copy_tracked_checkout,
    expose_dependencies,
    fresh_venv,
    installed_location,
    offline_env,
)

README = REPO / "README.md"
GUIDE = REPO / "docs" / "guides" / "ci-and-hooks.md"
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
GIT_URL = "https://github.com/<org>/spine-gates"


def _version() -> str:
    text = (REPO / "src" / "spine_gates" / "__init__.py").read_text()
    found = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    assert found
    return found.group(1)


def _block_after(text: str, needle: str) -> list[str]:
    """The command lines of the first ```sh block whose first line starts with `needle`."""
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        if block.startswith(needle):
            return [line for line in block.splitlines() if line.strip()]
    raise AssertionError(f"no ```sh block starting with {needle!r}")


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", line], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def _gates_version(venv: Path, env: dict[str, str]) -> None:
    done = subprocess.run(["gates", "--version"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert _version() in done.stdout, done.stdout
    assert installed_location(venv, env).is_relative_to(venv)


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_the_readme_git_url_line_installs_gates_pinned_to_a_commit(
        tmp_path: Path, view_base: Path) -> None:
    (line,) = _block_after(README.read_text(), "python3 -m pip install \"git+")
    assert f"{GIT_URL}@<commit>" in line
    venv = fresh_venv(tmp_path / "venv", view_base)
    env = offline_env(venv)
    local = line.replace(GIT_URL, f"file://{REPO}").replace("<commit>", _head())
    done = _run(local.replace("python3", "python", 1), tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    _gates_version(venv, env)


def test_the_readme_wheel_lines_build_and_install_gates_into_another_environment(
        tmp_path: Path, view_base: Path) -> None:
    lines = _block_after(README.read_text(), "python3 -m pip wheel")
    checkout = copy_tracked_checkout(tmp_path / "checkout")
    builder = offline_env()  # the wheel is built with this environment's Python
    built = _run(lines[0].replace("python3", sys.executable, 1), checkout, builder)
    assert built.returncode == 0, built.stdout + built.stderr
    venv = fresh_venv(tmp_path / "venv", view_base)
    env = offline_env(venv)
    for line in lines[1:]:  # the install, then `gates --version`
        done = _run(line.replace("python3", "python", 1), checkout, env)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    _gates_version(venv, env)


def test_the_readme_first_command_installs_and_passes_in_a_copy_of_the_checkout(
        tmp_path: Path, view_base: Path) -> None:
    (line,) = _block_after(README.read_text(), "python3 -m venv .venv")
    steps = [step.strip() for step in line.split("&&")]
    assert steps[0] == "python3 -m venv .venv", steps
    checkout = copy_tracked_checkout(tmp_path / "checkout")
    env = offline_env(SPINE_GATES_TODAY=TODAY, NO_COLOR="1")
    made = _run(steps[0].replace("python3", sys.executable, 1), checkout, env)
    assert made.returncode == 0, made.stderr
    # offline: the new .venv sees this environment's dependencies, as the index would give them
    expose_dependencies(checkout / ".venv", view_base)
    for step in steps[1:]:
        done = _run(step, checkout, env)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    assert "PASS" in done.stdout
    assert installed_location(checkout / ".venv", env).is_relative_to(checkout / ".venv")


def test_the_wheel_carries_the_ci_templates(built_wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(built_wheel).namelist())
    assert "spine_gates/templates/ci/github/spine-gates.yml" in names
    assert "spine_gates/templates/ci/gitlab/spine-gates.gitlab-ci.yml" in names


def _local_hooks_block() -> dict[str, object]:
    text = GUIDE.read_text()
    block = text.split("<!-- local-hooks:start -->\n", 1)[1].split("<!-- local-hooks:end -->")[0]
    return yaml.safe_load(block.strip().removeprefix("```yaml").removesuffix("```"))


def _guide_yaml_blocks() -> list[object]:
    return [yaml.safe_load(block) for block in
            re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), re.S)]


def test_the_guide_and_readme_list_every_shipped_hook() -> None:
    shipped = {hook["id"] for hook in HOOKS}
    assert shipped, "no hooks in .pre-commit-hooks.yaml"
    remote = [block for block in _guide_yaml_blocks() if isinstance(block, dict)
              and block["repos"][0]["repo"] != "local"]
    assert len(remote) == 1
    assert {hook["id"] for hook in remote[0]["repos"][0]["hooks"]} == shipped
    local = _local_hooks_block()["repos"][0]["hooks"]
    assert {hook["id"] for hook in local} == shipped
    readme_hooks = README.read_text().split("### Hooks and CI", 1)[1].split("\n## ", 1)[0]
    guide_table = GUIDE.read_text().split("## pre-commit", 1)[1].split("```yaml", 1)[0]
    for hook in shipped:
        assert f"`{hook}`" in readme_hooks, hook
        assert f"| `{hook}` |" in guide_table, hook


def test_the_local_hooks_run_what_the_shipped_hooks_run() -> None:
    shipped = {hook["id"]: hook for hook in HOOKS}
    for hook in _local_hooks_block()["repos"][0]["hooks"]:
        original = shipped[hook["id"]]
        assert hook["entry"] == original["entry"], hook["id"]
        assert hook["language"] == "system"
        for key in ("always_run", "require_serial", "types"):
            assert hook[key] == original[key], (hook["id"], key)


def test_pre_commit_rev_is_a_commit_or_a_tag_that_exists() -> None:
    remote = next(block for block in _guide_yaml_blocks() if isinstance(block, dict)
                  and block["repos"][0]["repo"] != "local")
    rev = str(remote["repos"][0]["rev"])
    tags = subprocess.run(["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.split()
    assert rev == "<commit>" or rev in tags, (
        f"rev: {rev} is neither a commit placeholder nor a tag of this repository ({tags})")


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path,
                   view_base: Path) -> Path:
    venv = fresh_venv(tmp_path_factory.mktemp("hooks") / "venv", view_base)
    done = _run(f"python -m pip install -q {shlex.quote(str(built_wheel))}", REPO,
                offline_env(venv))
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def _spine_with_local_hooks(tmp_path: Path, env: dict[str, str]) -> Path:
    spine = copy_reference_spine(tmp_path / "spine")
    (spine / ".pre-commit-config.yaml").write_text(yaml.safe_dump(_local_hooks_block()))
    for step in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "-m", "spine"]):
        subprocess.run(step, cwd=spine, env=env, check=True, capture_output=True)
    return spine


def _hook_env(tmp_path: Path, venv: Path) -> dict[str, str]:
    return offline_env(venv, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
                       SPINE_GATES_TODAY=TODAY, NO_COLOR="1", HOME=str(tmp_path),
                       GIT_AUTHOR_NAME="Hook", GIT_AUTHOR_EMAIL="hook@example.invalid",
                       GIT_COMMITTER_NAME="Hook", GIT_COMMITTER_EMAIL="hook@example.invalid")


def _pre_commit() -> str:
    local = Path(sys.executable).with_name("pre-commit")
    return str(local) if local.exists() else "pre-commit"


def test_the_local_hooks_pass_on_a_clean_spine_with_the_installed_gates(
        tmp_path: Path, installed_venv: Path) -> None:
    env = _hook_env(tmp_path, installed_venv)
    spine = _spine_with_local_hooks(tmp_path, env)
    done = subprocess.run([_pre_commit(), "run", "--all-files"], cwd=spine, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for hook in HOOKS:
        assert re.search(rf"{re.escape(hook['name'].split(' (')[0])}.*Passed", done.stdout), (
            hook["id"], done.stdout)


def test_the_local_hooks_fail_a_spine_that_breaks_a_rule(
        tmp_path: Path, installed_venv: Path) -> None:
    env = _hook_env(tmp_path, installed_venv)
    spine = _spine_with_local_hooks(tmp_path, env)
    roles = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m"))
    done = subprocess.run([_pre_commit(), "run", "--all-files"], cwd=spine, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REG-002" in done.stdout
