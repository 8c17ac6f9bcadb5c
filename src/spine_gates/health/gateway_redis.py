"""A LiteLLM team gateway's own state in the team's Redis, read as health evidence.

`gates compile litellm` points the gateway at the spine's `state:` Redis (router_settings
`redis_host/port/password`), and names every deployment by its SSOT reference
(`model_info.id` = `deployment_id(ref)`). The gateway then keeps, outside the spine's prefix:

- `deployment:{id}:cooldown`: present (TTL = its cooldown) while the gateway sends that
  deployment nothing; the value is the dict LiteLLM wrote (`str()` of it, or JSON), with the
  upstream status and error.
- `global_router:{id}:{litellm model}:rpm:{HH-MM}`: the requests it sent that deployment in that
  UTC minute (every failure, and every success of a deployment with an `rpm` limit).

Only the keys of the registry's own deployments are read (one pipelined round trip, no SCAN of
a shared keyspace), so every key maps back to a provider/model by construction.
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from spine_gates.health.state import Health, State, iso
from spine_gates.litellm.compile import deployment_id, litellm_model

if TYPE_CHECKING:
    from spine_gates.health.state_redis import RedisState

MAX_VALUE = 16_384  # a cooldown record is a few hundred bytes; anything bigger is not one
REASON_CHARS = 160


@dataclass(frozen=True)
class Deployment:
    """One gateway deployment the compiler writes for a registry model."""

    provider: str
    model: str
    id: str  # model_info.id
    litellm_model: str  # litellm_params.model, the second part of its rpm key

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class Cooldown:
    """A deployment the gateway has cooled down: it sends it nothing until `until`."""

    deployment: Deployment
    until: _dt.datetime
    status: int | None
    error: str

    def health(self) -> Health:
        what = f"{self.status} " if self.status is not None else ""
        return Health(_state(self.status), f"gateway cooldown: {what}{self.error}".rstrip(),
                      until=self.until, http_status=self.status, source="gateway")

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.deployment.ref, "deployment_id": self.deployment.id,
                "until": iso(self.until), "http_status": self.status, "error": self.error}


@dataclass(frozen=True)
class GatewayEvidence:
    cooldowns: Mapping[str, tuple[Cooldown, ...]]  # by provider id
    rpm: Mapping[str, int]  # by provider id: the gateway's requests this UTC minute


def deployments(registry: Mapping[str, Any]) -> list[Deployment]:
    """The deployments `gates compile litellm` writes for this provider registry."""
    found = []
    for ident, body in registry.items():
        if not isinstance(body, dict) or not isinstance(body.get("models"), list):
            continue
        api_format = body.get("api_format")
        for name in body["models"]:
            if isinstance(name, str | int | float) and not isinstance(name, bool):
                ref = f"{ident}/{name}"
                found.append(Deployment(str(ident), str(name), deployment_id(ref),
                                        litellm_model(str(name), str(api_format))))
    return found


def read_gateway(state: RedisState, known: list[Deployment],
                 now: _dt.datetime) -> GatewayEvidence:
    """The gateway's cooldowns and this minute's request counts for the known deployments."""
    if not known:
        return GatewayEvidence({}, {})
    cooldown_keys = [f"deployment:{d.id}:cooldown" for d in known]
    hh_mm = now.astimezone(_dt.UTC).strftime("%H-%M")  # LiteLLM's own minute, in UTC
    rpm_keys = [f"global_router:{d.id}:{d.litellm_model}:rpm:{hh_mm}" for d in known]
    pipe = state.client.pipeline(transaction=False)
    pipe.mget(cooldown_keys)
    for key in cooldown_keys:
        pipe.pttl(key)
    pipe.mget(rpm_keys)
    replies = state.call(pipe.execute)
    values, ttls, counts = replies[0], replies[1:-1], replies[-1]
    cooldowns: dict[str, list[Cooldown]] = {}
    rpm: dict[str, int] = {}
    for deployment, value, ttl, count in zip(known, values, ttls, counts, strict=True):
        if value is not None:
            cooldown = _cooldown(deployment, str(value), ttl, now)
            if cooldown is not None:
                cooldowns.setdefault(deployment.provider, []).append(cooldown)
        rpm[deployment.provider] = rpm.get(deployment.provider, 0) + _count(count)
    return GatewayEvidence({p: tuple(c) for p, c in cooldowns.items()}, rpm)


def _cooldown(deployment: Deployment, raw: str, ttl: Any,
              now: _dt.datetime) -> Cooldown | None:
    record = _record(raw)
    until = None
    started, length = record.get("timestamp"), record.get("cooldown_time")
    if _number(started) and _number(length):
        until = _dt.datetime.fromtimestamp(float(started) + float(length), _dt.UTC)
    elif isinstance(ttl, int) and ttl > 0:  # PTTL, milliseconds
        until = now + _dt.timedelta(milliseconds=ttl)
    if until is None or until <= now:
        return None  # LiteLLM treats an entry past its own cooldown_time as over, too
    status = record.get("status_code")
    code = int(status) if isinstance(status, str | int) and str(status).isdigit() else None
    error = " ".join(str(record.get("exception_received") or "").split())
    if len(error) > REASON_CHARS:
        error = error[:REASON_CHARS - 1] + "…"
    return Cooldown(deployment, until, code, error)


def _record(raw: str) -> dict[str, Any]:
    """LiteLLM's sync path stores `str(dict)`, its async path JSON: read either, as data only."""
    if len(raw) > MAX_VALUE:
        return {}
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(raw)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(value, dict):
            return value
    return {}


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(raw: Any) -> int:
    try:
        return max(int(raw), 0) if raw is not None else 0
    except (TypeError, ValueError):
        return 0


def _state(status: int | None) -> State:
    """The gateway cools a deployment down on 429, 401, 402, 404, 408 and 5xx."""
    if status == 429:
        return State.RATE_LIMITED
    if status in (401, 403):
        return State.AUTH_FAILED
    if status == 402:
        return State.QUOTA_EXHAUSTED
    if status in (404, 408):
        return State.UNREACHABLE
    return State.OVERLOADED
