"""Run every probe in parallel with a per-probe timeout and an overall deadline.

asyncio + httpx so a hanging provider is cancelled, not waited for: the whole run ends within
the deadline (or the timeout, if shorter) whatever the providers do.

The event loop runs on its own daemon thread (`start_probes` returns a `Flight` at once), so the
caller can do its remaining set-up while the requests are on the wire instead of before or after
them, and a connection that never answers can neither hold up the result nor the process's exit.
"""

from __future__ import annotations

import sys

# httpx's optional command-line client (`httpx._main`) is imported by `import httpx` whenever
# click is installed, and pulls in click, pygments and rich: 10-40 ms before the first probe can
# leave, for a console script this process never runs. Mark it absent (httpx then defines a
# stub `main`); nothing else is affected, and an already imported httpx is left alone.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import asyncio  # noqa: E402
import datetime as _dt  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402

import httpx  # noqa: E402

from spine_gates.health.probes import PROBES  # noqa: E402
from spine_gates.health.probes.interface import InsecureTransport  # noqa: E402
from spine_gates.health.state import Health, State, utcnow  # noqa: E402
from spine_gates.health.targets import ProviderTarget  # noqa: E402

ProgressFunc = Callable[[ProviderTarget, Health, int, int], None]
# How long past the deadline a caller waits for the loop thread before giving up on it: only a
# wedged event loop could need this, the loop cancels every probe at the deadline itself.
JOIN_GRACE_S = 1.0


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


def _missing(targets: list[ProviderTarget], results: dict[str, Health],
             deadline: float) -> dict[str, Health]:
    """Every provider without a result ran out of the overall deadline."""
    for target in targets:
        if target.id not in results:
            results[target.id] = Health(
                State.UNREACHABLE, f"no answer before the overall deadline ({deadline:g} s)")
    return results


class Flight:
    """Probes under way on a daemon thread: `sent` once every probe's timer runs, then `result`.

    The thread is a daemon and nothing joins it without a bound, so a provider that never
    answers cannot keep the process alive; the loop itself cancels every probe at its timeout
    and the whole run at the deadline, closing their connections.
    """

    def __init__(self, targets: list[ProviderTarget], timeout: float, deadline: float,
                 progress: ProgressFunc | None, now: _dt.datetime) -> None:
        self.targets = targets
        self.timeout = timeout
        self.deadline = deadline
        self.progress = progress
        self.now = now
        self.results: dict[str, Health] = {}
        self.sent = threading.Event()  # every probe task started: its timeout is running
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="spine-gates-probes",
                                        daemon=True)

    def start(self) -> Flight:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._probe_all())
        except BaseException as exc:  # handed to the caller of result(); never lost
            self._error = exc
        finally:
            self.sent.set()
            self._done.set()

    def _record(self, target: ProviderTarget, health: Health) -> None:
        with self._lock:
            if target.id in self.results:
                return
            self.results[target.id] = health
            done = len(self.results)
        if self.progress:
            self.progress(target, health, done, len(self.targets))

    async def _probe_all(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        targets, timeout = self.targets, self.timeout
        limits = httpx.Limits(max_connections=max(len(targets) * 2, 4))
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                     limits=limits, verify=_tls(targets)) as client:

            async def one(target: ProviderTarget) -> None:
                try:
                    health = await asyncio.wait_for(
                        PROBES[target.kind].probe(client, target, self.now), timeout)
                except Exception as exc:  # every failure is a state, never a crash
                    health = _failure(target, exc, timeout)
                self._record(target, health)

            tasks = [asyncio.create_task(one(t)) for t in targets if not t.problem]
            for target in targets:
                if target.problem:
                    self._record(target, Health(State.AUTH_FAILED, target.problem,
                                                source="config"))
            if tasks:
                await asyncio.sleep(0)  # let every task start its wait_for timer
            self.sent.set()
            if tasks:
                try:
                    _done, pending = await asyncio.wait(tasks, timeout=self.deadline)
                except asyncio.CancelledError:  # cancel(): stop every probe, then finish
                    pending = {t for t in tasks if not t.done()}
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

    def finished(self) -> bool:
        """The loop has ended: every probe answered, timed out or was cancelled."""
        return self._done.is_set()

    def _wait(self, seconds: float) -> None:
        """Wait for the loop to end, at most `seconds`; then reap its thread (already done)."""
        if self._done.wait(seconds):
            self._thread.join(JOIN_GRACE_S)

    def cancel(self) -> None:
        """Stop every probe now (the caller failed and will not read the result)."""
        loop, main = self._loop, self._main
        if loop is not None and main is not None and not self._done.is_set():
            try:
                loop.call_soon_threadsafe(main.cancel)
            except RuntimeError:  # the loop closed in between: nothing left to cancel
                return
        self._wait(JOIN_GRACE_S)

    def result(self) -> dict[str, Health]:
        """A Health per provider id, by the deadline (never raises for a provider)."""
        self._wait(self.deadline + JOIN_GRACE_S)
        if self._error is not None:
            raise self._error
        with self._lock:
            return _missing(self.targets, dict(self.results), self.deadline)


def start_probes(targets: list[ProviderTarget], timeout: float, deadline: float,
                 progress: ProgressFunc | None = None,
                 now: _dt.datetime | None = None) -> Flight:
    """Start probing every target on a daemon thread; returns once every probe's timer runs."""
    flight = Flight(targets, timeout, deadline, progress, now or utcnow()).start()
    flight.sent.wait(deadline + JOIN_GRACE_S)
    return flight


def run_probes(targets: list[ProviderTarget], timeout: float, deadline: float,
               progress: ProgressFunc | None = None,
               now: _dt.datetime | None = None) -> dict[str, Health]:
    """Probe every target; returns a Health per provider id (never raises for a provider)."""
    return start_probes(targets, timeout, deadline, progress, now).result()
