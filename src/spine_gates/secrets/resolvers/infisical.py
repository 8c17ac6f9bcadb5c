"""Infisical through the official SDK (`infisicalsdk`): universal-auth login, then one
`get_secret_by_name(..., view_secret_value=False)` per reference, an existence check that never
asks for the value.

The SDK is bounded and contained here because it is neither by itself: it has no timeout (a hung
server hangs the caller), retries network errors 4x with backoff (13.5 s against a dead host),
and some versions write `.env.infisical` into the working directory. So: a short TCP check
first, a per-request timeout whose expiry is not retried, an overall deadline, a throwaway
working directory, and the SDK's own cache (and its cleanup thread) off. `urllib.request` is
imported once Infisical is configured, and the SDK (with requests, most of a second) once the TCP
check passes.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from spine_gates.secrets.config import InfisicalSettings
from spine_gates.secrets.redact import register_secret
from spine_gates.secrets.refs import SecretRef
from spine_gates.secrets.resolvers.interface import Resolution, Resolver, Status

UNREACHABLE = "infisical unreachable"
_HIDDEN = {"", "<hidden-by-infisical>"}


class _Unreachable(Exception):
    """Raised inside the SDK's session; not a network error type, so the SDK does not retry."""


def reachable(host: str, timeout: float) -> str:
    """'' if a TCP connection to the host's port opens within `timeout`, else the reason."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"host {host!r} is not an http(s) URL"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _proxied(parts.scheme, parts.hostname):
        return ""  # the SDK goes through the proxy; its request timeout bounds the call
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return ""
    except OSError as exc:
        return f"{parts.hostname}:{port}: {exc.strerror or type(exc).__name__}"


def _proxied(scheme: str, hostname: str) -> bool:
    """Whether requests would reach the host through an HTTP(S) proxy from the environment."""
    import urllib.request

    return scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(hostname)


@contextlib.contextmanager
def contained_cwd() -> Iterator[None]:
    """Run SDK calls in a throwaway working directory, so no file it writes lands in the repo."""
    with tempfile.TemporaryDirectory(prefix="spine-gates-infisical-") as scratch, \
            contextlib.chdir(scratch):
        yield


def _bound_session(session: Any, timeout: float) -> None:
    """Give every SDK request a timeout; turn network failures into a non-retried error."""
    import requests

    request: Callable[..., Any] = session.request

    def bounded(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        try:
            return request(method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            raise _Unreachable(type(exc).__name__) from None

    session.request = bounded


class InfisicalResolver(Resolver):
    name = "infisical"

    def __init__(self, settings: InfisicalSettings) -> None:
        self.settings = settings

    def _all(self, refs: list[SecretRef], detail: str) -> list[Resolution]:
        return [Resolution(ref, Status.UNRESOLVED, self.name, detail) for ref in refs]

    def resolve(self, refs: list[SecretRef]) -> list[Resolution]:
        if not refs:
            return []
        settings = self.settings
        if not settings.configured:
            return self._all(refs, "infisical not configured (set "
                                   + ", ".join(settings.missing()) + ")")
        started = time.monotonic()
        problem = reachable(settings.host, min(settings.timeout, 1.5))
        if problem:
            return self._all(refs, f"{UNREACHABLE} ({problem})")
        with contained_cwd():
            return self._resolve_online(refs, started)

    def _resolve_online(self, refs: list[SecretRef], started: float) -> list[Resolution]:
        from infisical_sdk import InfisicalSDKClient  # type: ignore[import-untyped]
        from infisical_sdk.infisical_requests import APIError  # type: ignore[import-untyped]

        settings = self.settings
        client = InfisicalSDKClient(host=settings.host, cache_ttl=None)
        _bound_session(client.api.session, settings.timeout)
        try:
            try:
                login = client.auth.universal_auth.login(client_id=settings.client_id,
                                                         client_secret=settings.client_secret)
                register_secret(str(getattr(login, "accessToken", "") or ""))
            except APIError as exc:
                return self._all(refs, f"infisical login refused (HTTP {exc.status_code})")
            except _Unreachable as exc:
                return self._all(refs, f"{UNREACHABLE} (login: {exc})")
            except Exception as exc:  # the SDK raises bare TypeError/KeyError on odd bodies
                return self._all(refs, f"infisical login answer malformed ({type(exc).__name__})")
            out = []
            for ref in refs:
                if time.monotonic() - started > settings.deadline:
                    out.append(Resolution(ref, Status.UNRESOLVED, self.name,
                                          f"{UNREACHABLE} (deadline of {settings.deadline:g} s "
                                          "passed)"))
                    continue
                out.append(self._one(client, ref, APIError))
            return out
        finally:
            client.api.session.close()
            client.close()

    def _one(self, client: Any, ref: SecretRef, api_error: type[Exception]) -> Resolution:
        settings = self.settings
        try:
            secret = client.secrets.get_secret_by_name(
                secret_name=ref.name,
                environment_slug=settings.environment,
                secret_path=ref.path,
                project_id=settings.project_id,
                view_secret_value=False,
                expand_secret_references=False,
            )
        except api_error as exc:
            status = getattr(exc, "status_code", 0)
            if status == 404:
                return Resolution(ref, Status.MISSING, self.name,
                                  f"not found in environment {settings.environment}")
            if status in (401, 403):
                return Resolution(ref, Status.UNRESOLVED, self.name,
                                  f"infisical denied access (HTTP {status})")
            return Resolution(ref, Status.UNRESOLVED, self.name, f"infisical error (HTTP {status})")
        except _Unreachable as exc:
            return Resolution(ref, Status.UNRESOLVED, self.name, f"{UNREACHABLE} ({exc})")
        except Exception as exc:  # malformed body: the SDK's model constructors raise anything
            return Resolution(ref, Status.UNRESOLVED, self.name,
                              f"infisical answer malformed ({type(exc).__name__})")
        value = getattr(secret, "secretValue", "")
        if isinstance(value, str) and value not in _HIDDEN:
            register_secret(value)  # a server that ignored viewSecretValue=false: scrub it
        return Resolution(ref, Status.FOUND, self.name, f"exists in environment "
                                                        f"{settings.environment}")
