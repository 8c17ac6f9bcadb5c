"""The core loop of `gates providers status`: probe, fold passive signals, advance breakers,
derive the role view, and write the snapshot `gates session check` reads.

It knows nothing about the command line or output formats. What the set-up after the probes
needs (the breakers, the roles, the governance model, the redaction service, the router check) is
imported inside functions: at the top it would load before the probes start; `_while_probing`
loads it while they wait on the network.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlunsplit

from spine_gates.errors import InputError
from spine_gates.health import passive, state_store
from spine_gates.health.state import Health, State, iso, utcnow, worse
from spine_gates.health.state_config import StateConfig, minute, state_config
from spine_gates.health.targets import ProviderTarget, build_targets, parse_overrides, split_url
from spine_gates.model.spine import load_config, load_documents

if TYPE_CHECKING:
    import sqlite3

    from spine_gates.health.breaker import BreakerStore
    from spine_gates.health.gateway_redis import Cooldown, GatewayEvidence
    from spine_gates.health.roles import RoleView
    from spine_gates.health.router import RouterHealth
    from spine_gates.health.runner import ProgressFunc

DEFAULTS = {"timeout_s": 5.0, "deadline_s": 10.0, "slow_ms": 2500.0, "cache_ttl_s": 300.0,
            "passive_window_s": passive.WINDOW_S}
SLOW_SAMPLE = 3


@dataclass(frozen=True)
class Budget:
    """A key's requests this minute against its registry `rate_limit_rpm`, counted by the team.

    `sources` says where the count comes from: `probes` (every `providers status` and watcher
    round of the team) and `gateway` (the LiteLLM gateway's own per-minute counters in the same
    Redis, `health/gateway_redis.py`; None: not read). `used` is their sum.
    """

    minute: str
    used: int
    limit_rpm: int | None
    sources: Mapping[str, int | None]

    def to_json(self) -> dict[str, Any]:
        remaining = None if self.limit_rpm is None else max(self.limit_rpm - self.used, 0)
        return {"minute": self.minute, "used": self.used, "limit_rpm": self.limit_rpm,
                "remaining": remaining, "sources": dict(self.sources)}

    def describe(self) -> str:
        limit = f"/{self.limit_rpm}" if self.limit_rpm is not None else " (no rate_limit_rpm)"
        seen = ", ".join(f"{name} {count}" for name, count in self.sources.items()
                         if count is not None)
        return f"budget this minute: {self.used}{limit} requests, team-wide ({seen})"


@dataclass(frozen=True)
class ProviderStatus:
    id: str
    kind: str
    api_base: str
    credential: str
    health: Health
    budget: Budget | None = None  # with a shared state store only
    gateway: tuple[Cooldown, ...] | None = None  # the gateway's cooldowns, with a shared store

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "kind": self.kind, "api_base": self.api_base,
                "credential": self.credential, **self.health.to_json()}
        if self.budget is not None:
            data["budget"] = self.budget.to_json()
        if self.gateway is not None:
            data["gateway_cooldowns"] = [c.to_json() for c in self.gateway]
        return data


@dataclass(frozen=True)
class StatusReport:
    root: str
    checked_at: _dt.datetime
    offline: bool
    providers: tuple[ProviderStatus, ...]
    roles: tuple[RoleView, ...]
    duration_ms: float
    cache_ttl_s: float = DEFAULTS["cache_ttl_s"]
    router: RouterHealth | None = None  # the router itself (health/router.py)
    state_store: str | None = None  # the shared store read, when there is one

    @property
    def exit_code(self) -> int:
        from spine_gates.health.roles import exit_code  # loaded while probing (_while_probing)

        return exit_code(list(self.roles))

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for r in self.roles if r.status.value == s)
                  for s in ("healthy", "degraded", "down")}
        return {
            "root": self.root,
            "checked_at": iso(self.checked_at),
            "offline": self.offline,
            "exit_code": self.exit_code,
            "summary": {"roles": counts, "providers": {
                "total": len(self.providers),
                "healthy": sum(1 for p in self.providers if p.health.state == State.HEALTHY)}},
            "providers": [p.to_json() for p in self.providers],
            "roles": [r.to_json() for r in self.roles],
            "duration_ms": round(self.duration_ms, 1),
            "cache_ttl_s": self.cache_ttl_s,
            "router": self.router.to_json() if self.router is not None else None,
            **({"state_store": self.state_store} if self.state_store else {}),
        }


def settings(raw: Mapping[str, Any]) -> dict[str, float]:
    """`health:` in spine-gates.yaml may override the defaults (numbers only)."""
    section = raw.get("health") or {}
    if not isinstance(section, dict):
        raise InputError("'health' must be a mapping", "spine-gates.yaml")
    merged = dict(DEFAULTS)
    for key, value in section.items():
        if key not in DEFAULTS:
            raise InputError(f"unknown health setting {key!r} (known: {', '.join(DEFAULTS)})",
                             "spine-gates.yaml")
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not 0 < value < math.inf:  # .nan and .inf parse as YAML floats
            raise InputError(f"health.{key} must be a positive number (finite: not .nan or "
                             ".inf)", "spine-gates.yaml")
        merged[key] = float(value)
    return merged


def display_base(url: str) -> str:
    """The API base without userinfo, query or fragment (never a credential in output)."""
    parts = split_url(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def governed_files(root: Path, registries: Mapping[str, str]) -> list[str]:
    files = [registries["providers"], registries["roles"]]
    if (root / "spine-gates.yaml").exists():
        files.append("spine-gates.yaml")
    return files


def _slow(conn: Any, target: ProviderTarget, health: Health, now: _dt.datetime,
          slow_ms: float) -> Health:
    """Degraded needs a minimum sample: the median of the last probes over the threshold."""
    if health.latency_ms is None or health.state != State.HEALTHY:
        return health
    with state_store.transaction(conn):
        conn.execute("INSERT INTO samples (provider, at, latency_ms) VALUES (?, ?, ?)",
                     (target.id, now.timestamp(), health.latency_ms))
        conn.execute("DELETE FROM samples WHERE provider = ? AND at < ?",
                     (target.id, now.timestamp() - 3600))
        rows = conn.execute("SELECT latency_ms FROM samples WHERE provider = ? ORDER BY at DESC "
                            "LIMIT ?", (target.id, SLOW_SAMPLE)).fetchall()
    if len(rows) < SLOW_SAMPLE:
        return health
    median = sorted(r[0] for r in rows)[len(rows) // 2]  # SLOW_SAMPLE is odd
    if median <= slow_ms:
        return health
    return health.with_(state=State.DEGRADED,
                        reason=f"slow: median {median:.0f} ms over the last {SLOW_SAMPLE} "
                        f"probes (> {slow_ms:.0f} ms)")


def _settle(conn: Any, store: BreakerStore, target: ProviderTarget, observed: Health | None,
            log_tally: passive.Tally | None, now: _dt.datetime, slow_ms: float,
            offline: bool) -> Health:
    """Probe + router log + breaker -> the one health to report for a provider."""
    from spine_gates.health import breaker  # loaded while probing (_while_probing)

    observed_log = passive.fold(log_tally, now)
    if observed is not None:
        observed = _slow(conn, target, observed, now, slow_ms)
    merged = worse(observed, observed_log) if observed is not None else observed_log
    offline_reason = ("offline: not probed; breaker closed, no recent errors in the router log"
                      if offline else "not probed; breaker closed")
    base = display_base(target.api_base)
    health = breaker.update(store, target.id, breaker.PROVIDER_WIDE, target.credential, merged,
                            now, base, offline_reason)
    models: dict[str, Health] = {}
    tallies = log_tally.models if log_tally else {}
    names = set(tallies) | (set(merged.models) if merged is not None else set())
    names |= set(breaker.open_breakers(store, target.id, target.credential))
    for model in sorted(names):
        seen = merged.models.get(model) if merged is not None else None
        seen = worse(seen, passive.fold(tallies.get(model), now)) if seen else passive.fold(
            tallies.get(model), now)
        if seen is None and not offline and merged is not None:
            seen = Health(State.HEALTHY, "no model-level signal",
                          quota_evidence=merged.quota_evidence)
        model_health = breaker.update(store, target.id, model, target.credential, seen, now,
                                      base, "no model-level signal")
        if model_health.state != State.HEALTHY:
            models[model] = model_health
    return health.with_(models=models)


def collect_status(root: Path, *, timeout: float | None = None, deadline: float | None = None,
                   offline: bool = False, deep: bool = False,
                   overrides: list[str] | None = None,
                   env: Mapping[str, str] | None = None, progress: ProgressFunc | None = None,
                   now: _dt.datetime | None = None,
                   live: Path | None = None) -> tuple[StatusReport, list[str]]:
    """Returns the report and the keys seen (so the caller can scrub any output of them).

    Only what the probes need comes before they start: the registries (every one is parsed, so
    bad input is still exit 3 before anything is sent), the settings and the targets. The rest
    of the set-up (the governance model, the state store, the router log, the redaction
    service) runs here while the probes wait on the network, so the command ends as soon as
    the last probe answers or times out.
    """
    started = time.perf_counter()
    config = load_config(root)
    documents = load_documents(root, config)
    conf = settings(config.settings)
    state = state_config(config)
    timeout = conf["timeout_s"] if timeout is None else timeout
    deadline = conf["deadline_s"] if deadline is None else deadline
    if not (0 < timeout < math.inf and 0 < deadline < math.inf):  # NaN fails both tests
        raise InputError("--timeout and --deadline must be positive, finite seconds")
    env = env if env is not None else _environ()
    registry = documents["providers"].data.get("providers")
    targets = build_targets(registry if isinstance(registry, dict) else {}, env,
                            parse_overrides(overrides, env), deep)
    keys = [t.key for t in targets if t.key]
    now = now or utcnow()
    flight = None
    if not offline:
        from spine_gates.health.runner import start_probes  # asyncio + httpx; not --offline

        flight = start_probes(targets, timeout, deadline, progress, now)
    ready = None
    try:
        ready = _while_probing(root, config, documents, targets, keys, now, conf, state, env)
        ready.router = _router(live, env, offline)
        observed = flight.result() if flight is not None else {}
    except BaseException:
        if flight is not None:
            flight.cancel()
        if ready is not None:
            ready.conn.close()
        raise
    ready.limits = _rpm_limits(registry if isinstance(registry, dict) else {})
    if flight is not None:
        now = utcnow()
    if state.shared:
        try:
            ready.gateway = _gateway(ready.store, registry if isinstance(registry, dict) else {},
                                     now)
        except BaseException:
            ready.conn.close()
            raise
    return _finish(root, ready, targets, observed, now, conf, offline, started), keys


@dataclass
class _Ready:
    """What `_while_probing` prepared for the moment the probes are done."""

    roles: dict[str, Any]
    conn: sqlite3.Connection
    tallies: dict[str, passive.Tally]
    files: list[str]
    digest: str
    router: RouterHealth | None = None
    store: BreakerStore | None = None
    state: StateConfig | None = None
    limits: dict[str, int] | None = None
    gateway: GatewayEvidence | None = None  # read from the team's Redis only


def _while_probing(root: Path, config: Any, documents: dict[str, Any],
                   targets: list[ProviderTarget], keys: list[str], now: _dt.datetime,
                   conf: Mapping[str, float], state: StateConfig,
                   env: Mapping[str, str]) -> _Ready:
    """Everything after the probes that does not depend on their answers.

    Registering the keys makes every later output of this process scrub them. The router log
    window is anchored at the probes' start. Imports happen here too, on purpose: each one
    done here is one less after the last probe answers.
    """
    from spine_gates.health import breaker, roles  # noqa: F401  (imported now, used in _finish)
    from spine_gates.health.session_brief import digest_files
    from spine_gates.model.governance import GovernanceModel
    from spine_gates.secrets.redact import redact_text, register_secret

    for key in keys:
        register_secret(key)
    redact_text(" ")  # compiles the redaction patterns now rather than after the probes
    model = GovernanceModel(root, documents, config)
    tallies = passive.read_tallies({t.id: t.kind for t in targets}, now,
                                   window_s=conf["passive_window_s"])
    files = governed_files(root, config.registries)
    digest = digest_files(root, files)
    ready = _Ready(model.roles, open_store(), tallies, files, digest, state=state)
    try:
        ready.store = open_breaker_store(state, ready.conn, env)
    except BaseException:
        ready.conn.close()
        raise
    return ready


def open_breaker_store(state: StateConfig, conn: sqlite3.Connection,
                       env: Mapping[str, str]) -> BreakerStore:
    """Where breakers live: this machine's SQLite store, or the team's Redis (connected and
    checked now, while the probes are on the wire; exit 3 when it does not answer)."""
    # each store's module only when the spine uses it (and off the path before the probes start)
    if not state.shared:
        from spine_gates.health.breakers_sqlite import SqliteBreakers

        return SqliteBreakers(conn)
    from spine_gates.health.state_redis import connect

    return connect(state, env)


def _gateway(store: BreakerStore | None, registry: Mapping[str, Any],
             now: _dt.datetime) -> GatewayEvidence:
    """The team gateway's cooldowns and rate counters for the registry's deployments."""
    # only with the team's Redis store: the gateway reader pulls in the litellm compiler (YAML)
    from spine_gates.health.gateway_redis import deployments, read_gateway
    from spine_gates.health.state_redis import RedisState

    assert isinstance(store, RedisState)
    return read_gateway(store, deployments(registry), now)


def _with_cooldowns(health: Health, cooldowns: tuple[Cooldown, ...]) -> Health:
    """A model the gateway cooled down is reported so (the worse signal wins) until it ends:
    the gateway sends it nothing meanwhile, whatever a probe of the provider says."""
    if not cooldowns:
        return health
    models = dict(health.models)
    for cooldown in cooldowns:
        seen = cooldown.health()
        before = models.get(cooldown.deployment.model)
        models[cooldown.deployment.model] = worse(before, seen) if before is not None else seen
    return health.with_(models=models)


def _rpm_limits(registry: Mapping[str, Any]) -> dict[str, int]:
    limits = {}
    for ident, body in registry.items():
        value = body.get("rate_limit_rpm") if isinstance(body, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            limits[str(ident)] = value
    return limits


def _budget(store: BreakerStore, target: ProviderTarget, observed: Mapping[str, Health],
            limits: Mapping[str, int], now: _dt.datetime,
            gateway: GatewayEvidence | None) -> Budget | None:
    """Count this run's probe requests against the key's minute and report the team's total,
    the gateway's requests included (a store without a shared budget reports none)."""
    sent = 0
    if target.problem is None and target.id in observed:  # a problem means nothing was sent
        sent = 2 if target.deep else 1  # the catalogue call, and the 1-token completion
    used = store.count_requests(target.id, target.credential, sent, now)
    if used is None:
        return None
    through = gateway.rpm.get(target.id, 0) if gateway is not None else None
    return Budget(minute(now), used + (through or 0), limits.get(target.id),
                  {"probes": used, "gateway": through})


def _finish(root: Path, ready: _Ready, targets: list[ProviderTarget],
            observed: Mapping[str, Health], now: _dt.datetime, conf: Mapping[str, float],
            offline: bool, started: float) -> StatusReport:
    """Fold the answers into breakers, derive the roles and write the snapshot."""
    from spine_gates.health.roles import role_views  # loaded while probing (_while_probing)

    conn = ready.conn
    store = ready.store
    assert store is not None
    try:
        gateway = ready.gateway
        statuses = tuple(
            ProviderStatus(t.id, t.kind, display_base(t.api_base), t.credential,
                           _with_cooldowns(
                               _settle(conn, store, t, observed.get(t.id),
                                       ready.tallies.get(t.id), now, conf["slow_ms"], offline),
                               gateway.cooldowns.get(t.id, ()) if gateway else ()),
                           _budget(store, t, observed, ready.limits or {}, now, gateway),
                           gateway.cooldowns.get(t.id, ()) if gateway else None)
            for t in targets)
        views = tuple(role_views(ready.roles, {s.id: s.health for s in statuses}))
        shared = ready.state.describe() if ready.state and ready.state.shared else None
        report = StatusReport(str(root), now, offline, statuses, views,
                              (time.perf_counter() - started) * 1000, conf["cache_ttl_s"],
                              ready.router, shared)
        save_snapshot(conn, report, ready.files, ready.digest)
    finally:
        conn.close()
    return report


def _router(live: Path | None, env: Mapping[str, str], offline: bool) -> RouterHealth:
    """The router's own health, checked while the probes are on the wire (loopback only, at
    most its short timeout); --offline reads its files and sends nothing."""
    from spine_gates.health.router import check_router  # called while probing

    return check_router(live, env, probe=not offline)


def open_store() -> Any:
    import sqlite3

    try:
        return state_store.connect()
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"cannot open the health state store: {exc}",
                         str(state_store.db_path())) from None


def save_snapshot(conn: Any, report: StatusReport, files: list[str], digest: str) -> None:
    from spine_gates.secrets.redact import redact_text  # loaded while probing

    payload = redact_text(json.dumps(report.to_json(), sort_keys=True))
    with state_store.transaction(conn):
        conn.execute("INSERT OR REPLACE INTO snapshots (root, written_at, files, digest, payload)"
                     " VALUES (?, ?, ?, ?, ?)", (report.root, time.time(), json.dumps(files),
                                                 digest, payload))


def _environ() -> dict[str, str]:
    return dict(os.environ)
