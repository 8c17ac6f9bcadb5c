"""The CI templates `gates init` copies (src/spine_gates/templates/ci/) are valid for their CI
systems, checked offline with the schemas check-jsonschema ships and with actionlint, and their
commands do what the templates say: run in order, read from the YAML, in a temporary spine
repository with CI=true, they install the wheel built from this checkout into a fresh environment,
run every gate, write SARIF and JUnit and a signed receipt that verifies, and leave every file the
artifact steps keep."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, TODAY, copy_reference_spine, gates_env, run_gates
from tests.project.installing import fresh_venv, installed_location, offline_env

TEMPLATES = REPO / "src" / "spine_gates" / "templates" / "ci"
GITHUB = TEMPLATES / "github" / "spine-gates.yml"
GITLAB = TEMPLATES / "gitlab" / "spine-gates.gitlab-ci.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the [test] extras (README's test command)")
    return str(found)


def _validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("schema", "template"), [("vendor.github-workflows", GITHUB),
                                                  ("vendor.gitlab-ci", GITLAB)])
def test_the_template_matches_its_ci_systems_schema(schema: str, template: Path) -> None:
    done = _validate(schema, template)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("schema", "template", "breaks"), [
    ("vendor.github-workflows", GITHUB, ("runs-on: ubuntu-latest", "runs_on: ubuntu-latest")),
    ("vendor.gitlab-ci", GITLAB, ("when: always", "when: sometimes"))])
def test_the_schema_check_catches_a_broken_template(schema: str, template: Path,
                                                    breaks: tuple[str, str],
                                                    tmp_path: Path) -> None:
    broken = tmp_path / template.name
    broken.write_text(template.read_text().replace(*breaks))
    assert broken.read_text() != template.read_text()
    done = _validate(schema, broken)
    assert done.returncode == 1, done.stdout + done.stderr


def test_actionlint_accepts_the_github_workflow() -> None:
    done = subprocess.run([_tool("actionlint"), "-no-color", str(GITHUB)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "spine-gates.yml"
    broken.write_text(GITHUB.read_text().replace("secrets.SPINE_GATES_SIGNING_KEY",
                                                 "secret.SPINE_GATES_SIGNING_KEY"))
    done = subprocess.run([_tool("actionlint"), "-no-color", str(broken)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "secret" in done.stdout, done.stdout + done.stderr


# --- running the templates' commands ---------------------------------------------------------

def _spine_repository(where: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """A spine repository as CI checks it out: the reference spine and a committed public key
    (the receipt's trust anchor). Returns (repository, the private key file)."""
    spine = copy_reference_spine(where / "repo")
    key = where / "secrets" / "ci.key"
    key.parent.mkdir()
    assert subprocess.run(["git", "init", "-q", "-b", "main"], cwd=spine, env=env).returncode == 0
    made = run_gates("receipts", "keygen", "--name", "ci", "--out", str(key), cwd=spine,
                     env=gates_env(HOME=env["HOME"]))
    assert made.returncode == 0, made.stdout + made.stderr
    for step in (["git", "add", "-A"], ["git", "commit", "-q", "-m", "spine"]):
        done = subprocess.run(step, cwd=spine, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    return spine, key


def _ci_env(tmp_path: Path, venv: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return offline_env(venv, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                       XDG_STATE_HOME=str(home / ".state"), XDG_CACHE_HOME=str(home / ".cache"),
                       SPINE_GATES_TODAY=TODAY, NO_COLOR="1", CI="true",
                       GIT_AUTHOR_NAME="CI", GIT_AUTHOR_EMAIL="ci@example.invalid",
                       GIT_COMMITTER_NAME="CI", GIT_COMMITTER_EMAIL="ci@example.invalid",
                       **extra)


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub's and GitLab's default shell on Linux: bash, stopping at the first failure
    return subprocess.run(["bash", "-e", "-c", line], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def _expand(value: str, secrets: dict[str, str]) -> str:
    """GitHub's `${{ secrets.NAME }}` expressions, the only ones the template's env uses."""
    def secret(match: re.Match[str]) -> str:
        return secrets[match.group(1)]

    out = re.sub(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", secret, value)
    assert "${{" not in out, f"an expression the test does not know: {value}"
    return out


def _check_outputs(repo: Path, env: dict[str, str]) -> None:
    sarif = json.loads((repo / "gates.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"], sarif.keys()
    junit = ET.parse(repo / "gates.xml").getroot()
    assert junit.tag in ("testsuites", "testsuite")
    assert int(junit.get("failures", "0")) == 0
    receipts = sorted((repo / "receipts").rglob("*.dsse.json"))
    assert len(receipts) == 1, receipts  # the JUnit/SARIF re-run writes none (--no-receipt)
    verified = subprocess.run(["gates", "receipts", "verify"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.fixture
def ci_venv(tmp_path: Path, view_base: Path) -> Path:
    return fresh_venv(tmp_path / "runner-python", view_base)


def test_the_github_workflow_steps_install_gate_sign_and_keep_the_receipt(
        tmp_path: Path, built_wheel: Path, ci_venv: Path) -> None:
    workflow: dict[str, Any] = yaml.safe_load(GITHUB.read_text())
    (job,) = workflow["jobs"].values()
    env = _ci_env(tmp_path, ci_venv, GITHUB_ACTIONS="true")
    repo, key = _spine_repository(tmp_path, env)
    secrets = {"SPINE_GATES_SIGNING_KEY": key.read_text()}
    env.update({name: _expand(str(value), secrets) for name, value in workflow["env"].items()})
    assert "SPINE_GATES_PACKAGE" in env
    env["SPINE_GATES_PACKAGE"] = str(built_wheel)  # the pinned git URL, as a local wheel
    ran, kept = [], []
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            continue  # the repository is checked out; ci_venv is the runner's Python
        if uses.startswith("github/codeql-action/upload-sarif@"):
            kept.append(step["with"]["sarif_file"])
            continue
        if uses.startswith("actions/upload-artifact@"):
            kept += step["with"]["path"].split()
            continue
        assert not uses, f"a step the test does not know how to stand in for: {uses}"
        step_env = {**env, **{k: _expand(str(v), secrets) for k, v in step.get("env", {}).items()}}
        done = _run(step["run"], repo, step_env)
        assert done.returncode == 0, (step["run"], done.stdout, done.stderr)
        ran.append(step["run"])
    assert len(ran) == 3, ran  # install, the gates with SARIF and receipt, JUnit
    assert installed_location(ci_venv, env).is_relative_to(ci_venv)
    assert sorted(kept) == ["gates.sarif", "gates.sarif", "gates.xml", "receipts/"]
    for path in kept:
        assert (repo / path).exists(), path
    _check_outputs(repo, env)


def test_the_gitlab_job_script_installs_gates_signs_and_keeps_the_receipt(
        tmp_path: Path, built_wheel: Path, ci_venv: Path) -> None:
    pipeline: dict[str, Any] = yaml.safe_load(GITLAB.read_text())
    job = pipeline["spine-gates"]
    env = _ci_env(tmp_path, ci_venv, GITLAB_CI="true")
    repo, key = _spine_repository(tmp_path, env)
    env.update({name: str(value) for name, value in job["variables"].items()})
    env["SPINE_GATES_PACKAGE"] = str(built_wheel)  # the pinned git URL, as a local wheel
    env["SPINE_GATES_SIGNING_KEY_FILE"] = str(key)  # a File variable: GitLab passes its path
    for line in [*job.get("before_script", []), *job["script"], *job.get("after_script", [])]:
        done = _run(line, repo, env)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "warning" not in done.stderr, done.stderr  # e.g. no key, so no receipt
    assert installed_location(ci_venv, env).is_relative_to(ci_venv)
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and artifacts["reports"]["junit"] == "gates.xml"
    for path in artifacts["paths"]:
        assert (repo / path).exists(), path
    _check_outputs(repo, env)
