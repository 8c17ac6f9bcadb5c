"""Fake providers on 127.0.0.1: one threaded HTTP server, one path prefix per provider.

Each provider answers a scripted reply (status, headers, JSON body, delay) and every request is
recorded with its headers, so tests can assert what was sent where.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROVIDERS = ("anthropic", "openai", "nvidia_nim", "openrouter", "zai", "local_lmstudio")

KEYS = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-FAKEKEYanthropic0123456789abcdefXYZ",
    "OPENAI_API_KEY": "sk-proj-FAKEKEYopenai0123456789abcdefghijklmn",
    "NVIDIA_API_KEY": "nvapi-FAKEKEYnvidia0123456789abcdefghijklmnop",
    "OPENROUTER_API_KEY": "sk-or-v1-FAKEKEYopenrouter0123456789abcdef0123",
    "Z_AI_API_KEY": "zai-FAKEKEY0123456789abcdef.ghijklmnopqrstuv",
}


@dataclass
class Script:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


@dataclass
class Seen:
    provider: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (benchmarks' phases)


def models_body(*ids: str) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": i, "object": "model"} for i in ids]}


class FakeProviders:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.scripts: dict[str, Script] = {}
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self.answer(None)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                self.answer(body)

            def answer(self, request_body: Any) -> None:
                provider = self.path.lstrip("/").split("/", 1)[0]
                owner.seen.append(Seen(provider, self.path,
                                       {k.lower(): v for k, v in self.headers.items()},
                                       self.command, request_body))
                script = owner.scripts.get(f"{provider} {self.command}") or owner.scripts.get(
                    provider, Script(404, body={"error": "no script"}))
                if script.delay and owner.stopping.wait(script.delay):
                    return
                payload = b"" if script.body is None else json.dumps(script.body).encode()
                try:
                    self.send_response(script.status)
                    for name, value in script.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default backlog of 5 drops parallel probes' SYNs

        self.server = Server((host, 0), Handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProviders:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, provider: str, suffix: str = "") -> str:
        host = self.server.server_address[0]
        return f"{self.scheme}://{host}:{self.port}/{provider}{suffix}"

    def script(self, provider: str, status: int = 200, headers: dict[str, str] | None = None,
               body: Any = None, delay: float = 0.0, method: str | None = None) -> None:
        """Script a provider's answer; with `method` ("POST") only for that method."""
        key = f"{provider} {method}" if method else provider
        self.scripts[key] = Script(status, dict(headers or {}), body, delay)

    def all_healthy(self) -> None:
        """Every provider of the reference spine answers its cheapest probe with 200."""
        self.script("anthropic", body=models_body("claude-opus-4-5", "claude-sonnet-4-5"))
        self.script("openai", body=models_body("o4-mini", "gpt-5"))
        self.script("nvidia_nim", body=models_body("z-ai/glm5", "moonshotai/kimi-k2.5"))
        self.script("openrouter", body={"data": {"label": "test", "limit": 50, "limit_remaining":
                                                 42.5, "limit_reset": "monthly", "usage": 7.5,
                                                 "is_free_tier": False}})
        self.script("zai", body=models_body("glm-5", "glm-4.7-flash"))
        self.script("local_lmstudio", body=models_body("qwen3-32b", "qwen2.5-coder"))

    def overrides(self, **special: str) -> str:
        """The SPINE_GATES_API_BASE_OVERRIDES value pointing every provider here."""
        anthropic = {"anthropic": self.url("anthropic")}
        bases = {p: self.url(p, "/v1") for p in PROVIDERS}
        bases["openrouter"] = self.url("openrouter", "/api/v1")
        bases.update(anthropic)
        bases.update(special)
        return ",".join(f"{p}={u}" for p, u in bases.items())


def closed_port() -> int:
    """A loopback port nothing listens on (bound then closed: connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (untrusted)."""
    import datetime as _dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = _dt.datetime.now(_dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=1))
            .not_valid_after(now + _dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
