"""How fast, and at what cost, the running claude-code-router 2.0.0 picks up a route change.

Issue 13's `gates failover apply` must make the running router use a changed route. This measures
each way 2.0.0 offers, on loopback, against the real router and a fake upstream:

  restart_cli     rewrite config.json (atomic rename), then `ccr restart`
  stop_start      rewrite config.json, `ccr stop`, `ccr start` (what the test harness does)
  kill_start      rewrite config.json, SIGTERM the PID-file process, `ccr start` at once
  http_api        POST /api/config (the UI's save: writes the file) + POST /api/restart
  custom_file     CUSTOM_ROUTER_PATH module, installed at start, that reads an override JSON file
                  on every request; the switch writes that file (atomic rename)
  custom_module   the same key, but the switch rewrites the module's own source (is it re-read?)

A client sends POST /v1/messages at a fixed rate (default 5/s) for a few seconds, the switch runs
at a known instant, and sending goes on for a few seconds more. The fake upstream answers each
request after `--upstream-delay` seconds (default 1 s, so about five requests are in flight at
the switch, as with real model calls) with a body naming the provider and model. Per run:

  lost            requests sent at or after the switch started and not answered 200
  inflight_lost   requests sent before the switch and not answered 200 (killed in flight)
  effect_first    switch start -> send time of the first request answered by the new model
  effect_all      switch start -> send time from which every request is answered by it
  port_down       how long GET /health failed (polled every 50 ms) after the switch started

`--scenario hang` makes the old model hang instead (it closes the connection after
`--hang` seconds without an answer), which is the failover case: requests still routed to it are
lost whatever the mechanism, and a restart has to close a server with requests stuck upstream.

Separate checks (`--checks`) read facts off the real router: which fallback list a custom route
uses, whether the live `Router` changes, what a restart does to the PID file and the process.

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/failover/reload_mechanisms.py \
        [--reps 3] [--mechanisms restart_cli,custom_file] [--scenario healthy|hang] [--checks]
        [--json OUT]

Everything listens on 127.0.0.1; every router gets its own HOME in a temp dir and is stopped at
the end, also on failure (by the PIDs it wrote to its PID file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.ccr.ccr_fakes import ccr_binary, free_port  # noqa: E402
from tests.routing.upstream import Behaviour, RoutingUpstream  # noqa: E402

API_KEY = "bench-router-key"
OLD, NEW = "alpha,a-model", "beta,b-model"

CUSTOM_ROUTER_FILE = """// reads the override file per request; no file or entry: normal routing
const fs = require("fs");
const OVERRIDE = %s;
module.exports = async function route(req, config) {
  let data;
  try { data = JSON.parse(fs.readFileSync(OVERRIDE, "utf8")); } catch (e) { return null; }
  return typeof data.default === "string" ? data.default : null;
};
"""

# the `config` argument is a shallow copy of the live config: its `fallback` object is the one the
# fallback code reads, so assigning into it changes the running router's fallback lists
CUSTOM_ROUTER_FALLBACK = """const fs = require("fs");
const OVERRIDE = %s;
module.exports = async function route(req, config) {
  let data;
  try { data = JSON.parse(fs.readFileSync(OVERRIDE, "utf8")); } catch (e) { return null; }
  if (Array.isArray(data.fallback) && config.fallback) config.fallback.default = data.fallback;
  return typeof data.default === "string" ? data.default : null;
};
"""

CUSTOM_ROUTER_CONST = """// a constant route: does rewriting this file change the running router?
module.exports = async function route(req, config) { return %s; };
"""


def now() -> float:
    return time.monotonic()


# ---------------------------------------------------------------------------------------- router

def router_config(upstream: RoutingUpstream, port: int, route: str,
                  custom: Path | None = None) -> dict[str, Any]:
    providers = [{"name": name, "api_base_url": upstream.url_for(name),
                  "api_key": f"fake-{name}-upstream-key", "models": [model]}
                 for name, model in (("alpha", "a-model"), ("beta", "b-model"),
                                     ("gamma", "g-model"), ("delta", "d-model"))]
    config: dict[str, Any] = {
        "HOST": "127.0.0.1", "PORT": port, "APIKEY": API_KEY, "LOG": False, "LOG_LEVEL": "warn",
        "Providers": providers,
        "Router": {"default": route, "think": route, "background": route},
        "fallback": {"default": ["delta,d-model"], "think": ["gamma,g-model"]}}
    if custom is not None:
        config["CUSTOM_ROUTER_PATH"] = str(custom)
    return config


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class RouterHome:
    """One real router: its HOME, port, and every PID it wrote to its PID file."""

    home: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    pids: set[int] = field(default_factory=set)
    path_has_ccr: bool = True

    @property
    def dir(self) -> Path:
        return self.home / ".claude-code-router"

    @property
    def config_path(self) -> Path:
        return self.dir / "config.json"

    @property
    def pid_file(self) -> Path:
        return self.dir / ".claude-code-router.pid"

    def env(self) -> dict[str, str]:
        bin_dir = str(Path(ccr_binary()).parent)
        path = os.environ.get("PATH", "")
        if self.path_has_ccr:
            path = f"{bin_dir}:{path}"  # POST /api/restart spawns `ccr` from the server's PATH
        else:
            path = ":".join(p for p in path.split(":") if p != bin_dir and
                            not (Path(p) / "ccr").exists())
        return {**os.environ, "HOME": str(self.home), "PATH": path, "NO_PROXY": "127.0.0.1",
                "no_proxy": "127.0.0.1"}

    def read_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        self.pids.add(pid)
        return pid

    def healthy(self, timeout: float = 0.5) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health",
                                        timeout=timeout) as response:
                return bool(json.loads(response.read()).get("status") == "ok")
        except (OSError, ValueError):
            return False

    def start(self) -> float:
        """`ccr start` in the background (it runs in the foreground); seconds until /health."""
        began = now()
        log = (self.home / "router.out").open("ab")
        self.process = subprocess.Popen([ccr_binary(), "start"], env=self.env(), stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        self.pids.add(self.process.pid)
        if not self.wait_healthy(60):
            raise RuntimeError(f"router did not start: {(self.home / 'router.out').read_text()}")
        self.read_pid()
        return now() - began

    def wait_healthy(self, seconds: float) -> bool:
        deadline = now() + seconds
        while now() < deadline:
            if self.healthy():
                return True
            time.sleep(0.05)
        return False

    def ccr(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ccr_binary(), *args], env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10
            ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"content-type": "application/json", "x-api-key": API_KEY})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def stop_all(self) -> None:
        """Stop every router process this home ever had (its PID file may name a later one)."""
        self.read_pid()
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.ccr("stop", timeout=30)
        for pid in sorted(self.pids):
            if alive(pid) and is_router(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
        deadline = now() + 10
        while now() < deadline and any(alive(p) and is_router(p) for p in self.pids):
            time.sleep(0.1)
        for pid in self.pids:
            if alive(pid) and is_router(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def is_router(pid: int) -> bool:
    try:
        return "cli.js" in Path(f"/proc/{pid}/cmdline").read_text() or \
               "ccr" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


# ------------------------------------------------------------------------------------------ load

@dataclass
class Sent:
    index: int
    sent: float  # seconds after the run's t0
    done: float | None = None
    status: int | None = None
    model: str | None = None  # "provider,model" that answered
    error: str | None = None


def one_request(port: int, body: dict[str, Any], timeout: float) -> tuple[int | None, str | None,
                                                                          str | None]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/messages", data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", "x-api-key": API_KEY,
                 "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
            text = next((p.get("text", "") for p in payload.get("content", [])
                         if p.get("type") == "text"), "")
            return response.status, text.removeprefix("answer from ") or None, None
    except urllib.error.HTTPError as exc:
        return exc.code, None, exc.read()[:120].decode(errors="replace")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, None, type(reason).__name__ if not isinstance(reason, str) else reason


class Load:
    """Sends one request every 1/rate seconds, each on its own thread, until stopped."""

    def __init__(self, port: int, rate: float, timeout: float, t0: float) -> None:
        self.port, self.rate, self.timeout, self.t0 = port, rate, timeout, t0
        self.sent: list[Sent] = []
        self.threads: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.pacer = threading.Thread(target=self._pace, daemon=True)

    def start(self) -> Load:
        self.pacer.start()
        return self

    def _pace(self) -> None:
        i = 0
        while not self.stopping.is_set():
            due = self.t0 + i / self.rate
            delay = due - now()
            if delay > 0:
                time.sleep(delay)
            record = Sent(i, now() - self.t0)
            self.sent.append(record)
            thread = threading.Thread(target=self._send, args=(record,), daemon=True)
            thread.start()
            self.threads.append(thread)
            i += 1

    def _send(self, record: Sent) -> None:
        body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": False,
                "messages": [{"role": "user", "content": f"request {record.index}"}]}
        record.status, record.model, record.error = one_request(self.port, body, self.timeout)
        record.done = now() - self.t0

    def stop(self) -> list[Sent]:
        self.stopping.set()
        self.pacer.join()
        for thread in self.threads:
            thread.join(self.timeout + 5)
        return self.sent


class HealthWatch:
    """GET /health every `interval` s; records (t, ok) to find the port-down window."""

    def __init__(self, router: RouterHome, t0: float, old_pid: int | None,
                 interval: float = 0.05) -> None:
        self.router, self.t0, self.interval, self.old_pid = router, t0, interval, old_pid
        self.samples: list[tuple[float, bool]] = []
        self.pids: list[tuple[float, int | None]] = []
        self.old_gone: float | None = None  # when the first router process had exited
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            t = now() - self.t0
            self.samples.append((t, self.router.healthy(timeout=0.3)))
            self.pids.append((t, self.router.read_pid()))
            if self.old_gone is None and self.old_pid is not None and not alive(self.old_pid):
                self.old_gone = t
            time.sleep(self.interval)

    def start(self) -> HealthWatch:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()

    def down_after(self, t_switch: float) -> tuple[float, float | None, float | None]:
        """(seconds /health failed after the switch, first failure, recovery) relative to it."""
        after = [(t, ok) for t, ok in self.samples if t >= t_switch]
        down, first, back = 0.0, None, None
        for (t, ok), (t_next, _) in zip(after, after[1:], strict=False):
            if not ok:
                down += t_next - t
                first = t - t_switch if first is None else first
            elif first is not None and back is None:
                back = t - t_switch
        return down, first, back


# ------------------------------------------------------------------------------------ mechanisms

@dataclass
class Context:
    router: RouterHome
    upstream: RoutingUpstream
    override: Path
    module: Path
    notes: dict[str, Any] = field(default_factory=dict)

    def new_config(self) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.router.config_path.read_text())
        config["Router"] = {**config["Router"], "default": NEW, "think": NEW, "background": NEW}
        return config


def switch_restart_cli(ctx: Context) -> None:
    write_atomic(ctx.router.config_path, json.dumps(ctx.new_config(), indent=2))
    began = now()
    result = ctx.router.ccr("restart")
    ctx.notes["ccr_restart_returned_s"] = round(now() - began, 3)
    ctx.notes["ccr_restart_rc"] = result.returncode


def switch_stop_start(ctx: Context) -> None:
    write_atomic(ctx.router.config_path, json.dumps(ctx.new_config(), indent=2))
    began = now()
    ctx.router.ccr("stop")
    ctx.notes["ccr_stop_returned_s"] = round(now() - began, 3)
    if ctx.router.process is not None:  # the old foreground `ccr start`: reap it
        with contextlib.suppress(subprocess.TimeoutExpired):
            ctx.router.process.wait(timeout=30)
    ctx.notes["old_exited_s"] = round(now() - began, 3)
    ctx.notes["start_to_health_s"] = round(ctx.router.start(), 3)


def switch_kill_start(ctx: Context) -> None:
    """What `ccr restart` does, without its own CLI start-up: SIGTERM the PID in the PID file,
    remove the file (as `ccr stop` does; otherwise `ccr start` may see a live PID and exit), and
    start at once, so the new process loads while the old one closes."""
    write_atomic(ctx.router.config_path, json.dumps(ctx.new_config(), indent=2))
    pid = ctx.router.read_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
    ctx.router.pid_file.unlink(missing_ok=True)
    old = ctx.router.process
    ctx.notes["start_to_health_s"] = round(ctx.router.start(), 3)
    if old is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            old.wait(timeout=30)


def switch_http_api(ctx: Context) -> None:
    began = now()
    status, _ = ctx.router.api("POST", "/api/config", ctx.new_config())
    ctx.notes["api_config_status"] = status
    ctx.notes["api_config_s"] = round(now() - began, 3)
    status, body = ctx.router.api("POST", "/api/restart", {})
    ctx.notes["api_restart_status"] = status
    ctx.notes["api_restart_s"] = round(now() - began, 3)
    backups = sorted(p.name for p in ctx.router.dir.glob("config.json.*.bak"))
    ctx.notes["backups_written"] = len(backups)


def switch_custom_file(ctx: Context) -> None:
    write_atomic(ctx.override, json.dumps({"default": NEW}))


def switch_custom_module(ctx: Context) -> None:
    write_atomic(ctx.module, CUSTOM_ROUTER_CONST % json.dumps(NEW))


RESTARTS = ("restart_cli", "stop_start", "kill_start", "http_api")
MECHANISMS: dict[str, tuple[Callable[[Context], None], str]] = {
    "restart_cli": (switch_restart_cli, "plain"),
    "stop_start": (switch_stop_start, "plain"),
    "kill_start": (switch_kill_start, "plain"),
    "http_api": (switch_http_api, "plain"),
    "custom_file": (switch_custom_file, "file"),
    "custom_module": (switch_custom_module, "const"),
}


@contextlib.contextmanager
def running_router(base: Path, upstream: RoutingUpstream, kind: str,
                   path_has_ccr: bool = True) -> Iterator[Context]:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=base))
    router = RouterHome(home, free_port(), path_has_ccr=path_has_ccr)
    router.dir.mkdir(parents=True)
    override, module = home / "override.json", home / "custom-router.js"
    custom = None
    if kind in ("file", "fallback"):
        source = CUSTOM_ROUTER_FILE if kind == "file" else CUSTOM_ROUTER_FALLBACK
        module.write_text(source % json.dumps(str(override)))
        custom = module
    elif kind == "const":
        module.write_text(CUSTOM_ROUTER_CONST % json.dumps(OLD))
        custom = module
    router.config_path.write_text(json.dumps(router_config(upstream, router.port, OLD, custom),
                                             indent=2))
    try:
        router.start()
        yield Context(router, upstream, override, module)
    finally:
        router.stop_all()


def run_once(base: Path, upstream: RoutingUpstream, name: str, args: argparse.Namespace
             ) -> dict[str, Any]:
    switch, kind = MECHANISMS[name]
    if args.scenario == "hang":
        upstream.configure({"alpha": Behaviour(close=True, delay=args.hang),
                            "beta": Behaviour(delay=args.upstream_delay)})
    else:
        upstream.configure({"alpha": Behaviour(delay=args.upstream_delay),
                            "beta": Behaviour(delay=args.upstream_delay)})
    with running_router(base, upstream, kind) as ctx:
        old_pid = ctx.router.read_pid()
        t0 = now() + 0.2
        watch = HealthWatch(ctx.router, t0, old_pid).start()
        load = Load(ctx.router.port, args.rate, args.client_timeout, t0).start()
        time.sleep(max(0.0, t0 + args.before - now()))
        t_switch = now() - t0
        switch(ctx)
        t_switch_done = now() - t0
        time.sleep(max(0.0, t0 + t_switch + args.after - now()))
        sent = load.stop()
        if name in RESTARTS:  # let the old process finish
            deadline = now() + args.hang + 10
            while watch.old_gone is None and now() < deadline:
                time.sleep(0.05)
        watch.stop()
        old_exit = None if watch.old_gone is None else watch.old_gone - t_switch
        new_pid = ctx.router.read_pid()
        down, down_first, down_back = watch.down_after(t_switch)
        pid_missing = [t for t, p in watch.pids if t >= t_switch and p is None]
        return summarise(name, sent, t_switch, t_switch_done, {
            **ctx.notes, "port_down_s": round(down, 3),
            "port_down_from_s": None if down_first is None else round(down_first, 3),
            "port_back_at_s": None if down_back is None else round(down_back, 3),
            "pid_changed": old_pid != new_pid,
            "pid_file_missing_s": round(len(pid_missing) * 0.05, 2),
            "old_pid_gone_after_s": None if old_exit is None else round(old_exit, 2),
            "upstream_calls": upstream_tally(upstream)})


def upstream_tally(upstream: RoutingUpstream) -> dict[str, int]:
    tally: dict[str, int] = {}
    for call in upstream.take():
        key = f"{call.provider},{call.model}"
        tally[key] = tally.get(key, 0) + 1
    return tally


def summarise(name: str, sent: list[Sent], t_switch: float, t_done: float,
              notes: dict[str, Any]) -> dict[str, Any]:
    after = [s for s in sent if s.sent >= t_switch]
    before = [s for s in sent if s.sent < t_switch]
    lost = [s for s in after if s.status != 200]
    new = [s for s in after if s.status == 200 and s.model == NEW]
    effect_first = min((s.sent for s in new), default=None)
    effect_first_done = min((s.done for s in new if s.done is not None), default=None)
    effect_all = None
    for s in reversed(after):
        if s.status == 200 and s.model == NEW:
            effect_all = s.sent
        else:
            break
    reasons: dict[str, int] = {}
    for s in lost + [s for s in before if s.status != 200]:
        key = str(s.status) if s.status is not None else str(s.error)
        reasons[key] = reasons.get(key, 0) + 1

    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - t_switch, 3)

    return {
        "mechanism": name, "sent": len(sent), "sent_after": len(after),
        "lost": len(lost), "inflight_lost": sum(1 for s in before if s.status != 200),
        "old_after_switch": sum(1 for s in after if s.status == 200 and s.model == OLD),
        "effect_first_s": rel(effect_first), "effect_first_answered_s": rel(effect_first_done),
        "effect_all_s": rel(effect_all),  # None: the last request was not answered by it
        "switch_call_s": round(t_done - t_switch, 3), "failures": reasons, "notes": notes,
        "timeline": [[round(s.sent - t_switch, 2), s.status, s.model or s.error] for s in sent],
    }


# ---------------------------------------------------------------------------------------- checks

def checks(base: Path, upstream: RoutingUpstream) -> dict[str, Any]:
    """Facts the design depends on, read off the running 2.0.0."""
    out: dict[str, Any] = {}
    think = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": False,
             "thinking": {"type": "enabled", "budget_tokens": 1024},
             "messages": [{"role": "user", "content": "think"}]}
    plain = {k: v for k, v in think.items() if k != "thinking"}

    def message(ctx: Context, body: dict[str, Any]) -> tuple[int | None, str | None,
                                                              list[str]]:
        upstream.take()
        status, model, _ = one_request(ctx.router.port, body, 20)
        return status, model, [f"{c.provider},{c.model}:{c.status}" for c in upstream.take()]

    with running_router(base, upstream, "file") as ctx:
        # 1. no override: a think request whose primary fails uses fallback.think
        upstream.configure({"alpha": Behaviour(500)})
        out["think_no_override"] = message(ctx, think)
        # 2. override -> alpha (fails): which fallback list? (issue: the `default` one)
        write_atomic(ctx.override, json.dumps({"default": OLD}))
        out["think_custom_route_to_failing"] = message(ctx, think)
        # 3. override -> beta: the think request goes to beta; the live Router is unchanged
        upstream.configure({})
        write_atomic(ctx.override, json.dumps({"default": NEW}))
        out["think_custom_route_ok"] = message(ctx, think)
        status, config = ctx.router.api("GET", "/api/config")
        out["live_router_after_override"] = config.get("Router") if status == 200 else status
        # 4. a torn/corrupt override file: the module's try/catch -> normal routing
        ctx.override.write_text('{"default": "beta,b-')
        out["corrupt_override"] = message(ctx, think)
        # 5. an override naming an unknown provider is used verbatim
        write_atomic(ctx.override, json.dumps({"default": "nosuch,x"}))
        out["unknown_provider_override"] = message(ctx, think)
        # 6. cost of reading the file per request: median latency, override on vs no module
        write_atomic(ctx.override, json.dumps({"default": NEW}))
        out["latency_ms_custom_file"] = latency(ctx.router.port, 60)
    with running_router(base, upstream, "fallback") as ctx:
        # 7. can the module change the live fallback list (through the shallow copy)?
        upstream.configure({"alpha": Behaviour(500)})
        write_atomic(ctx.override, json.dumps({"default": OLD, "fallback": [NEW]}))
        out["module_sets_fallback_default"] = message(ctx, think)
        ctx.override.unlink()
        out["after_override_removed_plain_request"] = message(ctx, plain)
        upstream.configure({})
    with running_router(base, upstream, "plain") as ctx:
        out["latency_ms_plain"] = latency(ctx.router.port, 60)
        # 8. the runtime provider API (in memory): does it survive, does it touch config.json?
        before = ctx.router.config_path.read_text()
        status, body = ctx.router.api("PUT", "/providers/alpha", {"baseUrl": upstream.url_for(
            "beta")})
        out["put_provider"] = [status, str(body)[:160]]
        out["put_provider_then_request"] = message(ctx, plain)
        out["put_provider_config_file_changed"] = ctx.router.config_path.read_text() != before
        # 9. `ccr restart` on an idle router: PID file, timing, port gap
        old = ctx.router.read_pid()
        began = now()
        result = ctx.router.ccr("restart")
        returned = now() - began
        gone = None
        while now() - began < 15:
            if gone is None and old is not None and not alive(old):
                gone = now() - began
            if ctx.router.healthy(0.3) and ctx.router.read_pid() not in (None, old):
                break
            time.sleep(0.02)
        out["restart_idle"] = {"stdout": result.stdout.strip().splitlines(),
                               "returned_s": round(returned, 3),
                               "old_pid_gone_s": None if gone is None else round(gone, 3),
                               "new_healthy_s": round(now() - began, 3),
                               "new_pid": ctx.router.read_pid(), "old_pid": old}
        if ctx.router.process is not None:
            ctx.router.process.wait(timeout=30)
        out["restart_idle"]["old_foreground_rc"] = ctx.router.process.returncode \
            if ctx.router.process else None
        out["restart_idle"]["new_process_is_my_child"] = False
    # 10. POST /api/restart when `ccr` is not on the server's PATH
    with running_router(base, upstream, "plain", path_has_ccr=False) as ctx:
        old = ctx.router.read_pid()
        status, body = ctx.router.api("POST", "/api/restart", {})
        time.sleep(6)
        out["api_restart_without_ccr_on_path"] = {
            "status": status, "body": body, "old_pid": old,
            "old_pid_alive_after_6s": old is not None and alive(old),
            "pid_now": ctx.router.read_pid(), "healthy": ctx.router.healthy()}
    # 11. the PID file is missing while a restart is under way: what does a second `ccr start` do?
    with running_router(base, upstream, "plain") as ctx:
        serving = ctx.router.read_pid()
        ctx.router.pid_file.unlink()
        began = now()
        second = ctx.router.ccr("start", timeout=60)
        written = ctx.router.read_pid()
        stopped = ctx.router.ccr("stop")
        time.sleep(1)
        out["second_start_while_pid_file_missing"] = {
            "rc": second.returncode, "seconds": round(now() - began, 2),
            "output_tail": (second.stdout + second.stderr).strip().splitlines()[-2:],
            "pid_file_after": "serving router" if written == serving else
            ("none" if written is None else "the failed second process"),
            "ccr_stop_says": stopped.stdout.strip(),
            "serving_router_still_up_after_ccr_stop": serving is not None and alive(serving)
            and ctx.router.healthy()}
    return out


def latency(port: int, n: int) -> float:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": False,
            "messages": [{"role": "user", "content": "hi"}]}
    times = []
    for _ in range(n):
        began = now()
        one_request(port, body, 10)
        times.append((now() - began) * 1000)
    return round(statistics.median(times), 2)


# ------------------------------------------------------------------------------------------ main

def table(results: list[dict[str, Any]]) -> str:
    rows = ["| mechanism | rep | sent after | lost | in-flight lost | old model after | "
            "effect first s | effect all s | switch call s | port down s | failures |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    reps: dict[str, int] = {}
    for r in results:
        reps[r["mechanism"]] = reps.get(r["mechanism"], 0) + 1
        rows.append(f"| {r['mechanism']} | {reps[r['mechanism']]} | {r['sent_after']} | "
                    f"{r['lost']} | {r['inflight_lost']} | {r['old_after_switch']} | "
                    f"{r['effect_first_s']} | {r['effect_all_s']} | {r['switch_call_s']} | "
                    f"{r['notes'].get('port_down_s')} | {r['failures'] or ''} |")
    return "\n".join(rows)


def summary(results: list[dict[str, Any]]) -> str:
    """Per mechanism over the repetitions: median [min-max] of lost and of the effect times."""
    def span(values: list[Any]) -> str:
        known = [v for v in values if v is not None]
        if not known:
            return "never"
        text = f"{statistics.median(known):g} [{min(known):g}-{max(known):g}]"
        missing = len(values) - len(known)
        return text + (f" ({missing}x never)" if missing else "")

    rows = ["| mechanism | runs | lost (sent after switch, not 200) | in-flight lost | "
            "effect first s | effect all s | port down s |", "|---|---:|---|---|---|---|---|"]
    names = list(dict.fromkeys(r["mechanism"] for r in results))
    for name in names:
        runs = [r for r in results if r["mechanism"] == name]
        rows.append(f"| {name} | {len(runs)} | {span([r['lost'] for r in runs])} of "
                    f"~{round(statistics.median(r['sent_after'] for r in runs))} | "
                    f"{span([r['inflight_lost'] for r in runs])} | "
                    f"{span([r['effect_first_s'] for r in runs])} | "
                    f"{span([r['effect_all_s'] for r in runs])} | "
                    f"{span([r['notes'].get('port_down_s') for r in runs])} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mechanisms", default=",".join(MECHANISMS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--before", type=float, default=3.0)
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument("--upstream-delay", type=float, default=1.0)
    parser.add_argument("--scenario", choices=("healthy", "hang"), default="healthy")
    parser.add_argument("--hang", type=float, default=6.0)
    parser.add_argument("--client-timeout", type=float, default=20.0)
    parser.add_argument("--checks", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--summarise", type=Path, help="print the tables of a saved --json")
    args = parser.parse_args()
    if args.summarise:
        saved = json.loads(args.summarise.read_text())["results"]
        print(table(saved) + "\n\n" + summary(saved))
        return 0
    names = [n for n in args.mechanisms.split(",") if n]
    for name in names:
        if name not in MECHANISMS:
            parser.error(f"unknown mechanism {name!r}")
    base = Path(tempfile.mkdtemp(prefix="ccr-reload-"))
    upstream = RoutingUpstream().start()
    results: list[dict[str, Any]] = []
    out: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()},
                           "load_before": os.getloadavg(), "cpus": os.cpu_count()}
    try:
        if args.checks:
            out["checks"] = checks(base, upstream)
            print(json.dumps(out["checks"], indent=1))
        for rep in range(args.reps):
            for name in names:
                result = run_once(base, upstream, name, args)
                result["rep"] = rep + 1
                results.append(result)
                print(json.dumps({k: v for k, v in result.items() if k != "timeline"}),
                      flush=True)
    finally:
        upstream.stop()
        shutil.rmtree(base, ignore_errors=True)
    out["load_after"] = os.getloadavg()
    out["results"] = results
    if results:
        print(table(results))
        print()
        print(summary(results))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
