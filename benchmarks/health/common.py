"""Shared set-up for the health benchmarks: a spine with N providers and fakes on loopback."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from harness import report  # noqa: E402,F401  (the health benchmarks' JSON line)

from tests.health.fakes import FakeProviders, models_body  # noqa: E402

HEADER = 'version: "1.0"\nupdated_at: "2026-11-25"\nowner: "@bench"\nscope: agentic-spine\n'


def make_spine(base: Path, providers: int) -> Path:
    """A spine whose registry lists `providers` OpenAI-compatible providers and 3 roles."""
    root = base / "spine"
    shutil.copytree(REPO / "docs" / "governance", root / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", root / "docs" / "brain")
    lines = [HEADER, "providers:"]
    for i in range(providers):
        lines += [f"  p{i}:", "    type: hosted", "    api_format: openai",
                  f"    api_base: https://p{i}.example/v1", "    quota_type: tokens_per_minute",
                  "    models: [m]", "    cost_tier: paid",
                  f"    api_key_ref: env:BENCH_KEY_{i}"]
    (root / "docs/governance/PROVIDER_REGISTRY.yaml").write_text("\n".join(lines) + "\n")
    roles = [HEADER, "roles:"]
    for r, slot in enumerate(("default", "background", "think")):
        chain = [f"p{(r + k) % providers}/m" for k in range(1, 4)]
        roles += [f"  role{r}:", f"    primary: p{r}/m", f"    fallback_chain: {chain}",
                  f"    inject: docs/brain/roles/{('architect', 'executor', 'background')[r]}.md",
                  f"    ccr_slots: [{slot}]"]
    (root / "docs/governance/ROLE_PROVIDER_MAPS.yaml").write_text("\n".join(roles) + "\n")
    return root


def bench_env(base: Path, fake: FakeProviders, providers: int, hanging: set[int]) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    for i in range(providers):
        fake.script(f"p{i}", body=models_body("m"), delay=3600 if i in hanging else 0.0)
        env[f"BENCH_KEY_{i}"] = f"sk-bench-key-{i:02d}-0123456789abcdef"
    env["SPINE_GATES_API_BASE_OVERRIDES"] = ",".join(
        f"p{i}={fake.url(f'p{i}', '/v1')}" for i in range(providers))
    env.update(XDG_STATE_HOME=str(base / "state"), HOME=str(base / "home"), NO_COLOR="1",
               SPINE_GATES_HEALTH_REFRESH="0")
    (base / "home").mkdir(exist_ok=True)
    return env
