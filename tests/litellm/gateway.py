"""The network edge for the gateway tests: the real LiteLLM proxy from its own venv.

It is installed by scripts/test.sh into `.venv-litellm/` from the hash-locked
requirements/litellm.lock; its absence fails the tests (never a skip). Every start sets a local
cost map, telemetry off and a master key, with HOME in a temp dir: nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ccr.ccr_fakes import PROVIDER_KEYS, REPO

LITELLM = REPO / ".venv-litellm" / "bin" / "litellm"
LITELLM_MISSING = ("the pinned LiteLLM gateway is not installed: run ./scripts/test.sh (it "
                   "creates .venv-litellm/ from requirements/litellm.lock)")
MASTER_KEY = "sk-gateway-master-key-test-0007"
START_TIMEOUT = 90.0


def litellm_binary() -> Path:
    if not LITELLM.exists():
        raise AssertionError(LITELLM_MISSING)
    return LITELLM


def gateway_env(home: Path) -> dict[str, str]:
    """What every start of the proxy gets: fake provider keys, the master key, no phoning home."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            **PROVIDER_KEYS, "LITELLM_MASTER_KEY": MASTER_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY_DISABLED": "True",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


@dataclass
class Gateway:
    config: Path
    port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # added to gateway_env (e.g. Redis)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / f"litellm-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = litellm_binary()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(binary), "--config", str(self.config), "--host", "127.0.0.1", "--port",
                 str(self.port), "--num_workers", "1"],
                env={**gateway_env(self.home), **self.env}, cwd=self.home, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"litellm exited {self.process.returncode}: "
                                     f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/liveliness", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise AssertionError(f"litellm did not answer in {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, Any]]:
        import json

        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"content-type": "application/json",
                     "authorization": f"Bearer {MASTER_KEY}", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
