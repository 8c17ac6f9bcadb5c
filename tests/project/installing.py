"""Installing spine-gates the way a user does, offline: a wheel built from this checkout's tracked
files, and fresh virtual environments to install it (or a git URL) into.

A fresh environment cannot download spine-gates' dependencies here (tests never leave
127.0.0.0/8), so it sees the running environment's installed packages (pip, hatchling, the
dependencies) through a `.pth` file naming a folder of links to them. Any spine-gates in the
running environment is left out of that folder, so the only spine-gates the fresh environment
can import is the one installed into it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.helpers import REPO

# pip offline and hermetic: no index, no user or machine config, build in this environment
# (hatchling is visible) rather than in an isolated one it would download.
PIP_OFFLINE = {"PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull,
               "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "PIP_NO_CACHE_DIR": "1"}
_OWN = ("spine_gates", "spine-gates", "_editable_impl_spine_gates", "__editable__.spine_gates")


def copy_tracked_checkout(target: Path) -> Path:
    """The files git tracks in this checkout (what a clone has), copied to `target`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build_wheel(checkout: Path, out: Path) -> Path:
    """`pip wheel --no-deps` of a checkout: the wheel a user would build and install."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                           str(out), str(checkout)], env=offline_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("spine_gates-*.whl")
    return wheel


def _dependency_view(base: Path) -> Path:
    """A folder of links to the running environment's installed packages, minus spine-gates."""
    view = base / "site-view"
    if view.exists():
        return view
    view.mkdir(parents=True)
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.startswith(_OWN) or entry.suffix == ".pth":
            continue
        (view / entry.name).symlink_to(entry)
    return view


def fresh_venv(where: Path, view_base: Path) -> Path:
    """A new virtual environment at `where` that can install spine-gates offline; returns it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True,
                   capture_output=True, timeout=120)
    expose_dependencies(where, view_base)
    return where


def expose_dependencies(venv: Path, view_base: Path) -> None:
    """Let an existing virtual environment import the running one's packages (not spine-gates)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / version / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (site / "_offline_dependencies.pth").write_text(f"{_dependency_view(view_base)}\n")


def offline_env(venv: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a command in `venv` (first on PATH): no PYTHONPATH pointing at this
    checkout's sources, pip offline."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_OFFLINE)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    env.update(extra)
    return env


def installed_location(venv: Path, env: dict[str, str]) -> Path:
    """Where `venv`'s python imports spine_gates from."""
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import spine_gates; print(spine_gates.__file__)"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())
