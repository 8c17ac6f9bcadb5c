"""Which spine a command acts on: no silent pass outside a spine, writers never on the bundled one.

A directory with a registry (`docs/governance/*.yaml`) or `spine-gates.yaml` is a spine; nothing
else falls back. Outside a spine a command that needs one exits 3 naming what it looked for and
the ways out (`--root DIR`, `--reference`); the commands that write (`sync`, `adopt`,
`baseline create`, `receipts keygen`) never act on the bundled reference spine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_gates.model.spine import bundled_dir
from tests.helpers import REPO, gates_env, run_gates

KEY_NAME = "discovery-test-signer"  # a name no real key uses, so cleanup is exact
LIVE_CONFIG = {
    "LOG": False,
    "Providers": [{"name": "mine", "api_base_url": "http://127.0.0.1:9/v1/chat/completions",
                   "api_key": "$MINE_API_KEY", "models": ["my-model"]}],
    "Router": {"default": "mine,my-model"},
}


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory that is not a spine: no registries, no spine-gates.yaml."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a spine\n")
    return folder


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Home, state, cache and config in the tmp dir; no background provider refresh."""
    home = tmp_path / "home"
    home.mkdir()
    return gates_env(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
                     XDG_CACHE_HOME=str(tmp_path / "cache"),
                     XDG_CONFIG_HOME=str(tmp_path / "config"), SPINE_GATES_HEALTH_REFRESH="0")


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A real live router config someone depends on."""
    path = tmp_path / "router" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(LIVE_CONFIG, indent=2) + "\n")
    return path


class BundledWatch:
    """What a writer could leave in the bundled spine: a baseline and public keys."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.baseline = root / ".spine-gates-baseline.json"
        self.baseline_bytes = self.baseline.read_bytes() if self.baseline.exists() else None
        self.receipts = self._receipt_files()

    def _receipt_files(self) -> set[Path]:
        folder = self.root / "receipts"
        return {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()

    def changes(self) -> list[str]:
        now = self.baseline.read_bytes() if self.baseline.exists() else None
        changed = [str(self.baseline)] if now != self.baseline_bytes else []
        return changed + sorted(str(p) for p in self._receipt_files() - self.receipts)

    def restore(self) -> None:
        for path in self._receipt_files() - self.receipts:
            path.unlink()
        if self.baseline_bytes is None:
            self.baseline.unlink(missing_ok=True)
        else:
            self.baseline.write_bytes(self.baseline_bytes)


@pytest.fixture
def bundled() -> Iterator[BundledWatch]:
    """Watches the bundled spine; puts it back even when the code under test wrote into it."""
    watch = BundledWatch(bundled_dir("spine").resolve())
    yield watch
    watch.restore()


def gates_in(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_gates(*args, cwd=cwd, env=env)


def assert_no_spine(result: subprocess.CompletedProcess[str], offers_reference: bool = True,
                    ) -> None:
    """Exit 3, one line naming what was looked for and the ways out; nothing on stdout."""
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gates: error: "), result.stderr
    for looked_for in ("spine-gates.yaml", "docs/governance/PROVIDER_REGISTRY.yaml"):
        assert looked_for in result.stderr
    assert "--root DIR" in result.stderr
    assert ("--reference" in result.stderr) is offers_reference, result.stderr




# outside a spine, a command that needs one says so ---------------------------------------------

def test_run_all_outside_a_spine_exits_3_naming_what_it_looked_for(elsewhere, env):
    assert_no_spine(gates_in(elsewhere, env, "run", "all"))


def test_the_pre_commit_gate_outside_a_spine_exits_3(elsewhere, env):
    assert_no_spine(gates_in(elsewhere, env, "run", "registry-policy"))


@pytest.mark.parametrize("command", [
    ("providers", "status", "--offline"),
    ("route", "resilience"),
    ("secrets", "check", "--offline"),
    ("compile", "ccr"),
    ("receipts", "verify"),
])
def test_read_commands_outside_a_spine_exit_3(elsewhere, env, bundled, command):
    assert_no_spine(gates_in(elsewhere, env, *command))


def test_a_root_that_is_not_a_spine_names_what_was_looked_for(elsewhere, env):
    result = run_gates("run", "registry-policy", "--root", str(elsewhere), env=env)
    assert_no_spine(result)
    assert str(elsewhere) in result.stderr


def test_a_folder_inside_a_spine_points_at_the_spine_above(spine, env):
    inside = spine / "docs" / "governance"
    result = gates_in(inside, env, "run", "registry-policy")
    assert_no_spine(result)
    assert f"--root {spine.resolve()}" in result.stderr


# writers never act on the bundled spine ---------------------------------------------------------

def test_sync_outside_a_spine_leaves_the_live_config_byte_identical(elsewhere, env, live):
    before = live.read_bytes()
    result = gates_in(elsewhere, env, "sync", "--live", str(live))
    assert live.read_bytes() == before
    assert sorted(p.name for p in live.parent.iterdir()) == ["config.json"]  # no backup either
    assert_no_spine(result, offers_reference=False)
    assert "sync never acts on the bundled reference spine" in result.stderr


def test_adopt_outside_a_spine_prints_no_patch(elsewhere, env, live):
    result = gates_in(elsewhere, env, "adopt", "--live", str(live))
    assert_no_spine(result, offers_reference=False)


def test_baseline_create_outside_a_spine_writes_nothing(elsewhere, env, bundled):
    result = gates_in(elsewhere, env, "baseline", "create")
    assert bundled.changes() == []
    assert sorted(p.name for p in elsewhere.iterdir()) == ["notes.txt"]
    assert_no_spine(result, offers_reference=False)


def test_keygen_outside_a_spine_writes_no_key(elsewhere, env, bundled, tmp_path):
    private = tmp_path / "keys" / "signer.key"
    result = gates_in(elsewhere, env, "receipts", "keygen", "--name", KEY_NAME,
                      "--out", str(private))
    assert bundled.changes() == []
    assert not private.exists()
    assert_no_spine(result, offers_reference=False)


@pytest.mark.parametrize("command", [
    ("sync",), ("adopt",), ("baseline", "create"), ("receipts", "keygen", "--name", KEY_NAME),
])
def test_writers_refuse_the_bundled_spine_even_when_asked(elsewhere, env, live, bundled,
                                                          tmp_path, command):
    before = live.read_bytes()
    extra = ("--live", str(live)) if command[0] in ("sync", "adopt") else \
        ("--out", str(tmp_path / "signer.key")) if command[0] == "receipts" else ()
    result = gates_in(elsewhere, env, *command, *extra, "--reference")
    assert result.returncode == 3, result.stdout + result.stderr
    name = " ".join(command[:2]) if command[0] in ("baseline", "receipts") else command[0]
    assert f"{name} never acts on the bundled reference spine" in result.stderr
    assert "--root DIR" in result.stderr
    assert result.stdout == ""
    assert live.read_bytes() == before
    assert bundled.changes() == []


def test_a_gate_run_on_the_reference_spine_refuses_to_write_a_receipt(elsewhere, env, bundled):
    result = gates_in(elsewhere, env, "run", "registry-policy", "--reference", "--receipt")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "--receipt" in result.stderr and "bundled reference spine" in result.stderr
    assert bundled.changes() == []


def test_ci_runs_on_the_reference_spine_without_a_receipt_or_a_key_warning(elsewhere, env):
    result = gates_in(elsewhere, {**env, "CI": "true"}, "run", "registry-policy", "--reference")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "receipt" not in result.stderr


# --reference asks for the bundled spine on purpose ----------------------------------------------

@pytest.mark.parametrize("command", [
    ("run", "all"),
    ("run", "registry-policy"),
    ("route", "resilience"),
    ("secrets", "check", "--offline"),
])
def test_reference_checks_the_bundled_spine_on_purpose(elsewhere, env, command):
    result = gates_in(elsewhere, env, *command, "--reference")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout


def test_reference_and_root_together_is_a_usage_error(spine, env):
    result = run_gates("run", "registry-policy", "--reference", "--root", str(spine), env=env)
    assert result.returncode == 3
    assert "--reference" in result.stderr and "--root" in result.stderr
    assert "not allowed with" in result.stderr


# session check never blocks, and says when there is no spine -----------------------------------

def test_session_check_outside_a_spine_says_there_is_no_spine(elsewhere, env):
    result = gates_in(elsewhere, env, "session", "check")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("provider_brief: "), result.stdout
    assert "no spine" in lines[0]
    assert "--root DIR" in lines[0]


def test_session_check_with_reference_briefs_the_bundled_spine(elsewhere, env):
    result = gates_in(elsewhere, env, "session", "check", "--reference")
    assert result.returncode == 0
    assert result.stdout.startswith("provider_brief: ")
    assert "no spine" not in result.stdout and "ignored" not in result.stdout


# what needs no spine, and what still is one ----------------------------------------------------

def test_gates_list_needs_no_spine(elsewhere, env):
    result = gates_in(elsewhere, env, "list")
    assert result.returncode == 0
    assert "registry-policy" in result.stdout


def test_policy_rules_outside_a_spine_shows_the_shipped_catalogue(elsewhere, env):
    result = gates_in(elsewhere, env, "policy", "rules", "--format", "json")
    assert result.returncode == 0, result.stderr
    packs = {rule["pack"] for rule in json.loads(result.stdout)["rules"]}
    assert "built-in" in packs and not any(p.startswith("spine:") for p in packs)


def test_policy_test_outside_a_spine_tests_the_shipped_packs_and_says_so(elsewhere, env):
    result = gates_in(elsewhere, env, "policy", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
    assert "shipped rule packs" in result.stderr


def test_route_explain_of_a_router_config_needs_no_spine(elsewhere, env, live, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 10,
                                   "messages": [{"role": "user", "content": "hi"}]}))
    result = gates_in(elsewhere, env, "route", "explain", str(request), "--ccr-config", str(live))
    assert result.returncode == 0, result.stderr
    assert "mine" in result.stdout


def test_a_spine_whose_config_moves_the_registries_is_still_a_spine(tmp_path, env):
    moved = tmp_path / "moved"
    registries = moved / "registries"
    shutil.copytree(REPO / "docs" / "governance", registries)
    shutil.copytree(REPO / "docs" / "brain", moved / "docs" / "brain")
    (moved / "spine-gates.yaml").write_text(
        "registries:\n"
        "  providers: registries/PROVIDER_REGISTRY.yaml\n"
        "  cli_interfaces: registries/CLI_INTERFACE_REGISTRY.yaml\n"
        "  roles: registries/ROLE_PROVIDER_MAPS.yaml\n"
        "  ssot: registries/SSOT_REGISTRY.yaml\n")
    result = gates_in(moved, env, "run", "registry-policy", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert "registries/PROVIDER_REGISTRY.yaml" in json.loads(result.stdout)["files"]


def test_the_project_checkout_is_a_spine(env):
    result = gates_in(REPO, env, "run", "registry-policy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundled" not in result.stderr
