"""Run every probe in parallel with a per-probe timeout and an overall deadline.

asyncio + httpx so a hanging provider is cancelled, not waited for: the whole run ends within
the deadline (or the timeout, if shorter) whatever the providers do.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import socket
import ssl
from collections.abc import Callable

import httpx

from spine_gates.health.probes import PROBES
from spine_gates.health.probes.interface import InsecureTransport
from spine_gates.health.state import Health, State, utcnow
from spine_gates.health.targets import ProviderTarget

ProgressFunc = Callable[[ProviderTarget, Health, int, int], None]


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _failure(target: ProviderTarget, exc: BaseException, timeout: float) -> Health:
    if isinstance(exc, asyncio.TimeoutError | httpx.TimeoutException):
        return Health(State.UNREACHABLE, f"no answer within {timeout:g} s")
    if isinstance(exc, InsecureTransport):
        return Health(State.AUTH_FAILED, str(exc))
    if isinstance(exc, httpx.ConnectError):
        chain = list(_causes(exc))
        if any(isinstance(e, ssl.SSLError) for e in chain):
            return Health(State.UNREACHABLE, "TLS handshake failed")
        if any(isinstance(e, ConnectionRefusedError) for e in chain):
            return Health(State.UNREACHABLE, "connection refused")
        if any(isinstance(e, socket.gaierror) for e in chain):
            return Health(State.UNREACHABLE, "host name does not resolve")
        return Health(State.UNREACHABLE, "cannot connect")
    if isinstance(exc, httpx.HTTPError):
        return Health(State.UNREACHABLE, f"transport error ({type(exc).__name__})")
    return Health(State.DEGRADED, f"probe failed ({type(exc).__name__})")


def _tls(targets: list[ProviderTarget]) -> ssl.SSLContext | bool:
    """httpx's verifying context (CA bundle, SSL_CERT_FILE) when a probe uses https.

    Loading the CA bundle costs 30-70 ms before the first probe. Without https targets a bare
    client context is enough: it still requires a valid certificate and hostname but trusts no
    CA, so it could never accept any certificate.
    """
    if any(t.api_base.startswith("https:") for t in targets if not t.problem):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


async def _probe_all(targets: list[ProviderTarget], timeout: float, deadline: float,
                     now: _dt.datetime, progress: ProgressFunc | None) -> dict[str, Health]:
    results: dict[str, Health] = {}
    total = len(targets)

    def record(target: ProviderTarget, health: Health) -> None:
        results[target.id] = health
        if progress:
            progress(target, health, len(results), total)

    limits = httpx.Limits(max_connections=max(total * 2, 4))
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                 limits=limits, verify=_tls(targets)) as client:

        async def one(target: ProviderTarget) -> None:
            try:
                health = await asyncio.wait_for(PROBES[target.kind].probe(client, target, now),
                                                timeout)
            except Exception as exc:  # every failure is a state, never a crash
                health = _failure(target, exc, timeout)
            record(target, health)

        tasks = [asyncio.create_task(one(t)) for t in targets if not t.problem]
        for target in targets:
            if target.problem:
                record(target, Health(State.AUTH_FAILED, target.problem, source="config"))
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=deadline)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    for target in targets:
        if target.id not in results:
            record(target, Health(State.UNREACHABLE,
                                  f"no answer before the overall deadline ({deadline:g} s)"))
    return results


def run_probes(targets: list[ProviderTarget], timeout: float, deadline: float,
               progress: ProgressFunc | None = None,
               now: _dt.datetime | None = None) -> dict[str, Health]:
    """Probe every target; returns a Health per provider id (never raises for a provider)."""
    return asyncio.run(_probe_all(targets, timeout, deadline, now or utcnow(), progress))
