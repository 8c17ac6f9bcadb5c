"""Measured facts about claude-code-router 1.0.73 that profile 1.0 depends on or differs in.

Each test starts the real 1.0.73 (or runs its CLI) in a temp HOME on loopback. They pin what
was measured, so a change of the pinned version that changes any of it fails here:
- `ccr activate` prints `export ANTHROPIC_API_KEY=""` besides the 2.0 lines, and `gates proxy
  check --profile 1.0` accepts its output for the compiled 1.0 config;
- 1.0.73 interpolates `$NAME` / `${NAME}` in **every** string of the config, `Router` included
  (2.0.0 reads `Router` raw);
- with no providers (and no HOST) 1.0.73 listens on 127.0.0.1 (2.0.0: 0.0.0.0).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.ccr.ccr_fakes import REPO, Router, ccr_binary, free_port
from tests.helpers import gates_env, run_gates
from tests.routing.harness import RouterResult
from tests.routing.upstream import RoutingUpstream

KEYS = {"ANTHROPIC_API_KEY": "fake-a", "OPENAI_API_KEY": "fake-o", "NVIDIA_API_KEY": "fake-n",
        "OPENROUTER_API_KEY": "fake-r", "Z_AI_API_KEY": "fake-z",
        "CCR_APIKEY": "fake-client-key-1-0"}


def _home(tmp_path: Path, config: dict[str, object] | None = None) -> Path:
    home = tmp_path / "home"
    (home / ".claude-code-router").mkdir(parents=True)
    (home / "tmp").mkdir()
    if config is not None:
        (home / ".claude-code-router" / "config.json").write_text(json.dumps(config))
    return home


def test_activate_of_1_0_73_passes_proxy_check_with_profile_1_0(tmp_path: Path) -> None:
    home = _home(tmp_path)
    live = home / ".claude-code-router" / "config.json"
    compiled = run_gates("compile", "ccr", "--profile", "1.0", "--root", str(REPO), "--out",
                         str(live), env=gates_env())
    assert compiled.returncode == 0, compiled.stderr
    live.chmod(0o600)
    cli = ccr_binary("1.0")
    env = {**os.environ, **KEYS, "HOME": str(home), "TMPDIR": str(home / "tmp")}
    printed = subprocess.run([cli, "activate"], env=env, capture_output=True, text=True,
                             timeout=60, check=True).stdout
    assert 'export ANTHROPIC_API_KEY=""' in printed.splitlines()
    assert 'export ANTHROPIC_BASE_URL="http://127.0.0.1:3456"' in printed.splitlines()
    checked = run_gates("proxy", "check", "--profile", "1.0", "--ccr", cli, "--live", str(live),
                        "--root", str(REPO), "--format", "json", env=gates_env(**KEYS,
                                                                               HOME=str(home)))
    report = json.loads(checked.stdout)
    assert checked.returncode == 0 and report["findings"] == [], checked.stdout
    assert KEYS["CCR_APIKEY"] not in checked.stdout + checked.stderr


def test_1_0_73_interpolates_variables_in_router(tmp_path: Path) -> None:
    upstream = RoutingUpstream().start()
    port = free_port()
    try:
        home = _home(tmp_path, {
            "HOST": "127.0.0.1", "PORT": port, "APIKEY": "client", "LOG": False,
            "Providers": [{"name": "alpha", "api_base_url": upstream.url_for("alpha"),
                           "api_key": "$ALPHA_KEY", "models": ["a1", "a2"]}],
            "Router": {"default": "$DEFAULT_ROUTE", "think": "${THINK_ROUTE}"}})
        router = Router(home, port, {"ALPHA_KEY": "fake-alpha", "DEFAULT_ROUTE": "alpha,a1",
                                     "THINK_ROUTE": "alpha,a2"}, version="1.0").start()
        try:
            answers = []
            for extra in ({}, {"thinking": {"type": "enabled", "budget_tokens": 1024}}):
                upstream.configure({})
                status, body = router.message(
                    {"model": "claude-sonnet-4-5",
                     "messages": [{"role": "user", "content": "hi"}], **extra}, "client")
                answers.append((status, RouterResult(status, body, []).answer,
                                [(c.provider, c.model) for c in upstream.take()]))
        finally:
            router.stop()
    finally:
        upstream.stop()
    assert answers == [(200, "alpha,a1", [("alpha", "a1")]),
                       (200, "alpha,a2", [("alpha", "a2")])]


def test_1_0_73_without_providers_listens_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    router = Router(_home(tmp_path, {"PORT": port}), port, {}, version="1.0").start()
    try:
        listening = _listen_addresses(port)
    finally:
        router.stop()
    assert listening == {"127.0.0.1"}, listening


def _listen_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses in LISTEN state on `port`, from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            if width == 8:
                found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
            else:
                found.add("::" if set(address) == {"0"} else address)
    return found
