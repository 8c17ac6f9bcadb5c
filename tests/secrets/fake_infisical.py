"""A fake Infisical on 127.0.0.1: the two endpoints the SDK calls, with failure modes by name.

- `POST /api/v1/auth/universal-auth/login`: client secret `right-secret` gets a token; anything
  else 401; `login_mode` "malformed" answers 200 with a body the SDK cannot parse.
- `GET /api/v3/secrets/raw/{name}`: names in `existing` 200 (value hidden), `DENIED_*` 403,
  `SLOW_*` answer after `slow_seconds`, `MALFORMED_*` 200 with a broken body, others 404; a
  request without the bearer token 401.
Every request is recorded (method, path, query) so tests can assert what the SDK asked.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import gates_env

TOKEN = "fake-access-token-0123456789abcdef"
CLIENT_ID = "client-id-1234"
CLIENT_SECRET = "right-secret"
# The provider keys a test seeds the fake with, and the folder they live in.
PROVIDER_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "NVIDIA_API_KEY", "OPENROUTER_API_KEY",
                 "Z_AI_API_KEY")
NAMESPACE = "/spine/ai/providers"


class FakeInfisical:
    def __init__(self) -> None:
        self.existing: set[tuple[str, str]] = set()  # (path, name)
        self.login_mode = "ok"
        self.slow_seconds = 5.0
        self.leak_values = False
        self.requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeInfisical:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()  # wakes slow handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add(self, path: str, *names: str) -> None:
        for name in names:
            self.existing.add((path, name))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
                payload = raw if raw is not None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (its timeout): that is the point of SLOW_

            def do_POST(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"method": "POST", "path": parts.path, "body_keys":
                                      sorted(body)})
                if parts.path != "/api/v1/auth/universal-auth/login":
                    self._send(404, {"message": "no route"})
                elif fake.login_mode == "malformed":
                    self._send(200, {"token": "x"})
                elif body.get("clientId") == CLIENT_ID and body.get("clientSecret") == \
                        CLIENT_SECRET:
                    self._send(200, {"accessToken": TOKEN, "expiresIn": 7200,
                                     "accessTokenMaxTTL": 7200, "tokenType": "Bearer"})
                else:
                    self._send(401, {"statusCode": 401, "message": "Invalid credentials"})

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.requests.append({"method": "GET", "path": parts.path, "query": query})
                prefix = "/api/v3/secrets/raw/"
                if not parts.path.startswith(prefix) or parts.path == prefix:
                    self._send(404, {"message": "no route"})
                    return
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"message": "token missing or invalid"})
                    return
                name = parts.path[len(prefix):]
                path = query.get("secretPath", "/")
                if name.startswith("DENIED_"):
                    self._send(403, {"message": "forbidden"})
                elif name.startswith("SLOW_"):
                    if fake._stop.wait(fake.slow_seconds):
                        return
                    self._send(200, _secret(name, path, query, fake.leak_values))
                elif name.startswith("MALFORMED_"):
                    self._send(200, None, raw=b"{\"secret\": {\"secretKey\": ")
                elif (path, name) in fake.existing:
                    self._send(200, _secret(name, path, query, fake.leak_values))
                else:
                    self._send(404, {"message": f"Secret with name '{name}' not found"})

        return Handler


def _secret(name: str, path: str, query: dict[str, str], leak: bool) -> dict[str, Any]:
    hidden = query.get("viewSecretValue") == "false" and not leak
    return {"secret": {
        "id": "s1", "_id": "s1", "workspace": query.get("workspaceId", ""),
        "environment": query.get("environment", ""), "version": 1, "type": "shared",
        "secretKey": name, "secretValue": "" if hidden else f"leaked-value-of-{name}-9f8e7d",
        "secretComment": "", "createdAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z", "secretValueHidden": hidden, "secretPath": path,
    }}


def infisical_env(server: FakeInfisical, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess: the fake Infisical, a cache dir in tmp."""
    env = gates_env(INFISICAL_HOST=server.url, INFISICAL_CLIENT_ID=CLIENT_ID,
                    INFISICAL_CLIENT_SECRET=CLIENT_SECRET, INFISICAL_PROJECT_ID="proj-1",
                    XDG_CACHE_HOME=str(tmp_path / "cache"),
                    XDG_CONFIG_HOME=str(tmp_path / "config"), **extra)
    for name in ("CI", "SPINE_GATES_OFFLINE", "SPINE_GATES_REQUIRE_RESOLUTION"):
        if name not in extra:
            env.pop(name, None)
    return env
