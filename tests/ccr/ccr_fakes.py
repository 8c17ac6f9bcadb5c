"""The network edge for the router tests: a fake OpenAI/Anthropic upstream and the real router.

The upstream is a threaded http.server on 127.0.0.1 with Nagle disabled (Node's fetch against a
Nagle socket stalls ~40 ms a request); it records every request and answers 429/500 for the
models it is told to fail. The router is the real `ccr` from node_modules, with HOME in a temp dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fake_upstream import LoopbackUpstream, Reply, error_body

REPO = Path(__file__).resolve().parents[2]
CCR_MISSING = ("the pinned claude-code-router is not installed: run `npm ci` in the repository "
               "(scripts/test.sh does) so that node_modules/.bin/ccr exists")
# The keys the router tests give the proxy and its upstreams (fakes, never real keys).
PROVIDER_KEYS = {
    "ANTHROPIC_API_KEY": "fake-anthropic-key-0001",
    "OPENAI_API_KEY": "fake-openai-key-0002",
    "NVIDIA_API_KEY": "fake-nvidia-key-0003",
    "OPENROUTER_API_KEY": "fake-openrouter-key-0004",
    "Z_AI_API_KEY": "fake-zai-key-0005",
    "CCR_APIKEY": "fake-router-client-key-0006",
}
LONG_CONTEXT_THRESHOLD = 2000  # tokens; small, so a long-context request is cheap to build


# Router versions the tests can start: version -> (npm package directory, exact version).
# 2.0.0 is the package itself; 1.0.73 is installed beside it under the npm alias `ccr-1.0`.
PACKAGES = {"2.0": ("@musistudio/claude-code-router", "2.0.0"), "1.0": ("ccr-1.0", "1.0.73")}


def _package_version(cli: Path) -> str | None:
    """The version in the package.json that owns a resolved CLI script."""
    for parent in Path(os.path.realpath(cli)).parents:
        manifest = parent / "package.json"
        if manifest.is_file():
            return str(json.loads(manifest.read_text()).get("version"))
    return None


def ccr_binary(version: str = "2.0") -> str:
    """The pinned router CLI of `version`; its absence fails the test (never a skip).

    Both versions declare the bin `ccr`; `npm ci` links node_modules/.bin/ccr to 2.0.0 (bins are
    linked in path order and the first link wins), but an incremental `npm install` can leave it
    pointing at 1.0.73, so the resolved package's version is checked, not assumed.
    """
    package, expected = PACKAGES[version]
    if version == "2.0":
        local = REPO / "node_modules" / ".bin" / "ccr"
        if local.exists():
            found_version = _package_version(local)
            if found_version != expected:
                raise AssertionError(f"node_modules/.bin/ccr is claude-code-router "
                                     f"{found_version}, not {expected}: run `npm ci`")
            return str(local)
        found = shutil.which("ccr")
        if found:
            return found
        raise AssertionError(CCR_MISSING)
    root = REPO / "node_modules" / package
    if not (root / "package.json").is_file():
        raise AssertionError(CCR_MISSING.replace("node_modules/.bin/ccr",
                                                 f"node_modules/{package}"))
    manifest = json.loads((root / "package.json").read_text())
    if manifest.get("version") != expected:
        raise AssertionError(f"node_modules/{package} is {manifest.get('version')}, not "
                             f"{expected}: run `npm ci`")
    return str(root / manifest["bin"]["ccr"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    path: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int


@dataclass
class FakeUpstream(LoopbackUpstream):
    """Answers /…/chat/completions (OpenAI) and /…/v1/messages (Anthropic) on loopback."""

    requests: list[Recorded] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # model -> HTTP status to answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        model = str(body.get("model", ""))
        with self.lock:
            status = self.fail.get(model, 200)
            self.requests.append(Recorded(path, model, headers, body, status))
        if status != 200:
            return Reply(status, error_body(status, f"fake {status} for {model}"))
        return Reply(text=f"hello from {model}")

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.fail.clear()

    def take(self) -> list[Recorded]:
        with self.lock:
            taken = list(self.requests)
            self.requests.clear()
        return taken


@dataclass
class Router:
    """The real claude-code-router, its home in a temp dir, started and stopped by PID."""

    home: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    version: str = "2.0"  # a key of PACKAGES

    @property
    def config_path(self) -> Path:
        return self.home / ".claude-code-router" / "config.json"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env, "HOME": str(self.home), "NO_PROXY": "127.0.0.1",
               "no_proxy": "127.0.0.1"}
        if self.version == "1.0":
            # 1.0.73 keeps a reference count in os.tmpdir() (and `ccr stop` deletes it): keep
            # it inside this router's home instead of the machine's /tmp
            tmp = self.home / "tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            env["TMPDIR"] = str(tmp)
        return env

    def start(self) -> Router:
        log = (self.home / "router.out").open("ab")
        self.process = subprocess.Popen([ccr_binary(self.version), "start"], env=self._env(),
                                        stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"router exited with {self.process.returncode}: "
                                     f"{(self.home / 'router.out').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health",
                                            timeout=1) as response:
                    if json.loads(response.read()).get("status") == "ok":
                        return self
            except (OSError, ValueError):
                time.sleep(0.1)
        self.stop()
        raise AssertionError("router did not answer /health within 30 s")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):  # then the kill below stops it
            subprocess.run([ccr_binary(self.version), "stop"], env=self._env(),
                           capture_output=True, timeout=30, check=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def count_tokens(self, body: dict[str, Any], api_key: str) -> int:
        """POST /v1/messages/count_tokens: the router's own token count for `body`."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/messages/count_tokens",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "x-api-key": api_key}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(json.loads(response.read())["input_tokens"])

    def message(self, body: dict[str, Any], api_key: str) -> tuple[int, dict[str, Any]]:
        """POST /v1/messages as an agent CLI would; returns (status, JSON body)."""
        payload = {"max_tokens": 64, "stream": False, **body}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/messages", data=json.dumps(payload).encode(),
            headers={"content-type": "application/json", "x-api-key": api_key,
                     "anthropic-version": "2023-06-01"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def point_spine_at(root: Path, upstream_port: int, router_port: int, *, threshold: int,
                   prefix: str = "") -> None:
    """Rewrite every provider's api_base to the fake upstream, under `<prefix>/<provider id>`
    (the compiler adds /v1/messages for an anthropic-format provider, /chat/completions to the
    others' /v1), and point the router at `router_port` with the long-context `threshold`."""
    registry = root / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    out, current, fmt = [], None, "openai"
    for line in registry.read_text().splitlines(keepends=True):
        header = re.match(r"^  ([a-z0-9_]+):\s*$", line)
        if header:
            current, fmt = header.group(1), "openai"
        found = re.match(r"^    api_format:\s*(\S+)", line)
        if found:
            fmt = found.group(1)
        if current and re.match(r"^    api_base:", line):
            suffix = "" if fmt == "anthropic" else "/v1"
            line = f"    api_base: http://127.0.0.1:{upstream_port}{prefix}/{current}{suffix}\n"
        out.append(line)
    registry.write_text("".join(out))
    (root / "spine-gates.yaml").write_text(
        f"ccr:\n  port: {router_port}\n  long_context_threshold: {threshold}\n")
