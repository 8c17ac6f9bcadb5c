"""The package as `pip install .` installs it (not the editable source tree the suite runs):
its bundled packs, gates, scenarios and reference spine, run from a checkout and, with
`--reference`, from nowhere.

An editable install hides mistakes that only an installed copy makes: a data folder missing from
the wheel, or the checkout's own `policies/` mistaken for a spine's packs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, gates_env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(site dir holding the installed package, a copy of the working tree as a checkout)."""
    base = tmp_path_factory.mktemp("installed")
    checkout = base / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    site = base / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--no-build-isolation", "--disable-pip-version-check", "--target",
                           str(site), str(checkout)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return site, checkout


def _gates(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = gates_env(PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-m", "spine_gates", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_installed_copy_is_the_one_that_runs(installed: tuple[Path, Path]) -> None:
    site, checkout = installed
    code = "import spine_gates, sys; print(spine_gates.__file__)"
    where = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True,
                           text=True, env=gates_env(PYTHONPATH=str(site)), timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    assert (site / "spine_gates" / "_bundled" / "policies" / "registry.yaml").is_file()


def test_readme_first_command_gate_run_all_passes_in_a_checkout(
        installed: tuple[Path, Path]) -> None:
    site, checkout = installed
    done = _gates(site, checkout, "run", "all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout
    tested = _gates(site, checkout, "policy", "test", "--require-coverage")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_with_reference_the_installed_bundled_spine_passes_every_gate(
        installed: tuple[Path, Path], tmp_path: Path) -> None:
    site, _ = installed
    done = _gates(site, tmp_path, "run", "all", "--reference")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "routing scenarios hold" in done.stdout  # the bundled scenarios ran


def test_outside_any_spine_the_installed_copy_checks_nothing(
        installed: tuple[Path, Path], tmp_path: Path) -> None:
    site, _ = installed
    done = _gates(site, tmp_path, "run", "all")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "no spine in the current directory" in done.stderr and "--reference" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", [("receipts", "keygen", "--name", "installed-test"),
                                     ("baseline", "create")])
def test_writers_never_act_on_the_installed_bundled_spine(
        installed: tuple[Path, Path], tmp_path: Path, command: tuple[str, ...]) -> None:
    site, _ = installed
    bundled = site / "spine_gates" / "_bundled" / "spine"
    before = sorted(p for p in bundled.rglob("*"))
    extra = ("--out", str(tmp_path / "signer.key")) if command[0] == "receipts" else ()
    done = _gates(site, tmp_path, *command, *extra, "--root", str(bundled))
    after = sorted(p for p in bundled.rglob("*"))
    for path in set(after) - set(before):  # put the shared installed copy back for other tests
        if path.is_file():
            path.unlink()
    assert done.returncode == 3, done.stdout + done.stderr
    assert "never acts on the bundled reference spine" in done.stderr
    assert after == before
