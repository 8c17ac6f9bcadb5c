"""Faults around `gates failover apply`: a state dir or live config that cannot be written, and a
clock that jumps (SPINE_GATES_NOW moved after the apply).

A read-only folder is made immutable (`chattr +i`) when the tests run as root, who ignores
permission bits, and mode 0500 otherwise; it is made writable again whatever happens.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from spine_gates.errors import InputError
from spine_gates.failover import overrides
from spine_gates.failover.plan import plan
from spine_gates.failover.receipt import chain_dir
from spine_gates.failover.settings import FailoverSettings
from tests.failover.cli_setup import NOW, Armed, arm
from tests.failover.helpers import NOW as HELPER_NOW
from tests.failover.helpers import healthy, hung, load


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Nothing can be created, renamed or removed in `folder` (not even by root)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o700)


@pytest.fixture
def armed(tmp_path: Path) -> Armed:
    return arm(tmp_path)


def _status(armed: Armed, **env: str) -> dict[str, Any]:
    proc = armed.failover("status", "--format", "json", **env)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def _drift(armed: Armed, **env: str) -> tuple[int, str]:
    proc = armed.gates("run", "provider-drift", "--root", str(armed.spine), "--live",
                       str(armed.live), "--no-receipt", **env)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, proc.stdout


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("gates: error: ") and "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_apply_with_a_state_dir_that_cannot_be_written_is_exit_3_and_applies_nothing(
        armed: Armed, state_home: Path) -> None:
    live_before = armed.live.read_bytes()
    with read_only(state_home):
        proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
        _one_line_error(proc, str(state_home))
    assert _status(armed)["overrides"] == []
    assert not (state_home / "overrides.json").exists()
    assert not (state_home / "pre-override").exists()
    assert not chain_dir(armed.spine).exists()  # no receipt for what was not applied
    assert armed.live.read_bytes() == live_before


@pytest.mark.parametrize("keep_live_copy", [True, False], ids=["first-override", "later"])
def test_the_override_file_in_a_read_only_state_dir_is_exit_3_and_left_as_it_was(
        spine: Path, state_home: Path, tmp_path: Path, keep_live_copy: bool) -> None:
    # the engine's own writes: through the CLI, reading the cached health fails first
    model, compiled = load(spine)
    live = tmp_path / "config.json"
    live.write_text(json.dumps(compiled))
    proposed = plan(model, healthy(openai=hung()), compiled, FailoverSettings(), HELPER_NOW)
    with overrides.locked():  # the lock file exists, as after any earlier apply
        pass
    empty = '{"version": 1, "overrides": []}\n'
    (state_home / overrides.FILE_NAME).write_text(empty)
    with read_only(state_home), pytest.raises(InputError) as raised:
        overrides.apply(proposed, _dt.timedelta(minutes=30), HELPER_NOW,
                        live_path=live if keep_live_copy else None)
    assert str(state_home) in f"{raised.value.file} {raised.value.message}"
    assert (state_home / overrides.FILE_NAME).read_text() == empty
    assert not (state_home / "pre-override").exists()


def test_apply_never_writes_the_live_config_so_a_read_only_one_is_no_obstacle(
        armed: Armed) -> None:
    before = armed.live.read_bytes()
    armed.live.chmod(0o444)
    with read_only(armed.live.parent):
        proc = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
        assert proc.returncode == 0, proc.stderr
    assert armed.live.read_bytes() == before
    assert {o["state"] for o in _status(armed)["overrides"]} == {"active"}


def test_sync_into_a_live_config_folder_that_cannot_be_written_is_exit_3_and_writes_nothing(
        armed: Armed) -> None:
    config = json.loads(armed.live.read_text())
    config["Router"]["default"] = "zai,glm-5"  # a hand edit sync would undo
    armed.live.write_text(json.dumps(config))
    before = armed.live.read_bytes()
    listing = sorted(p.name for p in armed.live.parent.iterdir())
    with read_only(armed.live.parent):
        proc = armed.gates("sync", "--root", str(armed.spine), "--live", str(armed.live))
        _one_line_error(proc, str(armed.live.parent))
    assert armed.live.read_bytes() == before
    assert sorted(p.name for p in armed.live.parent.iterdir()) == listing


def test_a_clock_moved_past_the_expiry_makes_status_expired_and_drift_exit_2(
        armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", "--ttl", "30m", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    assert _drift(armed) == (0, _drift(armed)[1])
    later = {"SPINE_GATES_NOW": "2026-12-03T09:30:00Z"}  # the expiry itself is expired
    assert {o["state"] for o in _status(armed, **later)["overrides"]} == {"expired"}
    code, out = _drift(armed, **later)
    assert code == 2 and "DRIFT-OVR-002" in out and "verdict drift" in out


def test_a_clock_moved_backwards_keeps_the_override_in_force_until_its_expiry(
        armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", "--ttl", "30m", **armed.signed())
    assert proc.returncode == 0, proc.stderr
    earlier = {"SPINE_GATES_NOW": "2026-12-03T08:00:00Z"}  # an hour before it was created
    status = _status(armed, **earlier)
    assert {o["state"] for o in status["overrides"]} == {"active"}
    assert {o["created_at"] for o in status["overrides"]} == {NOW}
    code, out = _drift(armed, **earlier)
    assert code == 0 and "verdict overridden" in out
    again = armed.failover("apply", "--from-cache", "--yes", **earlier, **armed.signed())
    assert again.returncode == 0 and "nothing to apply" in again.stdout
