"""Deploying refuses a broken SSOT: `gates compile ccr --out` and `gates sync` exit 1, show the
findings (redacted) and write nothing while the SSOT has schema, YAML-coercion, secret (SEC-*) or
cross-reference (REG-*) errors. Freshness and warnings never block a deploy; `adopt` is no deploy.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import gates_env, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
# A fake key in Anthropic's format (EXAMPLE body); it must never appear in any output.
KEY = "sk-ant-api03-EXAMPLEexampleEXAMPLEexample0123456789"
ZAI_MODELS = "models: [glm-5, glm-4.7-flash]"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def schema_error(root: Path) -> None:
    edit(root, PROVIDERS, "cost_tier: free", "cost_tier: cheap")


def on_coercion(root: Path) -> None:
    edit(root, PROVIDERS, ZAI_MODELS, "models: [glm-5, glm-4.7-flash, on]")


def underscore_number(root: Path) -> None:
    edit(root, PROVIDERS, "rate_limit_rpm: 40", "rate_limit_rpm: 1_000")


def timestamp(root: Path) -> None:
    edit(root, PROVIDERS, ZAI_MODELS, "models: [glm-5, glm-4.7-flash, 2026-01-01 10:00:00]")


def key_in_model_name(root: Path) -> None:
    edit(root, PROVIDERS, ZAI_MODELS, f"models: [glm-5, glm-4.7-flash, {KEY}]")


def key_in_api_base(root: Path) -> None:
    edit(root, PROVIDERS, "api_base: https://api.anthropic.com",
         f"api_base: https://api.anthropic.com/{KEY}")


def unknown_provider(root: Path) -> None:
    edit(root, ROLES, "      - zai/glm-5", "      - nowhere/model-x")


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "schema error": (schema_error, "SCHEMA-001"),
    "on read as a boolean": (on_coercion, "YAML-001"),
    "1_000 read as a number": (underscore_number, "YAML-001"),
    "a timestamp in a model id": (timestamp, "YAML-001"),
    "inline key in a model name": (key_in_model_name, "SEC-002"),
    "inline key in api_base": (key_in_api_base, "SEC-002"),
    "unknown provider in a role chain": (unknown_provider, "REG-002"),
}


def gates_at(root: Path, *args: str, today: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    extra = {"HOME": str(root.parent / "home")}
    if today:
        extra["SPINE_GATES_TODAY"] = today
    return run_gates(*args, "--root", str(root), env=gates_env(**extra))


def live_dir(root: Path) -> Path:
    return root.parent / "home" / ".claude-code-router"


def snapshot(directory: Path) -> dict[str, str]:
    """Every file in the live config's folder (config, backups, stamp) by content digest."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.iterdir())}


def deployed_once(root: Path) -> Path:
    """Sync the intact spine twice over a hand-written file, so the folder holds a live config,
    a backup and a stamp, then return the live config's path."""
    live = live_dir(root) / "config.json"
    live.parent.mkdir(parents=True)
    live.write_text('{"PORT": 3456, "Providers": [], "Router": {}}\n')
    done = gates_at(root, "sync", "--live", str(live))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in live.parent.iterdir()) != ["config.json"]
    return live


def assert_refused(done: subprocess.CompletedProcess[str], rule: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refusing to" in done.stderr and rule in done.stderr
    assert "waiver" in done.stderr  # says that waivers and baselines do not lift the block
    assert done.stdout == ""
    assert KEY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("case", list(BROKEN))
def test_compile_refuses_a_broken_ssot_and_writes_nothing(spine: Path, tmp_path: Path,
                                                          case: str) -> None:
    breaks, rule = BROKEN[case]
    breaks(spine)
    out = tmp_path / "config.json"
    done = gates_at(spine, "compile", "ccr", "--out", str(out))
    assert_refused(done, rule)
    assert not out.exists()


@pytest.mark.parametrize("case", list(BROKEN))
def test_sync_refuses_a_broken_ssot_and_leaves_live_backups_and_stamp_alone(
        spine: Path, case: str) -> None:
    live = deployed_once(spine)
    before = snapshot(live.parent)
    breaks, rule = BROKEN[case]
    breaks(spine)
    done = gates_at(spine, "sync", "--live", str(live))
    assert_refused(done, rule)
    assert snapshot(live.parent) == before


def test_sync_dry_run_shows_what_it_would_refuse(spine: Path) -> None:
    live = deployed_once(spine)
    before = snapshot(live.parent)
    key_in_api_base(spine)
    done = gates_at(spine, "sync", "--live", str(live), "--dry-run")
    assert_refused(done, "SEC-002")
    assert "sha256:" in done.stderr  # the key shows only as its fingerprint
    assert snapshot(live.parent) == before


def test_compile_to_stdout_refuses_too(spine: Path) -> None:
    underscore_number(spine)
    assert_refused(gates_at(spine, "compile", "ccr"), "YAML-001")


def test_a_waiver_does_not_lift_the_deploy_block(spine: Path, tmp_path: Path) -> None:
    key_in_model_name(spine)
    (spine / "waivers.yaml").write_text(
        "waivers:\n"
        "  - rule: SEC-002\n"
        f"    file: {PROVIDERS}\n"
        "    reason: rotating it this week\n"
        '    owner: "@ronny"\n'
        "    expires: 2099-01-01\n")
    policy = gates_at(spine, "run", "registry-policy")
    # a leaked key cannot be waived: the gate fails and says to rotate it
    assert policy.returncode == 1, policy.stdout
    assert "rotate it: the waiver at waivers.yaml:2" in policy.stdout
    out = tmp_path / "config.json"
    done = gates_at(spine, "compile", "ccr", "--out", str(out))
    assert_refused(done, "SEC-002")
    assert "waived" in done.stderr
    assert not out.exists()


def test_the_reference_spine_compiles_and_syncs(spine: Path, tmp_path: Path) -> None:
    out = tmp_path / "config.json"
    assert gates_at(spine, "compile", "ccr", "--out", str(out)).returncode == 0
    live = live_dir(spine) / "config.json"
    done = gates_at(spine, "sync", "--live", str(live))
    assert done.returncode == 0, done.stderr
    assert live.read_bytes() == out.read_bytes()


def test_expired_freshness_does_not_block_a_deploy(spine: Path, tmp_path: Path) -> None:
    later = "2027-06-01"  # every SSOT entry is months past its 21-day review window
    policy = gates_at(spine, "run", "registry-policy", today=later)
    assert policy.returncode == 1 and "SSOT-004" in policy.stdout
    out = tmp_path / "config.json"
    assert gates_at(spine, "compile", "ccr", "--out", str(out), today=later).returncode == 0
    assert out.exists()
    live = live_dir(spine) / "config.json"
    done = gates_at(spine, "sync", "--live", str(live), today=later)
    assert done.returncode == 0, done.stderr
    assert live.exists()


def test_a_warning_does_not_block_a_deploy(spine: Path, tmp_path: Path) -> None:
    edit(spine, PROVIDERS, ZAI_MODELS, "models: [glm-5, glm-4.7-flash, many]")
    policy = gates_at(spine, "run", "registry-policy")
    assert policy.returncode == 0 and "REG-004 [warning]" in policy.stdout
    out = tmp_path / "config.json"
    assert gates_at(spine, "compile", "ccr", "--out", str(out)).returncode == 0
    live = live_dir(spine) / "config.json"
    assert gates_at(spine, "sync", "--live", str(live)).returncode == 0
    assert live.read_bytes() == out.read_bytes()


def test_adopt_is_not_a_deploy(spine: Path) -> None:
    live = deployed_once(spine)
    underscore_number(spine)
    done = gates_at(spine, "adopt", "--live", str(live))
    assert done.returncode == 0, done.stderr
