"""Hanging providers never hold up `providers status`: not its result, not its exit.

The probes run on a daemon thread while the command does the rest of its set-up; these tests
pin the behaviour that follows (states, reasons, exit codes, cancellation, no thread left, the
collector restored). Timing belongs to benchmarks/health: here a process that waited for a hung
connection would run into the subprocess timeout (60 s, against probe timeouts of 1-2 s).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.health.fakes import KEYS, PROVIDERS, FakeProviders, models_body
from tests.health.health_helpers import assert_no_keys
from tests.helpers import REPO, run_gates

HANG = 3600.0  # far longer than any subprocess timeout below


def _hang_all(fake: FakeProviders) -> None:
    for ident in PROVIDERS:
        fake.script(ident, body=models_body("m"), delay=HANG)


def test_every_provider_hanging_ends_at_the_timeout_with_every_role_down(spine, fake,
                                                                         health_env):
    _hang_all(fake)
    proc = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                     "--timeout", "1", "--deadline", "5", env=health_env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert {p["id"]: (p["state"], p["reason"]) for p in data["providers"]} == {
        ident: ("unreachable", "no answer within 1 s") for ident in PROVIDERS}
    assert {r["status"] for r in data["roles"]} == {"down"}
    assert data["exit_code"] == 2
    assert_no_keys(proc.stdout + proc.stderr)


def test_the_overall_deadline_cuts_probes_whose_own_timeout_is_longer(spine, fake, health_env):
    fake.script("zai", body=models_body("glm-5"), delay=HANG)
    proc = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                     "--timeout", "300", "--deadline", "1", env=health_env, timeout=60)
    assert proc.returncode == 0, proc.stderr  # zai is no role's primary: every role healthy
    zai = next(p for p in json.loads(proc.stdout)["providers"] if p["id"] == "zai")
    assert zai["state"] == "unreachable"
    assert zai["reason"] == "no answer before the overall deadline (1 s)"


def test_text_output_with_hanging_providers_is_complete(spine, fake, health_env):
    fake.script("openai", body=models_body("o4-mini"), delay=HANG)
    proc = run_gates("providers", "status", "--root", str(spine), "--timeout", "1",
                     "--deadline", "3", env=health_env, timeout=60)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("openai ") and "unreachable" in line
               and "no answer within 1 s" in line for line in lines)
    assert lines[-1].startswith("2 healthy, 1 degraded, 0 down")


def test_a_set_up_failure_while_probes_hang_is_exit_3_without_waiting(spine, fake, health_env,
                                                                      tmp_path):
    """The state store cannot be opened (its directory is a file): the probes are abandoned."""
    _hang_all(fake)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = dict(health_env, XDG_STATE_HOME=str(blocker))
    proc = run_gates("providers", "status", "--root", str(spine), "--timeout", "600",
                     "--deadline", "900", env=env, timeout=60)
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.startswith("gates: error: ")
    assert "cannot open the health state store" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert_no_keys(proc.stderr)


def _targets(spine: Path, fake: FakeProviders) -> list:
    from spine_gates.health.targets import build_targets, parse_overrides
    from spine_gates.model.spine import load_config, load_documents

    env = dict(KEYS, SPINE_GATES_API_BASE_OVERRIDES=fake.overrides())
    registry = load_documents(spine, load_config(spine))["providers"].data["providers"]
    return build_targets(registry, env, parse_overrides(None, env))


def _probe_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "spine-gates-probes"]


def test_start_probes_returns_while_probes_are_in_flight_and_cancel_stops_them(spine, fake):
    from spine_gates.health.runner import start_probes

    fake.script("zai", body=models_body("glm-5"), delay=HANG)
    flight = start_probes(_targets(spine, fake), timeout=600, deadline=900)
    try:
        assert not flight.finished()  # zai cannot answer: the loop is still waiting for it
    finally:
        flight.cancel()
    assert flight.finished()
    assert _probe_threads() == []


def test_run_probes_returns_every_provider_and_leaves_no_thread(spine, fake):
    from spine_gates.health.runner import run_probes

    fake.script("nvidia_nim", body=models_body("z-ai/glm5"), delay=HANG)
    results = run_probes(_targets(spine, fake), timeout=1, deadline=5)
    assert set(results) == set(PROVIDERS)
    assert results["nvidia_nim"].reason == "no answer within 1 s"
    assert results["anthropic"].state.value == "healthy"
    assert _probe_threads() == []


def test_the_command_restores_the_garbage_collector_in_process(spine, health_env, monkeypatch,
                                                               capsys):
    """Called in-process (not as its own process), the command leaves the collector on."""
    from spine_gates.cli import main

    for name in ("SPINE_GATES_API_BASE_OVERRIDES", "XDG_STATE_HOME", "HOME",
                 "SPINE_GATES_HEALTH_REFRESH", *KEYS):
        monkeypatch.setenv(name, health_env[name])
    assert gc.isenabled()
    try:
        code = main(["providers", "status", "--root", str(spine), "--format", "json",
                     "--timeout", "2"])
    finally:
        gc.unfreeze()
    assert code == 0
    assert gc.isenabled()
    assert json.loads(capsys.readouterr().out)["summary"]["roles"]["healthy"] == 3


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_command_loads_no_unrelated_heavy_library(spine, health_env, fmt):
    """Schema validation, diffing, JMESPath, git, crypto and httpx's own CLI are not needed."""
    code = ("import sys; from spine_gates.cli import main; rc = main(['providers', 'status', "
            f"'--root', {str(spine)!r}, '--timeout', '2', '--format', {fmt!r}]); "
            "heavy = [m for m in ('cerberus', 'deepdiff', 'jmespath', 'git', 'cryptography', "
            "'infisical_sdk', 'click', 'pygments', 'rich', 'spine_gates.gates', "
            "'spine_gates.policy') if m in sys.modules]; print('HEAVY', heavy, rc, "
            "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=health_env,
                          capture_output=True, text=True, timeout=60)
    assert "HEAVY [] 0" in proc.stderr, proc.stderr
