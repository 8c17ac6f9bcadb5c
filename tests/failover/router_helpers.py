"""Shared by the failover tests that drive the real claude-code-router 2.0.0: the client key, the
request bodies, the hang length, a client that tells a timeout from an answer, and the router's
environment (each provider's key variable set to a fake key)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

CLIENT_KEY = "failover-test-client-key"
DEFAULT_BODY = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": False,
                "messages": [{"role": "user", "content": "hi"}]}
THINK_BODY = {**DEFAULT_BODY, "thinking": {"type": "enabled", "budget_tokens": 1024}}
HANG_S = 6.0


def ask(port: int, body: dict[str, Any], timeout: float) -> tuple[int, str | None, float]:
    """(status, the model that answered, seconds); status 0 when the client timed out."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/messages", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": CLIENT_KEY,
                 "anthropic-version": "2023-06-01"}, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None, time.monotonic() - started
    except (TimeoutError, urllib.error.URLError) as exc:
        if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None),
                                                       TimeoutError):
            return 0, None, time.monotonic() - started
        raise
    text = data["content"][0]["text"]
    return 200, text.removeprefix("answer from "), time.monotonic() - started


def router_env(config: dict[str, Any]) -> dict[str, str]:
    """The router's environment for a compiled config: a fake key in every `$VAR` it names, and
    the client key."""
    env = {str(p["api_key"])[1:]: f"fake-{p['name']}-key" for p in config["Providers"]
           if str(p["api_key"]).startswith("$")}
    env["CCR_APIKEY"] = CLIENT_KEY
    return env
