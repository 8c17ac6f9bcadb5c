"""CLI-level failover benchmark: `gates failover apply --yes` and `revert` under load.

The real claude-code-router 2.0.0 deployed by `gates sync` (which installs the failover module),
a fake upstream on 127.0.0.1 whose `openai` (the default slot's primary) holds each request
`--hang` seconds then closes it, and POST /v1/messages (default slot) at `--rate` requests/s,
each on its own thread. After `--before` s it runs `gates failover apply --from-cache --yes`
(health cached by a real `providers status` that saw openai give no answer); `--after` s later
the primary recovers and it runs `gates failover revert --all`; `--after` s later the load stops.

Per action: its wall time, the time from its start to the send of the first request answered by
the new route, and "lost" = requests sent at or after its start (and before the next action) not
answered 200. Not a CI test; nothing leaves 127.0.0.1, and everything started is stopped.

    cd <checkout> && PYTHONPATH=.:src python benchmarks/failover/cli_apply.py --json /tmp/cli.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Sent:
    at: float
    status: int = -1  # -1: not answered yet; 0: client timeout or connection error
    model: str | None = None
    done: float = 0.0


def _load(port: int, rate: float, stop: threading.Event, out: list[Sent],
          timeout: float) -> list[threading.Thread]:
    from tests.failover.router_helpers import DEFAULT_BODY, ask

    threads: list[threading.Thread] = []

    def one(entry: Sent) -> None:
        try:
            entry.status, entry.model, _ = ask(port, DEFAULT_BODY, timeout=timeout)
        except OSError:
            entry.status = 0
        entry.done = time.monotonic()

    next_at = time.monotonic()
    while not stop.is_set():
        entry = Sent(time.monotonic())
        out.append(entry)
        thread = threading.Thread(target=one, args=(entry,), daemon=True)
        thread.start()
        threads.append(thread)
        next_at += 1 / rate
        stop.wait(max(0.0, next_at - time.monotonic()))
    return threads


def _action(sent: list[Sent], start: float, end: float, wall: float, route: str) -> dict[str, Any]:
    window = [s for s in sent if start <= s.at < end]
    first = next((s for s in window if s.status == 200 and s.model == route), None)
    return {"wall_s": round(wall, 2), "sent": len(window),
            "lost": sum(s.status != 200 for s in window),
            "first_effect_s": round(first.at - start, 2) if first else None,
            "first_answer_s": round(first.done - start, 2) if first else None}


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="failover-cli-bench-"))
    os.environ["HOME"] = str(base / "home")
    os.environ["XDG_STATE_HOME"] = str(base / "state")
    from tests.ccr.ccr_fakes import Router
    from tests.failover.cli_setup import cache_health
    from tests.failover.router_helpers import router_env
    from tests.failover.test_failover_e2e import FALLBACK, PRIMARY, deploy
    from tests.helpers import run_gates
    from tests.routing.upstream import Behaviour, RoutingUpstream

    upstream = RoutingUpstream().start()
    router: Router | None = None
    stop = threading.Event()
    sent: list[Sent] = []
    try:
        spine, live, port, env = deploy(base, upstream)
        router = Router(live.parent.parent, port, router_env(json.loads(live.read_text())))
        router.start()
        cache_health(spine, env, "hung")
        upstream.configure({"openai": Behaviour(close=True, delay=args.hang)})
        loader = threading.Thread(target=lambda: _load(port, args.rate, stop, sent,
                                                       args.client_timeout), daemon=True)
        loader.start()
        time.sleep(args.before)

        def gates(*command: str) -> float:
            started = time.monotonic()
            proc = run_gates("failover", *command, "--root", str(spine), "--live", str(live),
                             env=env)
            if proc.returncode != 0:
                raise SystemExit(f"gates failover {command[0]}: {proc.stderr}")
            return time.monotonic() - started

        apply_at = time.monotonic()
        apply_wall = gates("apply", "--from-cache", "--yes")
        time.sleep(max(0.0, args.after - (time.monotonic() - apply_at)))
        upstream.configure({})  # the primary recovers; then the override is reverted
        revert_at = time.monotonic()
        revert_wall = gates("revert", "--all")
        time.sleep(max(0.0, args.after - (time.monotonic() - revert_at)))
        stop.set()
        loader.join(timeout=5)
        end = time.monotonic()
        deadline = end + args.client_timeout + 1
        while any(s.status == -1 for s in sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        before = [s for s in sent if s.at < apply_at]
        return {
            "rate": args.rate, "hang_s": args.hang, "before_s": args.before,
            "after_s": args.after, "loadavg_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
            "before_apply": {"sent": len(before), "lost": sum(s.status != 200 for s in before)},
            "apply": _action(sent, apply_at, revert_at, apply_wall, FALLBACK),
            "revert": _action(sent, revert_at, end, revert_wall, PRIMARY),
            "requests": [asdict(s) for s in sent] if args.raw else None,
        }
    finally:
        stop.set()
        upstream.configure({})
        if router is not None:
            router.stop()
        upstream.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5.0, help="requests per second")
    parser.add_argument("--hang", type=float, default=6.0, help="seconds the hung primary holds")
    parser.add_argument("--before", type=float, default=3.0, help="load seconds before apply")
    parser.add_argument("--after", type=float, default=10.0,
                        help="seconds after apply (and after revert)")
    parser.add_argument("--client-timeout", type=float, default=20.0)
    parser.add_argument("--json", help="write the result here")
    parser.add_argument("--raw", action="store_true", help="include every request")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "requests"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
