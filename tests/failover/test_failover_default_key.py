"""`gates receipts keygen` then `gates failover apply|revert` with no key flag: failover signs
with the same default key `run --receipt` finds (one default key place for every signer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.failover.cli_setup import Armed, arm


@pytest.fixture
def armed(tmp_path: Path) -> Armed:
    armed = arm(tmp_path)
    armed.env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    made = armed.gates("receipts", "keygen", "--root", str(armed.spine), "--name", "laptop")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "config" / "spine-gates" / "keys" / "laptop.key").is_file()
    return armed


def test_apply_and_revert_sign_with_the_key_keygen_wrote(armed: Armed) -> None:
    applied = armed.failover("apply", "--from-cache", "--yes")
    assert applied.returncode == 0, applied.stderr
    status = json.loads(armed.failover("status", "--format", "json").stdout)
    assert status["overrides"] and all(o["receipt"] for o in status["overrides"])
    reverted = armed.failover("revert", "--all")
    assert reverted.returncode == 0, reverted.stderr
    assert "no receipt" not in reverted.stdout
    verified = armed.gates("receipts", "verify", "--root", str(armed.spine))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_sync_clear_overrides_signs_with_it_too(armed: Armed) -> None:
    applied = armed.failover("apply", "--from-cache", "--yes")
    assert applied.returncode == 0, applied.stderr
    cleared = armed.gates("sync", "--root", str(armed.spine), "--live", str(armed.live),
                          "--clear-overrides")
    assert cleared.returncode == 0, cleared.stderr
    status = json.loads(armed.failover("status", "--format", "json").stdout)
    assert all(o["state"] != "active" for o in status["overrides"])
