"""The team's state in one Redis (`state: {backend: redis}` in spine-gates.yaml).

Keys, all under the spine's `prefix` (default `spine-gates:default`):

- `<prefix>:breakers:<provider>:<credential>`: a hash, model (`*` = provider-wide) -> the
  breaker as JSON (`breaker.to_record`); `<credential>` is the key's `sha256:` fingerprint.
- `<prefix>:rpm:<provider>:<credential>:<YYYY-MM-DDTHH:MM>`: requests this team sent with that
  key in that UTC minute (INCRBY; expires after two minutes).
- `<prefix>:overrides`: the failover override document (`failover/overrides.py`'s shape).
- `<prefix>:lock:<name>`: a lease lock (`SET NX PX`, a token naming host and pid, renewed while
  held, released only by its holder): a holder that dies frees it when the lease runs out.

Every call is bounded by `state.timeout_s` (connect and read) and never retried: a Redis that is
down is one clear error (exit 3) naming the URL, never a hang. `redis` (redis-py) is imported
only here, and only when the backend is configured.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from spine_gates.errors import InputError
from spine_gates.health.breaker import (
    CLOSED,
    PROVIDER_WIDE,
    Breaker,
    Position,
    Step,
    from_record,
    to_record,
)
from spine_gates.health.state_config import CONFIG_FILE, StateConfig, minute, password
from spine_gates.secrets.redact import redact_text, register_secret

RPM_TTL_S = 120
T = TypeVar("T")

# Compare-and-act on the holder's token: only the holder renews or releases its lease.
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
          "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
_RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
            "return redis.call('del', KEYS[1]) else return 0 end")


class LeaseBusy(InputError):
    """Another process holds the lease lock and did not free it in time."""

    def __init__(self, name: str, holder: str, waited_s: float) -> None:
        super().__init__(f"the team's {name} lock is held by {holder or '?'} (waited "
                         f"{waited_s:.0f} s); it frees itself when that holder's lease runs out",
                         CONFIG_FILE)
        self.holder = holder


def connect(config: StateConfig, env: Mapping[str, str] | None = None) -> RedisState:
    """A client for the configured Redis, checked with one PING; exit 3 when it does not
    answer within `state.timeout_s`."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    secret = password(config, os.environ if env is None else env)
    if secret:
        register_secret(secret)  # any later output of this process scrubs it
    try:
        client = redis.Redis.from_url(
            config.url, password=secret, socket_connect_timeout=config.timeout_s,
            socket_timeout=config.timeout_s, retry=Retry(NoBackoff(), 0),
            decode_responses=True, health_check_interval=0)
    except ValueError as exc:
        raise InputError(f"state.url: {exc}", CONFIG_FILE, config.line) from None
    state = RedisState(client, config, (redis.exceptions.RedisError,))
    state.call(client.ping)
    return state


class RedisState:
    """The team's breakers, rate counts, override document and lease locks."""

    scope = "team"

    def __init__(self, client: Any, config: StateConfig,
                 errors: tuple[type[BaseException], ...]) -> None:
        self.client = client
        self.config = config
        self.prefix = config.prefix
        self._errors = errors

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one client call; a Redis error becomes one exit-3 line naming the store."""
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise self.unavailable(exc) from None

    def unavailable(self, exc: BaseException) -> InputError:
        what = redact_text(str(exc) or type(exc).__name__)
        return InputError(f"the shared state store {self.config.url} did not answer ({what}): "
                          "start it, or set state.backend: sqlite to use this machine's own "
                          "state", CONFIG_FILE, self.config.line)

    # --- breakers (BreakerStore) -----------------------------------------------------------

    def update_breaker(self, provider: str, model: str, credential: str, step: Step,
                       now: _dt.datetime) -> Breaker:
        key = self.key("breakers", provider, credential)
        after: Breaker = self.call(self.client.transaction,
                                   lambda pipe: self._step(pipe, key, model, step), key,
                                   value_from_callable=True)
        return after

    @staticmethod
    def _step(pipe: Any, key: str, model: str, step: Step) -> Breaker:
        """One WATCHed read-modify-write: redis-py reruns it when another writer got in."""
        raw = pipe.hget(key, model)
        before = from_record(json.loads(raw)) if raw else CLOSED
        after = step(before)
        pipe.multi()
        if after != before:
            if after.position == Position.CLOSED:
                pipe.hdel(key, model)
            else:
                pipe.hset(key, model, json.dumps(to_record(after), sort_keys=True))
        return after

    def breaker_models(self, provider: str, credential: str) -> list[str]:
        names = self.call(self.client.hkeys, self.key("breakers", provider, credential))
        return sorted(n for n in names if n != PROVIDER_WIDE)

    def count_requests(self, provider: str, credential: str, sent: int,
                       now: _dt.datetime) -> int | None:
        key = self.key("rpm", provider, credential, minute(now))
        if sent <= 0:
            return int(self.call(self.client.get, key) or 0)
        pipe = self.client.pipeline(transaction=True)
        pipe.incrby(key, sent)
        pipe.expire(key, RPM_TTL_S)
        total, _ = self.call(pipe.execute)
        return int(total)

    # --- documents and leases (the failover override state) -------------------------------

    def get(self, name: str) -> str | None:
        value = self.call(self.client.get, self.key(name))
        return None if value is None else str(value)

    def set(self, name: str, text: str) -> None:
        self.call(self.client.set, self.key(name), text)

    @contextmanager
    def lease(self, name: str, wait_s: float) -> Iterator[None]:
        """Hold `<prefix>:lock:<name>` (waiting up to `wait_s`), renewed every third of the
        lease while held: a holder that dies frees it after at most one lease."""
        key = self.key("lock", name)
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        lease_ms = int(self.config.lock_lease_s * 1000)
        deadline = time.monotonic() + wait_s
        while not self.call(self.client.set, key, token, nx=True, px=lease_ms):
            if time.monotonic() >= deadline:
                holder = str(self.call(self.client.get, key) or "")
                raise LeaseBusy(name, holder.rpartition(":")[0], wait_s)
            time.sleep(0.05)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(key, token, lease_ms, stop),
                                   daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            with suppress(*self._errors):  # Redis went away: the lease runs out by itself
                self.client.eval(_RELEASE, 1, key, token)

    def _renew(self, key: str, token: str, lease_ms: int, stop: threading.Event) -> None:
        while not stop.wait(lease_ms / 3000):
            try:
                self.client.eval(_RENEW, 1, key, token, lease_ms)
            except self._errors:
                return  # the next call on the main thread reports the outage

