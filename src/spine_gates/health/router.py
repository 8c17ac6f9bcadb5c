"""The router's own health: is claude-code-router running, and does it answer where agents go?

Every proxy-compatible CLI is sent to the address `ccr activate` names: always
`http://127.0.0.1:<PORT>`, whatever `HOST` says, with `PORT` read from config.json (env
interpolated as the router does) or 3456. That address is the one checked: one `GET /health`,
bounded by a short timeout, on loopback only. The PID file the router writes beside its config
(`.claude-code-router.pid`) says whether its process is alive. Light on purpose (no JSON5 parser
unless the file needs one, no http.client): `gates session check` calls it in its foreground.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_LIVE = "~/.claude-code-router/config.json"
DEFAULT_PORT = 3456  # what `ccr activate` names when the config has no (or an empty) PORT
PID_FILE = ".claude-code-router.pid"
TIMEOUT_S = 0.5
MAX_CONFIG_BYTES = 5 * 1024 * 1024
# The router's interpolation: `$NAME` (upper case) and `${anything}`; unset stays literal.
_VAR = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")

UP, DOWN, UNHEALTHY, UNCHECKED, NOT_CONFIGURED = (
    "up", "down", "unhealthy", "unchecked", "not_configured")
BYPASS_HINT = "get work going without it: `gates failover bypass` (or start it: `ccr start`)"


@dataclass(frozen=True)
class RouterHealth:
    """What is known about the router: `state` is up, down (nothing answers), unhealthy
    (something answers, but not the router's ok), unchecked (--offline) or not_configured."""

    state: str
    config: str
    url: str | None = None
    pid: int | None = None
    process: str = "unknown"  # running, not running (stale PID file), no PID file, unknown
    reason: str = ""
    latency_ms: float | None = None

    @property
    def serving(self) -> bool:
        return self.state == UP

    @property
    def failed(self) -> bool:
        """The router is set up here and agent CLIs sent to it get no answer."""
        return self.state in (DOWN, UNHEALTHY)

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "config": self.config, "url": self.url, "pid": self.pid,
                "process": self.process, "reason": self.reason,
                "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1)}

    def line(self) -> str:
        """One line for people: the state, the address, the process, what to do."""
        if self.state == NOT_CONFIGURED:
            return f"router: not set up here ({self.reason})"
        process = f"PID {self.pid} {self.process}" if self.pid is not None else self.process
        head = f"router: {self.state.replace('_', ' ')} at {self.url or '?'} ({self.reason}; " \
               f"process: {process})"
        return f"{head}; {BYPASS_HINT}" if self.failed else head


def _pid(directory: Path) -> tuple[int | None, str]:
    try:
        text = (directory / PID_FILE).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None, "no PID file"
    except OSError as exc:
        return None, f"PID file unreadable ({exc.strerror})"
    if not text.isdigit() or int(text) <= 0:
        return None, "PID file holds no PID"
    pid = int(text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid, "not running (stale PID file)"
    except PermissionError:  # another user's process: it exists
        return pid, "running"
    except OSError:
        return pid, "unknown"
    return pid, "running"


def _parse(raw: bytes) -> Any:
    text = raw.decode("utf-8").removeprefix("\ufeff")
    try:
        return json.loads(text)
    except ValueError:
        import pyjson5  # the router reads JSON5 (comments, trailing commas): only then

        return pyjson5.decode(text)


def activate_port(config: Mapping[str, Any], env: Mapping[str, str]) -> tuple[int | None, str]:
    """The port `ccr activate` names (`PORT || 3456`, env interpolated), or None and why."""
    port = config.get("PORT")
    if isinstance(port, str):
        port = _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)) or m.group(0),
                        port)
    if port in (None, "", 0, False):
        return DEFAULT_PORT, ""
    if isinstance(port, bool) or not isinstance(port, int | str):
        return None, f"PORT {port!r} is not a port number"
    text = str(port).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        return None, f"PORT {str(port)[:40]!r} is not a port number (an unset variable?)"
    return int(text), ""


def _health(port: int, timeout: float) -> tuple[str, str, float]:
    """GET /health on 127.0.0.1:port over a plain socket: (state, reason, elapsed ms)."""
    started = time.perf_counter()
    deadline = started + timeout
    chunks: list[bytes] = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            while sum(map(len, chunks)) < 65536:
                sock.settimeout(max(deadline - time.perf_counter(), 0.001))
                data = sock.recv(4096)
                if not data:
                    break
                chunks.append(data)
                if _complete(b"".join(chunks)):
                    break
    except ConnectionRefusedError:
        return DOWN, "connection refused: nothing listens", _ms(started)
    except TimeoutError:
        if not chunks:
            return UNHEALTHY, f"no answer to GET /health within {timeout:g} s", _ms(started)
    except OSError as exc:
        return DOWN, f"cannot connect ({exc.strerror or type(exc).__name__})", _ms(started)
    return (*_verdict(b"".join(chunks)), _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


def _verdict(data: bytes) -> tuple[str, str]:
    head, _, body = data.partition(b"\r\n\r\n")
    status = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", head)
    if status is None:
        return UNHEALTHY, "something answers on the port, but not HTTP"
    code = int(status.group(1))
    try:
        ok = code == 200 and json.loads(body.decode("utf-8", "replace")).get("status") == "ok"
    except (ValueError, AttributeError):
        ok = False
    if ok:
        return UP, "/health answered ok"
    return UNHEALTHY, (f"/health answered HTTP {code}, not the router's ok (another service on "
                       "the port?)")


def check_router(live: Path | None = None, env: Mapping[str, str] | None = None, *,
                 timeout: float = TIMEOUT_S, probe: bool = True) -> RouterHealth:
    """The router behind `live` (default ~/.claude-code-router/config.json). Never raises for
    anything the router or its files do; `probe=False` reads the files only (--offline)."""
    env = os.environ if env is None else env
    path = live if live is not None else Path(DEFAULT_LIVE).expanduser()
    name = str(path)
    pid, process = _pid(path.parent)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return RouterHealth(NOT_CONFIGURED, name, pid=pid, process=process,
                            reason=f"no router config at {name}")
    except OSError as exc:
        return RouterHealth(UNHEALTHY, name, pid=pid, process=process,
                            reason=f"cannot read its config ({exc.strerror})")
    try:
        if size > MAX_CONFIG_BYTES:
            raise ValueError(f"over {MAX_CONFIG_BYTES} bytes")
        config = _parse(path.read_bytes())
        if not isinstance(config, dict):
            raise ValueError("not an object")
    except Exception as exc:  # pyjson5's errors are its own types; any is "does not parse"
        # only the message: pyjson5 also carries the part parsed so far, which may hold keys
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
        return RouterHealth(UNHEALTHY, name, pid=pid, process=process,
                            reason=f"its config does not parse ({message[:120]}): the router "
                                   "cannot start with it")
    port, problem = activate_port(config, env)
    if port is None:
        return RouterHealth(UNHEALTHY, name, pid=pid, process=process, reason=problem)
    url = f"http://127.0.0.1:{port}"
    if not probe:
        return RouterHealth(UNCHECKED, name, url, pid, process, "/health not probed (--offline)")
    state, reason, elapsed = _health(port, timeout)
    return RouterHealth(state, name, url, pid, process, reason,
                        elapsed if state == UP else None)
