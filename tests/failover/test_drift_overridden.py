"""The drift gate and `gates sync` know failover overrides: an active, recorded override is
`overridden` (exit 0, named); an expired or unrecorded one, or a router module that is not the
one spine-gates renders, is drift (exit 2). Sync keeps overrides unless --clear-overrides."""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
from pathlib import Path
from typing import Any

from spine_gates.failover import overrides
from spine_gates.failover.plan import plan
from spine_gates.failover.receipt import emit_failover_receipt
from spine_gates.failover.router_module import MODULE_NAME
from spine_gates.failover.settings import FailoverSettings
from spine_gates.receipts.keys import load_signing_key
from tests.failover.helpers import NOW, healthy, hung, load
from tests.helpers import gates_env, run_gates

TTL = _dt.timedelta(minutes=30)
EXPIRY = "2026-12-03T08:30:00Z"


def at(minutes: int) -> dict[str, str]:
    """The CLI's environment with the clock pinned `minutes` after NOW."""
    return gates_env(SPINE_GATES_NOW=(NOW + _dt.timedelta(minutes=minutes)).isoformat())


def with_module(spine: Path) -> Path:
    (spine / "spine-gates.yaml").write_text("failover:\n  router_module: true\n")
    return spine


def synced(spine: Path, tmp_path: Path, *extra: str) -> Path:
    live = tmp_path / "router" / "config.json"
    result = run_gates("sync", "--root", str(spine), "--live", str(live), *extra, env=at(0))
    assert result.returncode == 0, result.stderr
    return live


def apply_hung_openai(spine: Path, signed: bool = True) -> list[overrides.Override]:
    """Fail over every slot openai serves (default, webSearch), through the engine; `signed`:
    with a real `failover.apply` receipt in the spine's failover chain (drift verifies it)."""
    model, live = load(spine)
    added = overrides.apply(plan(model, healthy(openai=hung()), live, FailoverSettings(), NOW),
                            TTL, NOW)
    if not signed:
        return added
    key_file = spine.parent / "apply-signer.key"
    if not key_file.exists():
        made = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key_file))
        assert made.returncode == 0, made.stderr
    key = load_signing_key(str(key_file))
    assert key is not None
    written = emit_failover_receipt(spine, key, action="apply", overrides=added, before={},
                                    after={}, findings=[], live_digest=None, when=NOW)
    overrides.set_receipt([o.id for o in added], written.digest)
    return [o for o in overrides.read() if o.id in {a.id for a in added}]


def drift(spine: Path, live: Path, minutes: int) -> tuple[subprocess.CompletedProcess[str],
                                                          list[dict[str, Any]]]:
    result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                       "--format", "json", "--no-receipt", env=at(minutes))
    assert result.returncode in (0, 2), result.stderr
    return result, json.loads(result.stdout)["findings"]


def verdict(findings: list[dict[str, Any]]) -> str:
    [summary] = [f for f in findings if f["rule"] == "DRIFT-000"]
    return str(summary["message"])


def rules(findings: list[dict[str, Any]], prefix: str = "DRIFT-OVR") -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"].startswith(prefix)]


def test_sync_names_and_installs_the_module_beside_the_live_config(spine: Path,
                                                                   tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    module = live.parent / MODULE_NAME
    assert json.loads(live.read_text())["CUSTOM_ROUTER_PATH"] == str(module)
    assert module.is_file()
    assert str(overrides.overrides_path()) in module.read_text()


def test_a_synced_config_with_the_module_is_in_sync(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    result, findings = drift(spine, live, 0)
    assert result.returncode == 0
    assert verdict(findings).startswith("verdict in_sync: 0 drifted")


def test_an_active_recorded_override_is_overridden_exit_0_naming_it(spine: Path,
                                                                    tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    result, findings = drift(spine, live, 5)
    assert result.returncode == 0
    assert verdict(findings).startswith("verdict overridden: 0 drifted, 0 pending, 0 ignored, "
                                        "2 overridden")
    named = rules(findings)
    assert {f["rule"] for f in named} == {"DRIFT-OVR-001"}
    assert {f["severity"] for f in named} == {"info"}
    by_slot = {o.slot: o for o in added}
    for finding in named:
        slot = finding["pointer"].removeprefix("/Router/")
        override = by_slot[slot]
        for part in (override.id, override.route, override.replaces, EXPIRY,
                     str(override.receipt)[:15]):
            assert part in finding["message"]


def test_an_expired_override_still_recorded_is_drift(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    apply_hung_openai(spine)
    result, findings = drift(spine, live, 30)  # the expiry itself is expired
    assert result.returncode == 2
    assert verdict(findings).startswith("verdict drift:")
    [*expired] = rules(findings, "DRIFT-OVR-002")
    assert len(expired) == 2
    assert all(f"expired at {EXPIRY}" in f["message"] for f in expired)
    assert all("gates failover revert" in f["fix"] for f in expired)


def test_an_override_without_a_receipt_is_drift(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    apply_hung_openai(spine, signed=False)
    result, findings = drift(spine, live, 5)
    assert result.returncode == 2
    unrecorded = rules(findings, "DRIFT-OVR-003")
    assert len(unrecorded) == 2
    assert all("no receipt" in f["message"] for f in unrecorded)


def test_a_changed_router_module_is_drift_fixed_by_sync(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    module = live.parent / MODULE_NAME
    module.write_text(module.read_text() + "\n// edited\n")
    result, findings = drift(spine, live, 0)
    assert result.returncode == 2
    [changed] = rules(findings, "DRIFT-OVR-004")
    assert "sha256:" in changed["message"] and "gates sync" in changed["fix"]
    assert changed["file"] == str(module)
    synced(spine, tmp_path)
    assert drift(spine, live, 0)[0].returncode == 0


def test_a_missing_router_module_is_drift(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    (live.parent / MODULE_NAME).unlink(missing_ok=True)
    result, findings = drift(spine, live, 0)
    assert result.returncode == 2
    [missing] = rules(findings, "DRIFT-OVR-004")
    assert "does not exist" in missing["message"]


def test_a_live_slot_edited_to_exactly_an_active_override_is_overridden(
        spine: Path, tmp_path: Path) -> None:
    live = synced(spine, tmp_path)  # no module: an override shows as the live Router's value
    added = apply_hung_openai(spine)
    config = json.loads(live.read_text())
    for override in added:
        config["Router"][override.slot] = override.route
    live.write_text(json.dumps(config, indent=2) + "\n")
    result, findings = drift(spine, live, 5)
    assert result.returncode == 0, verdict(findings)
    assert verdict(findings).startswith("verdict overridden: 0 drifted")
    assert not rules(findings, "DRIFT-001")
    assert len(rules(findings, "DRIFT-OVR-001")) == 2


def test_an_override_the_router_cannot_apply_is_drift(spine: Path, tmp_path: Path) -> None:
    live = synced(spine, tmp_path)  # no module and the live Router unchanged
    apply_hung_openai(spine)
    result, findings = drift(spine, live, 5)
    assert result.returncode == 2
    assert len(rules(findings, "DRIFT-OVR-005")) == 2


def test_no_override_file_leaves_the_verdict_as_it_was(spine: Path, tmp_path: Path) -> None:
    live = synced(spine, tmp_path)
    result, findings = drift(spine, live, 5)
    assert result.returncode == 0
    assert verdict(findings) == "verdict in_sync: 0 drifted, 0 pending, 0 ignored (profile 2.0)"
    assert not rules(findings)


def test_sync_keeps_active_overrides_and_says_so(spine: Path, tmp_path: Path) -> None:
    synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    live = tmp_path / "router" / "config.json"
    result = run_gates("sync", "--root", str(spine), "--live", str(live), env=at(5))
    assert result.returncode == 0, result.stderr
    assert "keeps 2 active failover override(s)" in result.stdout
    assert [o.id for o in overrides.read()] == [o.id for o in added]


def test_sync_clear_overrides_ends_them_all(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    result = run_gates("sync", "--root", str(spine), "--live", str(live), "--clear-overrides",
                       env=_keygen(spine, tmp_path))
    assert result.returncode == 0, result.stderr
    for override in added:
        assert f"ended failover override {override.id}" in result.stdout
    assert overrides.read() == []
    assert json.loads(overrides.overrides_path().read_text()) == {"version": 1, "overrides": []}
    assert drift(spine, live, 5)[0].returncode == 0


def test_sync_dry_run_clear_overrides_ends_nothing(spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    result = run_gates("sync", "--root", str(spine), "--live", str(live), "--dry-run",
                       "--clear-overrides", env=at(5))
    assert result.returncode == 0, result.stderr
    assert "dry run: would end 2 failover override(s)" in result.stdout
    assert [o.id for o in overrides.read()] == [o.id for o in added]


def test_sync_says_a_restart_loads_a_new_module(spine: Path, tmp_path: Path) -> None:
    live = synced(spine, tmp_path)
    with_module(spine)
    result = run_gates("sync", "--root", str(spine), "--live", str(live), env=at(0))
    assert result.returncode == 0, result.stderr
    assert f"installed the failover router module {live.parent / MODULE_NAME}" in result.stdout
    assert "restart the router to load it: ccr restart" in result.stdout
    again = run_gates("sync", "--root", str(spine), "--live", str(live), env=at(0))
    assert "already matches the SSOT" in again.stdout
    assert "ccr restart" not in again.stdout and "installed" not in again.stdout


def _keygen(spine: Path, tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "ops.key"
    made = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), env=at(0))
    assert made.returncode == 0, made.stderr
    return {**at(5), "SPINE_GATES_SIGNING_KEY_FILE": str(key)}


def test_sync_clear_overrides_signs_a_revert_receipt_like_failover_revert(
        spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    env = _keygen(spine, tmp_path)
    result = run_gates("sync", "--root", str(spine), "--live", str(live), "--clear-overrides",
                       env=env)
    assert result.returncode == 0, result.stderr
    assert "receipt sha256:" in result.stdout
    audit = run_gates("receipts", "audit", "--root", str(spine), "--format", "json", env=env)
    [applied, action] = json.loads(audit.stdout)["failover"]["actions"]
    assert (applied["action"], action["action"]) == ("apply", "revert")
    assert {o["id"] for o in action["overrides"]} == {o.id for o in added}
    assert run_gates("receipts", "verify", "--root", str(spine), env=env).returncode == 0


def test_sync_clear_overrides_without_a_signing_key_is_exit_3_and_ends_nothing(
        spine: Path, tmp_path: Path) -> None:
    live = synced(with_module(spine), tmp_path)
    added = apply_hung_openai(spine)
    result = run_gates("sync", "--root", str(spine), "--live", str(live), "--clear-overrides",
                       env=at(5))
    assert result.returncode == 3
    assert "signing key" in result.stderr and len(result.stderr.splitlines()) == 1
    assert [o.id for o in overrides.read()] == [o.id for o in added]


def test_adopt_does_not_offer_a_live_slot_that_is_exactly_an_active_override(
        spine: Path, tmp_path: Path) -> None:
    live = synced(spine, tmp_path)
    added = apply_hung_openai(spine)
    config = json.loads(live.read_text())
    for override in added:
        config["Router"][override.slot] = override.route
    live.write_text(json.dumps(config, indent=2) + "\n")
    result = run_gates("adopt", "--root", str(spine), "--live", str(live), env=at(5))
    assert result.returncode == 0, result.stderr
    assert "+++" not in result.stdout, result.stdout
    for override in added:
        assert f"failover override {override.id}" in result.stdout
