"""Routing benchmarks (issue 6): evaluator decisions per second, and the real router side by side.

1. In-process: `explain_request` (decide + fallback resolution) over a mix of typical Claude Code
   requests (plain, think, haiku background, web search, a multi-turn tool conversation), against
   the reference spine's compiled config. Every request's text is made unique, so the token
   counter's cache never helps ("cold"); a second pass repeats bodies ("warm").
2. Side by side: the same requests through the real claude-code-router 2.0.0 on loopback in front
   of a fake upstream, sequentially, so the ratio compares one routed request with one prediction.

    /tmp/v/bin/python benchmarks/routing/run_routing.py [--requests 20000] [--router-requests 500]

Prints a markdown summary and writes it to benchmarks/results/routing-latest.md (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from harness import time_call  # noqa: E402


def typical_requests(n: int) -> list[dict[str, Any]]:
    """A repeatable mix of what Claude Code sends; request i carries unique text."""
    tools = [{"name": "Read", "description": "Read a file from the local filesystem.",
              "input_schema": {"type": "object", "properties": {
                  "file_path": {"type": "string"}, "offset": {"type": "number"}},
                  "required": ["file_path"]}},
             {"name": "Bash", "description": "Run a shell command.",
              "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]
    system = [{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
              {"type": "text", "text": "Answer concisely. Use the tools when needed. " * 20}]
    out = []
    for i in range(n):
        kind = i % 5
        text = f"request {i}: please fix the failing test in module_{i % 97}.py and explain why"
        if kind == 0:
            body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": text}]}
        elif kind == 1:
            body = {"model": "claude-sonnet-4-5", "thinking": {"type": "enabled",
                                                               "budget_tokens": 4096},
                    "system": system, "tools": tools,
                    "messages": [{"role": "user", "content": text}]}
        elif kind == 2:
            body = {"model": "claude-haiku-4-5", "messages": [
                {"role": "user", "content": f"Summarise in five words: {text}"}]}
        elif kind == 3:
            body = {"model": "claude-sonnet-4-5", "tools": [
                {"type": "web_search_20250305", "name": "web_search"}],
                "messages": [{"role": "user", "content": text}]}
        else:
            body = {"model": "claude-sonnet-4-5", "thinking": {"type": "enabled",
                                                               "budget_tokens": 4096},
                    "system": system, "tools": tools, "messages": [
                        {"role": "user", "content": text},
                        {"role": "assistant", "content": [
                            {"type": "text", "text": "Reading the file."},
                            {"type": "tool_use", "id": f"t{i}", "name": "Read",
                             "input": {"file_path": f"/repo/module_{i}.py"}}]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": f"t{i}",
                             "content": f"def f_{i}(x):\n    return x + {i}\n" * 10}]}]}
        out.append(body)
    return out


def bench_evaluator(bodies: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, float]:
    from spine_gates.routing.explain import explain_request
    from spine_gates.routing.tokens import count_text

    count_text("warm up the encoding")  # loading the BPE table is a one-off (~0.5 s)
    count_text.cache_clear()

    def one_pass(exact: bool) -> float:
        """Seconds for one pass over every body (timed whole: per-call timing would cost as
        much as a decision)."""
        def run(_: int) -> None:
            for body in bodies:
                explain_request(body, config, exact_tokens=exact)
        return time_call(run, 1).median

    cold = one_pass(False)
    count_text.cache_clear()
    exact = one_pass(True)
    warm = one_pass(True)
    return {"requests": len(bodies), "cold_per_s": len(bodies) / cold,
            "exact_per_s": len(bodies) / exact, "warm_per_s": len(bodies) / warm,
            "cold_us": cold / len(bodies) * 1e6}


def bench_router(bodies: list[dict[str, Any]]) -> dict[str, float]:
    import tempfile

    from tests.ccr.ccr_fakes import Router, free_port
    from tests.routing.cases import API_KEY
    from tests.routing.test_claude_code_e2e import router_config
    from tests.routing.upstream import RoutingUpstream

    upstream = RoutingUpstream().start()
    with tempfile.TemporaryDirectory(prefix="routing-bench-") as home_dir:
        home = Path(home_dir)
        config = router_config(upstream, free_port())
        config.update({"LOG": False, "APIKEY": API_KEY})
        (home / ".claude-code-router").mkdir()
        (home / ".claude-code-router" / "config.json").write_text(json.dumps(config))
        router = Router(home, int(config["PORT"]), {}).start()
        try:
            def send(i: int) -> None:
                status, _ = router.message(bodies[i % len(bodies)], API_KEY)
                assert status == 200, status

            # the warm-up warms the router's JIT and connection pool
            timing = time_call(send, len(bodies), warmup=min(20, len(bodies)))
        finally:
            router.stop()
            upstream.stop()
    return {"requests": len(bodies), "per_s": len(bodies) / sum(timing.wall),
            "median_ms": timing.median * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--router-requests", type=int, default=500)
    args = parser.parse_args()

    from spine_gates.ccr.compile import compile_ccr_config
    from spine_gates.ccr.profiles import get_profile
    from spine_gates.checks.interface import prepare

    config = compile_ccr_config(prepare(REPO).model, get_profile("2.0"))
    evaluator = bench_evaluator(typical_requests(args.requests), config)
    router = bench_router(typical_requests(args.router_requests))
    ratio = evaluator["cold_per_s"] / router["per_s"]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        "## Routing evaluator benchmark",
        "",
        "| what | requests | throughput | per request |",
        "|---|---:|---:|---:|",
        f"| evaluator (decision mode: byte bound, exact count only near the threshold) | "
        f"{evaluator['requests']} | {evaluator['cold_per_s']:,.0f} decisions/s | "
        f"{evaluator['cold_us']:.1f} µs |",
        f"| evaluator, exact cl100k count of every request, unique texts | "
        f"{evaluator['requests']} | {evaluator['exact_per_s']:,.0f} decisions/s | "
        f"{1e6 / evaluator['exact_per_s']:.1f} µs |",
        f"| evaluator, exact count, repeated bodies (warm piece cache) | {evaluator['requests']} "
        f"| {evaluator['warm_per_s']:,.0f} decisions/s | {1e6 / evaluator['warm_per_s']:.1f} µs |",
        f"| real claude-code-router 2.0.0 + fake upstream, sequential | {router['requests']} | "
        f"{router['per_s']:,.0f} requests/s | {router['median_ms']:.2f} ms median |",
        "",
        f"Evaluator vs real router: **{ratio:,.0f}x** (decisions per second over routed "
        "requests per second, one process each, same request mix; both modes give the same "
        "decisions, the differential test checks them against the router).",
        "",
        f"Machine: {os.cpu_count()} cores, load average {load} during the run; Python "
        f"{sys.version.split()[0]}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "routing-latest.md").write_text(text)
    return 0 if evaluator["cold_per_s"] >= 20000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
