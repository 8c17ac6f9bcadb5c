"""`gates session check` with the team's Redis configured: the foreground reads this machine's
snapshot only, so a Redis that never answers costs it nothing; the background refresh gives up
within `state.timeout_s` and the next brief says why."""

from __future__ import annotations

import time
from pathlib import Path

from tests.redis.machines import RedisServer, machine
from tests.redis.test_shared_health import _silent_server


def test_session_check_never_waits_for_a_hung_redis_and_the_next_brief_says_why(
        tmp_path: Path, team_spine: Path, redis_server: RedisServer, prefix: str) -> None:
    m = machine(tmp_path, "a", redis_server, SPINE_GATES_HEALTH_REFRESH="1",
                SPINE_GATES_API_BASE_OVERRIDES="")
    with _silent_server() as port:
        url = f"redis://127.0.0.1:{port}/0"
        (team_spine / "spine-gates.yaml").write_text(
            redis_server.state_block(prefix, url, "  timeout_s: 0.5\n"))
        started = time.monotonic()
        first = m.gates("session", "check", "--root", str(team_spine))
        took = time.monotonic() - started
        assert first.returncode == 0, first.stderr
        assert "refreshing in the background" in first.stdout
        assert took < 3, took  # a whole process start; the hook's budget is 15 s
        deadline = time.monotonic() + 30
        while True:
            brief = m.gates("session", "check", "--root", str(team_spine))
            assert brief.returncode == 0
            if "last refresh failed" in brief.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert f"last refresh failed: spine-gates.yaml:3: the shared state store {url} did not " \
           "answer" in brief.stdout
