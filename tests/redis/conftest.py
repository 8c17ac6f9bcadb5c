"""One real redis-server per test session on 127.0.0.1 (a free port, no persistence, a password),
and "machines": processes with their own HOME and state directories against it.

`scripts/test.sh` installs redis-server (the Debian package) when it is missing. Each test works
under its own key prefix, so tests share the server without seeing each other's state.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.redis.machines import RedisServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            reply = b""
            while b"PONG" not in reply:
                chunk = sock.recv(64)
                if not chunk:
                    return False
                reply += chunk
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@contextmanager
def start_redis(directory: Path) -> Iterator[RedisServer]:
    """A redis-server of its own (a gateway writes its keys unprefixed: a test that starts one
    gets a server no other test reads)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run the README's test command "
                    "(scripts/test.sh installs it)")
    password = secrets.token_hex(16)
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--requirepass", password, "--logfile",
         str(directory / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _answers(port, password):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start: {(directory / 'redis.log').read_text()}")
            time.sleep(0.05)
        yield RedisServer(port, password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"t:{request.node.name[:40]}:{secrets.token_hex(4)}"


@pytest.fixture
def team_spine(tmp_path: Path, redis_server: RedisServer, prefix: str) -> Path:
    """A reference spine whose state is the session's Redis."""
    from tests.helpers import copy_reference_spine

    spine = copy_reference_spine(tmp_path / "spine")
    (spine / "spine-gates.yaml").write_text(redis_server.state_block(prefix))
    return spine
