"""`gates sync`: dry run, backups, refusal on concurrent change, and survival of SIGKILL."""

from __future__ import annotations

import datetime as _dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spine_gates.errors import InputError
from tests.helpers import REPO, gates_env, run_gates


def sync(spine: Path, live: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_gates("sync", "--root", str(spine), "--live", str(live), *extra,
                     env=gates_env(HOME=str(live.parent.parent)))


def live_in(tmp_path: Path) -> Path:
    live = tmp_path / "home" / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    return live


def set_primary(spine: Path, ref: str) -> None:
    """Make `ref` executor's primary: an openai-format model outside its fallback chain, as a
    repeated chain entry (REG-006) or one codex cannot reach (REG-010) would block the sync."""
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    text = roles.read_text()
    start = text.index("  executor:\n    primary: ")
    end = text.index("\n", start + len("  executor:\n"))
    roles.write_text(text[:start] + f"  executor:\n    primary: {ref}" + text[end:])


def test_dry_run_writes_nothing(spine: Path, tmp_path: Path) -> None:
    live = live_in(tmp_path)
    live.write_text('{"PORT": 3456, "Providers": [], "Router": {}}\n')
    before = sorted(p.name for p in live.parent.iterdir())
    result = sync(spine, live, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: would write" in result.stdout
    assert "  drift   Router.default: live has none, SSOT says openai,o4-mini" in result.stdout
    assert live.read_text() == '{"PORT": 3456, "Providers": [], "Router": {}}\n'
    assert sorted(p.name for p in live.parent.iterdir()) == before


def test_sync_creates_a_missing_config_private_to_the_user(spine: Path, tmp_path: Path) -> None:
    live = tmp_path / "home" / ".claude-code-router" / "config.json"
    assert sync(spine, live).returncode == 0
    compiled = run_gates("compile", "ccr", "--root", str(spine)).stdout
    assert live.read_text() == compiled
    assert live.stat().st_mode & 0o777 == 0o600
    assert json.loads((live.parent / "config.json.spine-gates-sync").read_text())[
        "compiled"] == json.loads(compiled)


def test_backups_are_timestamped_and_at_most_three(spine: Path, tmp_path: Path) -> None:
    live = live_in(tmp_path)
    assert sync(spine, live).returncode == 0
    contents = []
    for ref in ("zai/glm-4.7-flash", "openai/gpt-5", "openai/gpt-5-codex", "openai/o4-mini",
                "zai/glm-4.7-flash"):
        contents.append(live.read_text())
        set_primary(spine, ref)
        result = sync(spine, live)
        assert result.returncode == 0, result.stderr
        assert "; backup config.json." in result.stdout
    backups = sorted(live.parent.glob("config.json.*.bak"))
    assert len(backups) == 3
    assert [b.read_text() for b in backups] == contents[-3:]
    for backup in backups:
        stamp = backup.name[len("config.json."):-len(".bak")]
        assert _dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")


def test_sync_of_an_unchanged_config_writes_no_backup(spine: Path, tmp_path: Path) -> None:
    live = live_in(tmp_path)
    assert sync(spine, live).returncode == 0
    result = sync(spine, live)
    assert "already matches the SSOT" in result.stdout
    assert list(live.parent.glob("*.bak")) == []


def test_sync_refuses_when_the_live_file_changed_since_it_was_read(spine: Path,
                                                                   tmp_path: Path) -> None:
    from spine_gates.ccr.live import read_live_config
    from spine_gates.ccr.profiles import get_profile
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.check import run_drift
    from spine_gates.drift.sync import apply_sync, plan_sync

    live = live_in(tmp_path)
    live.write_text('{"PORT": 3456, "Providers": [], "Router": {}}\n')
    ctx = prepare(spine)
    run = run_drift(ctx.model, read_live_config(live), get_profile("2.0"), [])
    plan = plan_sync(run, run.compiled, live, str(live), "2.0", ctx.today)
    live.write_text('{"PORT": 9999, "Providers": [], "Router": {}}\n')  # the router UI saved
    with pytest.raises(InputError, match="changed since it was read; nothing written"):
        apply_sync(plan, str(spine))
    assert live.read_text() == '{"PORT": 9999, "Providers": [], "Router": {}}\n'
    assert list(live.parent.glob("*.bak")) == []


def test_sigkill_at_random_points_never_leaves_a_partial_or_missing_config(
        spine: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-spine"
    import shutil

    shutil.copytree(spine, other)
    set_primary(other, "zai/glm-4.7-flash")
    live = live_in(tmp_path)
    assert sync(spine, live).returncode == 0
    valid = {run_gates("compile", "ccr", "--root", str(root)).stdout for root in (spine, other)}
    assert len(valid) == 2
    env = gates_env(HOME=str(live.parent.parent))
    command = [sys.executable, "-m", "spine_gates", "sync", "--live", str(live), "--root"]
    started = time.monotonic()
    subprocess.run([*command, str(other)], cwd=REPO, env=env, check=True, capture_output=True)
    subprocess.run([*command, str(spine)], cwd=REPO, env=env, check=True, capture_output=True)
    duration = (time.monotonic() - started) / 2  # one whole sync, start-up included
    rng = random.Random(20261125)
    kills = attempts = 0
    while kills < 24 and attempts < 120:
        root = (spine, other)[attempts % 2]
        attempts += 1
        process = subprocess.Popen([*command, str(root)], cwd=REPO, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # most kills land late, where the backup, config and stamp are written
        time.sleep(rng.uniform(0.5 * duration, 1.05 * duration) if attempts % 3 else
                   rng.uniform(0.0, duration))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        assert live.exists(), f"attempt {attempts}: config missing"
        text = live.read_text()
        assert text in valid, f"attempt {attempts}: partial or foreign config ({len(text)} bytes)"
        json.loads(text)
        assert len(list(live.parent.glob("config.json.*.bak"))) <= 3
    assert kills >= 20, f"only {kills} kills landed"
    assert sync(spine, live).returncode == 0  # the next sync still works
    assert live.read_text() == run_gates("compile", "ccr", "--root", str(spine)).stdout
    assert list(live.parent.glob(".config.json.*.tmp")) == []


def test_a_second_sync_while_one_holds_the_lock_is_refused(spine: Path, tmp_path: Path) -> None:
    import fcntl

    live = live_in(tmp_path)
    assert sync(spine, live).returncode == 0
    set_primary(spine, "zai/glm-4.7-flash")
    before = live.read_text()
    with (live.parent / ".config.json.spine-gates.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = sync(spine, live)
    assert result.returncode == 3
    assert "another `gates sync` is writing this config" in result.stderr
    assert live.read_text() == before
    assert sync(spine, live).returncode == 0 and live.read_text() != before
