"""`gates failover watch` through the real CLI, round by round with `--once` and a pinned clock
(SPINE_GATES_NOW), against fake providers on 127.0.0.1 whose `openai` (the primary of the
default and webSearch slots) is told to hang, recover or flap between rounds."""

from __future__ import annotations

import datetime as _dt
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spine_gates.failover.watch_state import state_path
from tests.failover.cli_setup import Armed, arm
from tests.health.fakes import KEYS, FakeProviders, closed_port, models_body
from tests.helpers import one_error_line, run_gates

T0 = _dt.datetime(2026, 12, 3, 9, 0, tzinfo=_dt.UTC)
PRIMARY = "openai,o4-mini"
SLOTS = ["default", "webSearch"]
CHAT = {"id": "c", "object": "chat.completion", "model": "o4-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "."},
                     "finish_reason": "length"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def at(seconds: float) -> str:
    return (T0 + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Watched:
    armed: Armed
    fake: FakeProviders
    env: dict[str, str]

    def once(self, seconds: float, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_gates(*self.args("--once", *extra),
                         env={**self.env, "SPINE_GATES_NOW": at(seconds)})

    def args(self, *extra: str) -> list[str]:
        return ["failover", "watch", "--root", str(self.armed.spine), "--live",
                str(self.armed.live), "--timeout", "1", "--deadline", "2", *extra]

    def overrides(self, seconds: float) -> list[dict[str, Any]]:
        proc = run_gates("failover", "status", "--live", str(self.armed.live), "--format",
                         "json", env={**self.env, "SPINE_GATES_NOW": at(seconds)})
        assert proc.returncode == 0, proc.stderr
        entries: list[dict[str, Any]] = json.loads(proc.stdout)["overrides"]
        return entries

    def hang(self) -> None:
        self.fake.script("openai", delay=3.0)  # past the 1 s probe timeout

    def heal(self, completions: bool = True) -> None:
        self.fake.scripts.pop("openai POST", None)
        self.fake.script("openai", body=models_body("o4-mini", "gpt-5"))
        if completions:
            self.fake.script("openai", body=CHAT, method="POST")
        else:
            self.fake.script("openai", delay=3.0, method="POST")  # the catalogue answers

    def completions_sent(self) -> int:
        return sum(1 for s in self.fake.seen
                   if s.provider == "openai" and s.path.endswith("/chat/completions"))

    def receipts(self) -> list[dict[str, Any]]:
        """The failover chain's predicates, oldest first."""
        from spine_gates.failover.receipt import chain_dir

        found = sorted(chain_dir(self.armed.spine).rglob("*.dsse.json"))
        out = []
        for path in found:
            import base64

            envelope = json.loads(path.read_text())
            out.append(json.loads(base64.b64decode(envelope["payload"]))["predicate"])
        return sorted(out, key=lambda p: p["time"])


def _settings(armed: Armed, watch: str) -> None:
    (armed.spine / "spine-gates.yaml").write_text(
        "failover:\n  router_module: true\n" + watch)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    armed = arm(tmp_path, openai="healthy")
    with FakeProviders() as fake:
        fake.all_healthy()
        env = {**armed.env, **armed.signed(), **KEYS,
               "SPINE_GATES_API_BASE_OVERRIDES": fake.overrides()}
        yield Watched(armed, fake, env)


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_hung_primary_is_failed_over_and_handed_back_only_after_a_completion_answers(
        watched: Watched) -> None:
    w = watched
    w.hang()
    assert "bad round 1 of 2" in _ok(w.once(0))
    assert w.overrides(0) == []
    applied = _ok(w.once(30))
    assert applied.count("applied fo-") == 2 and "unreachable: no answer within 1 s" in applied
    assert sorted(o["slot"] for o in w.overrides(30)) == SLOTS
    # the catalogue answers again while completions still hang
    w.heal(completions=False)
    assert "looks healthy" in _ok(w.once(60))
    assert "reverted" not in _ok(w.once(200))  # within the 5 min hold: not even probed
    assert w.completions_sent() == 0
    failed = _ok(w.once(60 + 301))
    assert f"recovery probe {PRIMARY}: failed" in failed and "reverted" not in failed
    assert w.completions_sent() == 1
    assert [o["state"] for o in w.overrides(361)] == ["active", "active"]
    w.heal()
    assert "looks healthy" in _ok(w.once(420))  # the hold starts over
    assert "recovery probe" not in _ok(w.once(420 + 301 - 60))
    back = _ok(w.once(420 + 301))
    assert f"recovery probe {PRIMARY}: answered" in back and back.count("reverted fo-") == 2
    assert w.overrides(721) == []
    assert w.completions_sent() == 2  # one per recovery_probe_interval, on that route only
    actions = [(p["action"], p["actor"]) for p in w.receipts()]
    assert [a for a, _ in actions] == ["apply", "revert"]
    assert all(actor.startswith("watcher:") for _, actor in actions)
    verify = w.armed.gates("receipts", "verify", "--root", str(w.armed.spine))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_an_outage_longer_than_the_ttl_stays_covered_by_renewals(watched: Watched) -> None:
    w = watched
    _settings(w.armed, "  default_ttl: 2m\n  watch:\n    bad_probes: 1\n")
    w.hang()
    _ok(w.once(0))
    first = {o["slot"]: o for o in w.overrides(0)}
    assert "renewed" not in _ok(w.once(30))  # 90 s left: more than the renew margin (60 s)
    renewed = _ok(w.once(70))
    assert renewed.count("renewed fo-") == 2, renewed
    now = {o["slot"]: o for o in w.overrides(70)}
    for slot in SLOTS:
        assert now[slot]["id"] != first[slot]["id"] and now[slot]["route"] == first[slot]["route"]
        assert now[slot]["expires_at"] == at(70 + 120) and now[slot]["state"] == "active"
        assert now[slot]["reason"] == "no answer within 1 s"
    assert [o["state"] for o in w.overrides(150)] == ["active", "active"]  # past the first TTL
    notes = [p["note"] for p in w.receipts()]
    assert notes[-1].startswith("renews ")


def test_a_provider_flapping_every_probe_is_failed_over_once_and_never_handed_back(
        watched: Watched) -> None:
    w = watched
    _settings(w.armed, "  watch:\n    bad_probes: 1\n")
    out = ""
    for round_ in range(10):
        if round_ % 2 == 0:
            w.hang()
        else:
            w.heal()
        out += _ok(w.once(30 * round_))
    assert out.count("applied fo-") == 2 and "reverted" not in out
    assert w.completions_sent() == 0  # never healthy for the 5 min hold


def test_the_change_cap_holds_and_is_said_once(watched: Watched) -> None:
    w = watched
    _settings(w.armed, "  watch:\n    bad_probes: 1\n    hold: 1s\n"
                       "    recovery_probe_interval: 1s\n    max_changes_per_hour: 4\n")
    out = []
    for round_ in range(9):  # down one round, up two: faster than an hour allows
        if round_ % 3 == 0:
            w.hang()
        else:
            w.heal()
        out.append(_ok(w.once(30 * round_)))
    text = "".join(out)
    changes = text.count("applied fo-") + text.count("reverted fo-")
    assert changes == 4, text
    assert text.count("change cap reached") == 1, text
    assert "changing no route until " + at(3600) in text
    assert "applied" not in "".join(out[4:]), text
    # the hour after the first change the cap lifts
    w.hang()
    assert _ok(w.once(3600 + 10)).count("applied fo-") == 2


def test_a_watcher_killed_mid_apply_converges_on_the_next_run(watched: Watched) -> None:
    w = watched
    _settings(w.armed, "  watch:\n    bad_probes: 1\n    max_changes_per_hour: 100\n")
    env = {**w.env, "SPINE_GATES_API_BASE_OVERRIDES": w.fake.overrides(
        openai=f"http://127.0.0.1:{closed_port()}/v1"), "SPINE_GATES_NOW": at(0)}
    command = [sys.executable, "-m", "spine_gates", *w.args("--once")]
    started = time.monotonic()
    _ok(subprocess.run(command, env=env, capture_output=True, text=True, timeout=60))
    whole = time.monotonic() - started
    rng = random.Random(14)
    for _ in range(5):
        assert w.armed.failover("revert", "--all", **w.armed.signed()).returncode == 0
        delay = rng.uniform(0.1, whole * 1.1)
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert rerun.returncode == 0, (delay, rerun.stderr)
        states = [o["state"] for o in w.overrides(0)]
        assert states == ["active", "active"], (delay, states, rerun.stdout)
        verify = w.armed.gates("receipts", "verify", "--root", str(w.armed.spine), "--format",
                               "json")
        assert verify.returncode == 0 and json.loads(verify.stdout)["failover"]["ok"], (
            delay, verify.stdout)


def _start(w: Watched, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "spine_gates", *w.args(*extra)],
                            env=w.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("watching "), first + (proc.stderr.read() if proc.stderr else "")
    return proc


def test_two_watchers_of_one_live_config_the_second_exits_and_a_timer_run_is_harmless(
        watched: Watched) -> None:
    w = watched
    first = _start(w, "--interval", "3600")
    try:
        overlap = w.once(0)
        assert overlap.returncode == 0, overlap.stderr
        assert f"another failover watcher (pid {first.pid}) is watching" in overlap.stdout
        assert "this run changed nothing" in overlap.stdout
        second = run_gates(*w.args("--interval", "5"), env=w.env, timeout=30)
        one_error_line(second, f"another failover watcher (pid {first.pid})",
                       "one watcher per live config")
    finally:
        first.send_signal(signal.SIGTERM)
        code = first.wait(timeout=30)
    assert code == 0
    assert w.once(0).returncode == 0  # the lock went with it


def test_a_corrupted_watch_state_is_exit_3_and_left_as_it_is(watched: Watched) -> None:
    path = state_path(watched.armed.live)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "bad": {"default": {"route": 3}}}')
    proc = watched.once(0)
    one_error_line(proc, str(path), "corrupted failover watch state", "fix or remove the file")
    assert path.read_text() == '{"version": 1, "bad": {"default": {"route": 3}}}'


def test_watch_refuses_without_the_router_module_or_a_signing_key(tmp_path: Path) -> None:
    armed = arm(tmp_path, openai="healthy", module=False)
    proc = armed.failover("watch", "--once", **armed.signed())
    one_error_line(proc, "failover router module is not named by the live config")
    (armed.spine / "spine-gates.yaml").write_text("failover:\n  router_module: true\n")
    from spine_gates.failover import router_module

    compiled = armed.gates("compile", "ccr", "--root", str(armed.spine), "--out",
                           str(armed.live))
    assert compiled.returncode == 0, compiled.stderr
    router_module.install(armed.live)
    one_error_line(armed.failover("watch", "--once"), "signing key")
    bad = armed.failover("watch", "--once", "--interval", "0", **armed.signed())
    one_error_line(bad, "--interval")


def test_a_persons_apply_and_revert_receipts_name_user_at_host(tmp_path: Path) -> None:
    import getpass
    import socket

    armed = arm(tmp_path)
    assert armed.failover("apply", "--from-cache", "--yes", **armed.signed()).returncode == 0
    assert armed.failover("revert", "--all", **armed.signed()).returncode == 0
    predicates = Watched(armed, None, {}).receipts()  # type: ignore[arg-type]
    assert [(p["action"], p["actor"]) for p in predicates] == [
        ("apply", f"{getpass.getuser()}@{socket.gethostname()}"),
        ("revert", f"{getpass.getuser()}@{socket.gethostname()}")]
