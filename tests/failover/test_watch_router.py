"""A real `gates failover watch --interval 1` beside the real claude-code-router 2.0.0, stopped
with SIGTERM: a primary that hangs is failed over and back without a person, and a router
restarted under the watcher keeps serving the override (the module reads the override file on
every request; the watcher never talks to the router).

The router's upstream is a fake on loopback (tests/routing/upstream.py); the watcher's probes go
to fake providers (tests/health/fakes.py) told the same story."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.ccr.ccr_fakes import Router
from tests.failover.router_helpers import DEFAULT_BODY, HANG_S, ask, router_env
from tests.failover.test_failover_e2e import FALLBACK, PRIMARY, deploy
from tests.failover.test_watch_cli import CHAT
from tests.health.fakes import KEYS, FakeProviders, models_body
from tests.routing.upstream import Behaviour, RoutingUpstream


class Lines:
    """A running process' stdout, line by line, read on a thread (never blocks the test)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._queue.put(line)

    def rest(self) -> str:
        """Every line not yet seen, once the process has ended."""
        self._thread.join(timeout=10)
        lines = []
        while not self._queue.empty():
            lines.append(self._queue.get())
        self.seen += lines
        return "".join(lines)

    def wait_for(self, needle: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(needle in line for line in self.seen) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"no {needle!r} within {timeout} s: {''.join(self.seen)}"
            try:
                self.seen.append(self._queue.get(timeout=left))
            except queue.Empty:
                continue


def test_a_running_watcher_fails_a_hung_primary_over_and_back_across_a_router_restart(
        tmp_path: Path) -> None:
    upstream = RoutingUpstream().start()
    router: Router | None = None
    watcher: subprocess.Popen[str] | None = None
    try:
        spine, live, port, env = deploy(tmp_path, upstream)
        with (spine / "spine-gates.yaml").open("a") as handle:
            handle.write("  watch:\n    hold: 2s\n    recovery_probe_interval: 1s\n")
        router = Router(live.parent.parent, port, router_env(json.loads(live.read_text())))
        router.start()
        with FakeProviders() as fake:
            fake.all_healthy()
            upstream.configure({"openai": Behaviour(close=True, delay=HANG_S)})
            fake.script("openai", delay=3.0)
            assert ask(port, DEFAULT_BODY, timeout=2)[0] == 0, "the hung primary times out"
            watcher = subprocess.Popen(
                [sys.executable, "-m", "spine_gates", "failover", "watch", "--root", str(spine),
                 "--live", str(live), "--interval", "1", "--timeout", "1", "--deadline", "2"],
                env={**env, **KEYS, "SPINE_GATES_API_BASE_OVERRIDES": fake.overrides()},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            out = Lines(watcher)
            out.wait_for("watching ")
            out.wait_for("applied fo-", count=2)
            assert ask(port, DEFAULT_BODY, timeout=5)[:2] == (200, FALLBACK)

            router.restart()
            assert watcher.poll() is None
            assert ask(port, DEFAULT_BODY, timeout=5)[:2] == (200, FALLBACK)

            upstream.configure({})
            fake.script("openai", body=models_body("o4-mini", "gpt-5"))
            fake.script("openai", body=CHAT, method="POST")
            out.wait_for(f"recovery probe {PRIMARY}: answered")
            out.wait_for("reverted fo-", count=2)
            assert ask(port, DEFAULT_BODY, timeout=5)[:2] == (200, PRIMARY)
            time.sleep(2)  # a few more rounds: nothing moves again

            watcher.send_signal(signal.SIGTERM)
            assert watcher.wait(timeout=30) == 0
            rest = out.rest()
            assert "applied" not in rest and "reverted" not in rest, rest
            assert watcher.stderr is not None and watcher.stderr.read() == ""
    finally:
        upstream.configure({})
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        if router is not None:
            router.stop()
        upstream.stop()
