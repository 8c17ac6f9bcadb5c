"""Two machines, one Redis: breakers and a key's rate budget are the team's, the password is a
reference that never shows, and a Redis that does not answer is one clear line, never a hang."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.health.fakes import FakeProviders, closed_port
from tests.helpers import one_error_line
from tests.redis.machines import Machine, RedisServer, machine, provider


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    with FakeProviders() as server:
        server.all_healthy()
        yield server


@pytest.fixture
def two(tmp_path: Path, redis_server: RedisServer, fake: FakeProviders) -> tuple[Machine, Machine]:
    probes = {"SPINE_GATES_API_BASE_OVERRIDES": fake.overrides()}
    return (machine(tmp_path, "a", redis_server, **probes),
            machine(tmp_path, "b", redis_server, **probes))


def test_a_breaker_opened_on_one_machine_is_open_on_the_other(
        team_spine: Path, two: tuple[Machine, Machine], fake: FakeProviders) -> None:
    a, b = two
    fake.script("anthropic", status=529, body={"type": "error",
                                               "error": {"type": "overloaded_error"}})
    assert provider(a.status(team_spine), "anthropic")["state"] == "overloaded"
    seen = provider(b.status(team_spine, "--offline"), "anthropic")  # b sends nothing
    assert seen["state"] == "overloaded"
    assert seen["source"] == "breaker" and "breaker open since" in seen["reason"]
    local = sqlite3.connect(b.state / "spine-gates" / "health.sqlite3")
    assert local.execute("SELECT COUNT(*) FROM breakers").fetchone() == (0,)  # not b's own
    local.close()


def test_a_keys_budget_counts_every_machines_requests_against_its_rate_limit(
        team_spine: Path, two: tuple[Machine, Machine]) -> None:
    a, b = two
    for _ in range(2):  # a second try when the two runs straddled a minute
        first = provider(a.status(team_spine), "nvidia_nim")["budget"]
        second = provider(b.status(team_spine), "nvidia_nim")["budget"]
        if first["minute"] == second["minute"]:
            break
    assert second["minute"] == first["minute"]
    assert second["used"] == first["used"] + 1
    assert second["limit_rpm"] == 40
    assert second["remaining"] == 40 - second["used"]
    assert second["sources"] == {"probes": second["used"], "gateway": 0}  # no gateway here
    text = b.gates("providers", "status", "--root", str(team_spine), "--offline")
    assert f"budget this minute: {second['used']}/40 requests, team-wide" in text.stdout


def test_the_budget_is_the_teams_only_one_machines_sqlite_reports_none(
        tmp_path: Path, two: tuple[Machine, Machine]) -> None:
    from tests.helpers import copy_reference_spine

    a, _ = two
    spine = copy_reference_spine(tmp_path / "local")
    assert "budget" not in provider(a.status(spine), "nvidia_nim")
    (spine / "spine-gates.yaml").write_text("state:\n  backend: sqlite\n  url: redis://x\n")
    one_error_line(a.gates("providers", "status", "--root", str(spine)),
                   "spine-gates.yaml:3:", "state.url applies to backend: redis only")


def test_a_redis_that_refuses_is_one_line_naming_the_setting_and_exit_3(
        team_spine: Path, two: tuple[Machine, Machine], redis_server: RedisServer,
        prefix: str) -> None:
    a, _ = two
    url = f"redis://127.0.0.1:{closed_port()}/0"
    (team_spine / "spine-gates.yaml").write_text(redis_server.state_block(prefix, url))
    proc = a.gates("providers", "status", "--root", str(team_spine))
    one_error_line(proc, "spine-gates.yaml:3:", f"the shared state store {url} did not answer",
                   "state.backend: sqlite")


def test_a_redis_that_never_answers_fails_within_its_timeout(
        team_spine: Path, two: tuple[Machine, Machine], redis_server: RedisServer,
        prefix: str) -> None:
    a, _ = two
    with _silent_server() as port:
        url = f"redis://127.0.0.1:{port}/0"
        (team_spine / "spine-gates.yaml").write_text(
            redis_server.state_block(prefix, url, "  timeout_s: 0.5\n"))
        started = time.monotonic()
        proc = a.gates("providers", "status", "--root", str(team_spine), "--offline")
        took = time.monotonic() - started
    one_error_line(proc, f"the shared state store {url} did not answer")
    assert took < 5, took


def test_the_password_is_a_reference_and_a_wrong_one_is_never_printed(
        team_spine: Path, two: tuple[Machine, Machine], redis_server: RedisServer,
        prefix: str) -> None:
    a, _ = two
    wrong = "not-the-password-0123456789abcdef"
    proc = a.gates("providers", "status", "--root", str(team_spine), "--offline",
                   SPINE_GATES_REDIS_PASSWORD=wrong)
    assert proc.returncode == 3, proc.stderr
    assert wrong not in proc.stdout + proc.stderr
    assert redis_server.password not in proc.stdout + proc.stderr
    with_url = redis_server.state_block(prefix, f"redis://:{wrong}@127.0.0.1:1/0")
    (team_spine / "spine-gates.yaml").write_text(with_url)
    proc = a.gates("providers", "status", "--root", str(team_spine), "--offline")
    one_error_line(proc, "spine-gates.yaml:3:", "state.url carries a password")
    assert wrong not in proc.stderr


@contextmanager
def _silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
