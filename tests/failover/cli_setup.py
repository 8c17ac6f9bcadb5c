"""A spine armed for failover through the real CLI: the router module on, a live config compiled
beside the module, a signing key, and provider health cached by a real `providers status`
against fake providers on 127.0.0.1 (openai unreachable unless told otherwise)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.failover import router_module
from tests.health.fakes import KEYS, FakeProviders, closed_port
from tests.helpers import copy_reference_spine, gates_env, run_gates

NOW = "2026-12-03T09:00:00Z"


@dataclass
class Armed:
    spine: Path
    live: Path
    key: Path
    env: dict[str, str]

    def gates(self, *args: str, **env: str) -> Any:
        return run_gates(*args, env={**self.env, **env})

    def failover(self, command: str, *args: str, **env: str) -> Any:
        live = () if command == "status" else ("--root", str(self.spine))
        return self.gates("failover", command, *live, "--live", str(self.live), *args, **env)

    def signed(self) -> dict[str, str]:
        return {"SPINE_GATES_SIGNING_KEY_FILE": str(self.key)}


def arm(base: Path, *, openai: str = "refused", module: bool = True) -> Armed:
    """`openai`: "refused" (a closed port), "hung" (answers after the probe timeout) or
    "healthy". The state dir and HOME are the test's (tests/failover/conftest.py)."""
    spine = copy_reference_spine(base / "spine")
    if module:
        (spine / "spine-gates.yaml").write_text("failover:\n  router_module: true\n")
    home = Path(os.environ["HOME"])
    live = home / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True, exist_ok=True)
    env = gates_env(SPINE_GATES_HEALTH_REFRESH="0", SPINE_GATES_NOW=NOW)
    compiled = run_gates("compile", "ccr", "--root", str(spine), "--out", str(live), env=env)
    assert compiled.returncode == 0, compiled.stderr
    if module:
        router_module.install(live)
    key = base / "signing.key"
    keygen = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), env=env)
    assert keygen.returncode == 0, keygen.stderr
    cache_health(spine, env, openai)
    return Armed(spine, live, key, env)


def cache_health(spine: Path, env: dict[str, str], openai: str) -> dict[str, Any]:
    """Run the real `providers status` against fake providers; it caches the snapshot that
    `--from-cache` reads."""
    with FakeProviders() as fake:
        fake.all_healthy()
        special = {}
        if openai == "refused":
            special["openai"] = f"http://127.0.0.1:{closed_port()}/v1"
        elif openai == "hung":
            fake.script("openai", delay=3.0)
        probe_env = {**env, "SPINE_GATES_API_BASE_OVERRIDES": fake.overrides(**special), **KEYS}
        status = run_gates("providers", "status", "--root", str(spine), "--format", "json",
                           "--timeout", "1", "--deadline", "2", env=probe_env)
    assert status.returncode in (0, 1), status.stderr
    report: dict[str, Any] = json.loads(status.stdout)
    return report
