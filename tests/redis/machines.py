"""Helpers the Redis tests import: the server's address, a spine's `state:` block, and a
"machine" (its own HOME and XDG state directory; every gates run of it is a fresh process)."""

from __future__ import annotations

import json
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.health.fakes import KEYS
from tests.helpers import gates_env, run_gates

PASSWORD_ENV = "SPINE_GATES_REDIS_PASSWORD"


@dataclass(frozen=True)
class RedisServer:
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def state_block(self, prefix: str, url: str | None = None, extra: str = "") -> str:
        return (f"state:\n  backend: redis\n  url: {url or self.url}\n"
                f"  password_ref: env:{PASSWORD_ENV}\n  prefix: {prefix}\n{extra}")

    def command(self, *args: str) -> Any:
        """One command on the raw protocol (no client library: the tests see what is stored)."""
        parts = [f"${len(a.encode())}\r\n{a}\r\n" for a in ("AUTH", self.password)]
        wire = f"*2\r\n{''.join(parts)}"
        wire += f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(wire.encode())
            reader = sock.makefile("rb")
            assert _reply(reader) == "OK"
            return _reply(reader)


def _reply(reader: Any) -> Any:
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind in (b"+", b"-"):
        return rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        if rest == "-1":
            return None
        data = reader.read(int(rest) + 2)[:-2]
        return data.decode()
    if kind == b"*":
        return [_reply(reader) for _ in range(int(rest))]
    raise AssertionError(f"unexpected reply {line!r}")


@dataclass
class Machine:
    """One workstation: its own HOME and state directory, the team's password and keys."""

    name: str
    home: Path
    state: Path
    env: dict[str, str]

    def gates(self, *args: str, timeout: float = 60,
              **extra: str) -> subprocess.CompletedProcess[str]:
        return run_gates(*args, env={**self.env, **extra}, timeout=timeout)

    def status(self, spine: Path, *extra: str) -> dict[str, Any]:
        proc = self.gates("providers", "status", "--root", str(spine), "--format", "json",
                          "--timeout", "2", "--deadline", "4", *extra)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        report: dict[str, Any] = json.loads(proc.stdout)
        return report


def machine(base: Path, name: str, server: RedisServer, **extra: str) -> Machine:
    home = base / name / "home"
    home.mkdir(parents=True)
    state = base / name / "state"
    settings = {"HOME": str(home), "XDG_STATE_HOME": str(state),
                "XDG_CONFIG_HOME": str(base / name / "config"),
                "XDG_CACHE_HOME": str(base / name / "cache"),
                "SPINE_GATES_HEALTH_REFRESH": "0", PASSWORD_ENV: server.password, **KEYS}
    env = gates_env(**{**settings, **extra})
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                  "all_proxy"):
        env.pop(proxy, None)
    return Machine(name, home, state, env)


def provider(report: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(p for p in report["providers"] if p["id"] == ident)
