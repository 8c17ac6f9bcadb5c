"""The drift gate verifies each override's receipt, not just that a digest is recorded.

An override is `overridden` (exit 0) only when the digest it records is a receipt of the spine's
failover chain that verifies with the spine's trust anchors and records that very override (its
id, slot, route, replaced route and expiry, signed by an `apply`). A receipt missing from the
chain, one that does not verify, or one that records something else is drift: DRIFT-OVR-006,
exit 2, naming the override and why. An override applied with `--no-receipt` records no digest
and is DRIFT-OVR-003 (unrecorded), as before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover.receipt import chain_dir
from tests.failover.cli_setup import Armed, arm


@pytest.fixture
def armed(tmp_path: Path) -> Armed:
    return arm(tmp_path)


def _apply(armed: Armed, *extra: str) -> list[dict[str, Any]]:
    proc = armed.failover("apply", "--from-cache", "--yes", *extra, **armed.signed())
    assert proc.returncode == 0, proc.stderr
    return _overrides(armed)


def _overrides(armed: Armed) -> list[dict[str, Any]]:
    status = armed.failover("status", "--format", "json")
    assert status.returncode == 0, status.stderr
    return list(json.loads(status.stdout)["overrides"])


def _drift(armed: Armed) -> tuple[int, list[dict[str, Any]]]:
    proc = armed.gates("run", "provider-drift", "--root", str(armed.spine), "--live",
                       str(armed.live), "--format", "json", "--no-receipt")
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def _rule(findings: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == rule]


def _set_receipt(state_home: Path, digest: str) -> None:
    path = state_home / "overrides.json"
    data = json.loads(path.read_text())
    for entry in data["overrides"]:
        entry["receipt"] = digest
    path.write_text(json.dumps(data))


def test_an_override_with_a_receipt_that_verifies_is_overridden(armed: Armed) -> None:
    applied = _apply(armed)
    code, findings = _drift(armed)
    assert code == 0
    assert len(_rule(findings, "DRIFT-OVR-001")) == len(applied) == 2
    assert not _rule(findings, "DRIFT-OVR-006")


def test_an_override_whose_receipt_is_missing_from_the_chain_is_drift(armed: Armed) -> None:
    applied = _apply(armed)
    shutil.rmtree(chain_dir(armed.spine))
    code, findings = _drift(armed)
    assert code == 2
    bad = _rule(findings, "DRIFT-OVR-006")
    assert {f["pointer"] for f in bad} == {f"/Router/{o['slot']}" for o in applied}
    for override in applied:
        [finding] = [f for f in bad if override["id"] in f["message"]]
        assert "not in the failover chain" in finding["message"]
        assert override["receipt"][:19] in finding["message"]
    assert not _rule(findings, "DRIFT-OVR-001")
    assert "verdict drift" in _rule(findings, "DRIFT-000")[0]["message"]


def test_an_override_whose_receipt_is_not_signed_by_a_trust_anchor_is_drift(
        armed: Armed, tmp_path: Path) -> None:
    _apply(armed)
    keys = armed.spine / "receipts" / "keys"
    for public in keys.glob("*.pub"):
        public.unlink()
    other = armed.gates("receipts", "keygen", "--root", str(armed.spine), "--name", "other",
                        "--out", str(tmp_path / "other.key"))
    assert other.returncode == 0, other.stderr
    code, findings = _drift(armed)
    assert code == 2
    bad = _rule(findings, "DRIFT-OVR-006")
    assert len(bad) == 2
    assert all("does not verify" in f["message"] and "signature" in f["message"] for f in bad)


def test_an_override_whose_receipt_file_was_modified_is_drift(armed: Armed) -> None:
    _apply(armed)
    envelope = next(chain_dir(armed.spine).glob("*/*/*.dsse.json"))
    envelope.write_bytes(envelope.read_bytes().replace(b'"payload":"', b'"payload":"eyJ'))
    code, findings = _drift(armed)
    assert code == 2
    bad = _rule(findings, "DRIFT-OVR-006")
    assert len(bad) == 2 and all("does not verify" in f["message"] for f in bad)


def test_an_override_naming_a_receipt_that_does_not_record_it_is_drift(
        armed: Armed, state_home: Path) -> None:
    _apply(armed)
    reverted = armed.failover("revert", "--all", **armed.signed())
    assert reverted.returncode == 0, reverted.stderr
    _apply(armed)
    index = (chain_dir(armed.spine) / "index.jsonl").read_text().splitlines()
    revert_digest = json.loads(index[1])["digest"]  # apply, revert, apply
    _set_receipt(state_home, revert_digest)
    code, findings = _drift(armed)
    assert code == 2
    bad = _rule(findings, "DRIFT-OVR-006")
    assert len(bad) == 2
    assert all("does not record" in f["message"] and revert_digest[:19] in f["message"]
               for f in bad)


def test_an_override_applied_without_a_receipt_is_unrecorded_drift(armed: Armed) -> None:
    proc = armed.failover("apply", "--from-cache", "--yes", "--no-receipt")
    assert proc.returncode == 0, proc.stderr
    code, findings = _drift(armed)
    assert code == 2
    assert len(_rule(findings, "DRIFT-OVR-003")) == 2
    assert not _rule(findings, "DRIFT-OVR-006")
