"""Helpers tests import: the repository root, the pinned day, and the real `gates` CLI in a
subprocess. Fixtures stay in conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-25"  # the reference spine's review date; pinned so freshness is deterministic


def copy_reference_spine(target: Path) -> Path:
    """Copy the reference spine's registries and inject files under `target`; returns it."""
    shutil.copytree(REPO / "docs" / "governance", target / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", target / "docs" / "brain")
    return target


def gates_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SPINE_GATES_TODAY": TODAY, "NO_COLOR": "1"})
    env.update(extra)
    return env


def run_gates(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a hook or CI job would."""
    return subprocess.run(
        [sys.executable, "-m", "spine_gates", *args],
        cwd=cwd or REPO,
        env=env or gates_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


def one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Bad input's shape: exit 3 and exactly one `gates: error:` line naming every needle."""
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gates: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def drain_pty(master: int) -> bytes:
    """Everything written to a pseudo-terminal until its writers have closed it."""
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)
