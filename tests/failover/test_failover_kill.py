"""SIGKILL at random points of `gates failover apply`: afterwards `status` reads the old state,
the new one or the named half-applied one (`active, unreceipted`), never a torn file, and a
rerun converges (every override in force and receipted, the failover chain verifies)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.failover.cli_setup import arm

KILLS = 8


def test_apply_killed_at_random_points_leaves_a_named_state_and_a_rerun_converges(
        tmp_path: Path) -> None:
    armed = arm(tmp_path)
    env = {**armed.env, **armed.signed()}
    apply = [sys.executable, "-m", "spine_gates", "failover", "apply", "--root",
             str(armed.spine), "--live", str(armed.live), "--from-cache", "--yes"]
    started = time.monotonic()
    assert subprocess.run(apply, env=env, capture_output=True).returncode == 0
    whole = time.monotonic() - started
    assert armed.failover("revert", "--all", **armed.signed()).returncode == 0
    rng = random.Random(13)
    seen = set()
    for _ in range(KILLS):
        delay = rng.uniform(0.1, whole * 1.1)
        proc = subprocess.Popen(apply, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        status = armed.failover("status", "--format", "json")
        assert status.returncode == 0, (delay, status.stderr)
        states = sorted(o["state"] for o in json.loads(status.stdout)["overrides"])
        assert states in ([], ["active", "active"], ["active, unreceipted"] * 2), (delay, states)
        seen.add(tuple(states))
        rerun = armed.failover("apply", "--from-cache", "--yes", **armed.signed())
        assert rerun.returncode == 0, (delay, rerun.stderr)
        overrides = json.loads(armed.failover("status", "--format", "json").stdout)["overrides"]
        assert [o["state"] for o in overrides] == ["active", "active"], delay
        verify = armed.gates("receipts", "verify", "--root", str(armed.spine), "--format",
                             "json")
        assert verify.returncode == 0 and json.loads(verify.stdout)["failover"]["ok"], (
            delay, verify.stdout)
        assert armed.failover("revert", "--all", **armed.signed()).returncode == 0
    print(f"apply took {whole:.2f} s; states seen after a kill: {sorted(seen)}")
