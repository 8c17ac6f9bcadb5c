"""Failure injection and claude-code-router 2.0's fallback: who answers, or what the client sees.

2.0 tries each model in `fallback[scenario]` once, in order, after the primary returns any
non-2xx HTTP status; a network error or timeout on the primary is final (no HTTP status, no
fallback). When every fallback fails the client gets the primary's status and a
`provider_response_error` body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spine_gates.errors import InputError
from spine_gates.routing.slots import Decision


class ProviderState(StrEnum):
    OK = "ok"
    HTTP_429 = "http_429"
    HTTP_5XX = "http_5xx"
    HTTP_4XX = "http_4xx"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    QUOTA_EXHAUSTED = "quota_exhausted"


_STATUS = {ProviderState.HTTP_429: 429, ProviderState.HTTP_5XX: 500,
           ProviderState.HTTP_4XX: 400, ProviderState.QUOTA_EXHAUSTED: 429}
_EXPLICIT = re.compile(r"^http_([1-5]\d\d)$")
NETWORK_ERROR_STATUS = 500  # the router's error handler: no statusCode on a fetch error -> 500


@dataclass(frozen=True)
class InjectedState:
    """One upstream's behaviour: an HTTP status (200 = answers) or a network-level failure."""

    name: str
    status: int | None  # None: timeout / connection error (no HTTP response)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse_state(text: str, where: str = "--fail") -> InjectedState:
    """`ok`, `http_429`, `http_5xx`, `http_4xx`, `http_NNN`, `timeout`, `connection_error`,
    `quota_exhausted` (an HTTP 429 from the upstream)."""
    value = text.strip().lower()
    try:
        state = ProviderState(value)
    except ValueError:
        match = _EXPLICIT.match(value)
        if match:
            return InjectedState(value, int(match.group(1)))
        known = ", ".join(s.value for s in ProviderState)
        raise InputError(f"unknown provider state {text!r} (known: {known}, http_NNN)",
                         where) from None
    if state is ProviderState.OK:
        return InjectedState(state.value, 200)
    if state in (ProviderState.TIMEOUT, ProviderState.CONNECTION_ERROR):
        return InjectedState(state.value, None)
    return InjectedState(state.value, _STATUS[state])


OK = InjectedState("ok", 200)


@dataclass(frozen=True)
class Failures:
    """Injected states keyed by `provider` or `provider/model` (the model the router sends)."""

    by_key: tuple[tuple[str, InjectedState], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_table", dict(self.by_key))  # later entries win

    @classmethod
    def parse(cls, items: list[str] | None, where: str = "--fail") -> Failures:
        """`PROVIDER[/MODEL]=STATE` strings, as on the command line."""
        pairs = []
        for item in items or []:
            key, sep, state = item.partition("=")
            if not sep or not key.strip():
                raise InputError(f"expected PROVIDER[/MODEL]=STATE, got {item!r}", where)
            pairs.append((key.strip(), parse_state(state, where)))
        return cls(tuple(pairs))

    @classmethod
    def from_mapping(cls, mapping: dict[str, str], where: str = "") -> Failures:
        return cls(tuple((str(k), parse_state(str(v), where)) for k, v in mapping.items()))

    def state_of(self, provider: str, model: str) -> InjectedState:
        table: dict[str, InjectedState] = self._table  # type: ignore[attr-defined]
        if not table:
            return OK
        return table.get(f"{provider}/{model}") or table.get(provider) or OK


@dataclass(frozen=True)
class Attempt:
    """One upstream call the router makes (or skips)."""

    role: str  # "primary" or "fallback N"
    provider: str
    model: str
    state: str
    status: int | None
    result: str  # answered, failed, skipped (provider not registered)


@dataclass(frozen=True)
class Outcome:
    """What the client gets: the answering model, or a status and error body."""

    status: int
    answered_by: tuple[str, str] | None
    served_by: int | None  # 0 primary, n = fallback n, None = not answered
    attempts: tuple[Attempt, ...]
    error: dict[str, Any] | None
    explanation: str

    @property
    def model_ref(self) -> str | None:
        return f"{self.answered_by[0]}/{self.answered_by[1]}" if self.answered_by else None


_REGISTERED: dict[int, tuple[Any, int, dict[str, dict[str, Any]]]] = {}


def registered_providers(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Providers the router registers: name, api_base_url and api_key all present.

    Memoised on the providers list (kept alive by the memo, so its id cannot be reused) and its
    length: the load simulation and benchmarks resolve thousands of requests per config."""
    listed = config.get("Providers") or config.get("providers") or []
    memo = _REGISTERED.get(id(listed))
    if memo is not None and memo[0] is listed and memo[1] == len(listed):
        return memo[2]
    out = _register(listed)
    if isinstance(listed, list):
        if len(_REGISTERED) > 64:
            _REGISTERED.clear()
        _REGISTERED[id(listed)] = (listed, len(listed), out)
    return out


def _register(listed: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for provider in listed if isinstance(listed, list) else []:
        if not isinstance(provider, dict):
            continue
        if provider.get("name") and provider.get("api_base_url") and provider.get("api_key"):
            out[str(provider["name"])] = provider
    return out


def split_target(target: str) -> tuple[str, str]:
    """The router's split: provider before the first comma, model is the rest."""
    provider, _, model = target.partition(",")
    return provider, model


def resolve(decision: Decision, config: dict[str, Any], failures: Failures | None = None,
            *, supports_fallback: bool = True) -> Outcome:
    """Send the decided request through injected provider states, the way 2.0 does."""
    failures = failures or Failures()
    if decision.hook_status is not None:
        return Outcome(decision.hook_status, None, None, (), {"error": decision.reason},
                       f"a pre-handler threw: HTTP {decision.hook_status}, no upstream call")
    if not decision.target:
        return Outcome(400, None, None, (), {"error": "Missing model in request body"},
                       "no model configured for this request (Router slot empty): HTTP 400")
    providers = registered_providers(config)
    provider, model = split_target(str(decision.target))
    if provider not in providers:
        return Outcome(404, None, None, (), {"error": {
            "message": f"Provider '{provider}' not found", "type": "api_error",
            "code": "provider_not_found"}},
            f"provider {provider!r} is not registered (names match exactly; a provider "
            "without name, api_base_url or api_key is dropped): HTTP 404, no fallback")
    if decision.convert_error is not None:
        return Outcome(500, None, None, (), {"error": {
            "message": f"the request converter threw: {decision.convert_error}",
            "type": "api_error", "code": "internal_error"}},
            f"the router converts the request for {provider},{model} and its converter throws "
            f"({decision.convert_error}): HTTP 500, no upstream call, no fallback")
    state = failures.state_of(provider, model)
    if state.ok:
        primary = Attempt("primary", provider, model, state.name, state.status, "answered")
        return Outcome(state.status or 200, (provider, model), 0, (primary,), None,
                       f"{provider},{model} answered")
    attempts = [Attempt("primary", provider, model, state.name, state.status, "failed")]
    if state.status is None:
        return Outcome(NETWORK_ERROR_STATUS, None, None, tuple(attempts), {"error": {
            "message": f"{state.name} talking to {provider}", "type": "api_error",
            "code": "internal_error"}},
            f"{provider},{model}: {state.name} (no HTTP status): 2.0 does not fall back on "
            f"network errors or timeouts; the client gets HTTP {NETWORK_ERROR_STATUS}")
    lists = config.get("fallback")  # the router reads a non-object as "no fallback lists"
    chain = lists.get(decision.scenario) if supports_fallback and isinstance(lists, dict) else None
    tried_fallback = isinstance(chain, list) and bool(chain)
    if tried_fallback:
        assert isinstance(chain, list)
        for index, entry in enumerate(chain, start=1):
            if not isinstance(entry, str):
                continue
            fb_provider, _, fb_model_rest = entry.partition(",")
            fb_model = fb_model_rest
            if fb_provider not in providers:
                attempts.append(Attempt(f"fallback {index}", fb_provider, fb_model, "unknown",
                                        None, "skipped"))
                continue
            fb_state = failures.state_of(fb_provider, fb_model)
            if fb_state.ok:
                attempts.append(Attempt(f"fallback {index}", fb_provider, fb_model,
                                        fb_state.name, fb_state.status, "answered"))
                return Outcome(fb_state.status or 200, (fb_provider, fb_model), index,
                               tuple(attempts), None,
                               f"{provider},{model} failed with HTTP {state.status}; fallback "
                               f"{index} ({fb_provider},{fb_model}) answered")
            attempts.append(Attempt(f"fallback {index}", fb_provider, fb_model, fb_state.name,
                                    fb_state.status, "failed"))
    if tried_fallback:
        why = f"every model in fallback.{decision.scenario} failed"
    elif not supports_fallback:
        why = "this router version has no fallback"
    else:
        why = f"no fallback list for scenario {decision.scenario!r}"
    return Outcome(int(state.status), None, None, tuple(attempts), {"error": {
        "message": f"Error from provider({provider},{model}: {state.status}): ...",
        "type": "api_error", "code": "provider_response_error"}},
        f"{provider},{model} failed with HTTP {state.status}; {why}: the client gets the "
        f"primary's HTTP {state.status} (provider_response_error)")
