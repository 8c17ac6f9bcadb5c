"""LiteLLM's router (the team gateway), as the evaluator predicts it: `--target litellm`.

Read from the pinned 1.108.7 (`litellm/router.py`, `router_utils/cooldown_handlers.py`) and
checked against it on loopback (tests/routing/test_litellm_differential.py):

- A request names a model group, or an alias of one (`model_group_alias`); an unknown name is
  HTTP 400 with no upstream call. Fallbacks are looked up by the name the client sent, not by the
  group an alias resolves to (an alias without its own `fallbacks` entry has none).
- Inside a group: one attempt, then up to `num_retries` more (default 2). A single-deployment
  group backs off before each retry and after the last one (0.5 s * 2^n, plus up to 0.75 s of
  jitter); a group with another healthy deployment retries at once. Not retried: 4xx other than
  408/409/429 (401/403 are retried only with another deployment), 404, a context-window error
  when `context_window_fallbacks` exist, and any error when no deployment is healthy.
- Then `fallbacks` in order (a hop without its own chain resumes the original's, skipping groups
  already tried; at most 5 hops); a context-window error takes `context_window_fallbacks`.
- Cooldown entry: only 429, 401, 402, 404, 408 and 5xx count, never a timeout the gateway set
  itself nor a connection error. With `allowed_fails` unset (or at LiteLLM's own default, 3),
  a 429 cools a deployment down only in a group of more than one; a 401/404 cools it at once.
  With `allowed_fails` set, a deployment cools down on its (allowed_fails + 1)-th failure within
  `cooldown_time`, unless it is alone in its group and the request has no fallback. Exit: after
  `cooldown_time` (default 5 s). The cooldown is written by a failure callback that runs after
  the request: it counts from the next request on.

A multi-deployment group picks at random (simple-shuffle); the prediction takes a failing
deployment first and a retry the next healthy one, which is the path that shows the failure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.litellm.compile import compile_litellm_config
from spine_gates.litellm.live import read_file
from spine_gates.model.governance import load_model
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps
from spine_gates.routing.fallback import Failures, InjectedState, parse_state

DEFAULT_NUM_RETRIES = 2
DEFAULT_TIMEOUT = 6000.0  # litellm.request_timeout
DEFAULT_COOLDOWN = 5.0  # DEFAULT_COOLDOWN_TIME_SECONDS
LITELLM_ALLOWED_FAILS = 3  # litellm.allowed_fails: the router treats this value as "not set"
MAX_FALLBACKS = 5
INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, JITTER = 0.5, 8.0, 0.75
COOLDOWN_STATUSES = frozenset({429, 401, 402, 404, 408})
CONTEXT_WINDOW = InjectedState("context_window", 400)
TIMEOUT_STATUS = 408  # litellm.Timeout
CONNECTION_STATUS = 500  # litellm.APIConnectionError
NO_DEPLOYMENT_STATUS = 429  # RouterRateLimitError: every deployment of the group cooling down
PER_MINUTE_MIN_REQUESTS, FAILURE_RATE = 5, 0.5


def parse_gateway_state(text: str, where: str = "--fail") -> InjectedState:
    """The router's states plus `context_window` (a 400 saying the prompt is too long)."""
    if text.strip().lower() == CONTEXT_WINDOW.name:
        return CONTEXT_WINDOW
    return parse_state(text, where)


def gateway_failures(items: list[str] | None, where: str = "--fail") -> Failures:
    pairs = []
    for item in items or []:
        key, sep, state = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected PROVIDER[/MODEL]=STATE, got {item!r}", where)
        pairs.append((key.strip(), parse_gateway_state(state, where)))
    return Failures(tuple(pairs))


@dataclass(frozen=True)
class Deployment:
    """One `model_list` entry: its group, id, and the provider/model it reaches."""

    group: str
    id: str
    provider: str
    model: str
    cooldown_time: float | None = None

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class GatewayConfig:
    deployments: tuple[Deployment, ...]
    aliases: dict[str, str]
    fallbacks: dict[str, tuple[str, ...]]
    context_window_fallbacks: dict[str, tuple[str, ...]] | None
    num_retries: int = DEFAULT_NUM_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    allowed_fails: int | None = None
    cooldown_time: float = DEFAULT_COOLDOWN
    retry_after: float = 0.0

    def group(self, name: str) -> tuple[Deployment, ...]:
        return tuple(d for d in self.deployments if d.group == name)

    @property
    def allowed_fails_set(self) -> bool:
        return self.allowed_fails is not None and self.allowed_fails != LITELLM_ALLOWED_FAILS

    def client_names(self) -> list[str]:
        """The names a client can send: groups and aliases, in config order."""
        names = dict.fromkeys([*(d.group for d in self.deployments), *self.aliases])
        return list(names)


def _number(value: Any, key: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"router_settings.{key} must be a number, 0 or more", where)
    return float(value)


def _chains(value: Any, key: str, where: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    if value is None:
        return out
    if not isinstance(value, list):
        raise InputError(f"router_settings.{key} must be a list of {{group: [groups]}}", where)
    for entry in value:
        if not isinstance(entry, dict):
            raise InputError(f"router_settings.{key}: {entry!r} is not a {{group: [groups]}}",
                             where)
        for name, chain in entry.items():
            targets = [chain] if isinstance(chain, str) else chain
            if not isinstance(targets, list):
                raise InputError(f"router_settings.{key}.{name} must be a list", where)
            out.setdefault(str(name), tuple(str(t) for t in targets))
    return out


def _split_ref(ref: str) -> tuple[str, str]:
    provider, _, model = ref.partition("/")
    return provider, model


def gateway_config(data: dict[str, Any], where: str = "config.yaml") -> GatewayConfig:
    """The routing view of a LiteLLM `config.yaml` (compiled or live)."""
    from urllib.parse import unquote

    listed = data.get("model_list") or []
    if not isinstance(listed, list):
        raise InputError("model_list must be a list", where)
    deployments = []
    for index, entry in enumerate(listed):
        if not isinstance(entry, dict) or not isinstance(entry.get("model_name"), str):
            raise InputError(f"model_list[{index}] needs a model_name", where)
        raw_params, raw_info = entry.get("litellm_params"), entry.get("model_info")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        ident = str(info.get("id") or f"{entry['model_name']}#{index}")
        # the compiled id is the SSOT reference, percent-encoded; else the group's own name
        ref = unquote(str(info["id"])) if info.get("id") and "/" in str(info["id"]) \
            else str(entry["model_name"])
        provider, model = _split_ref(ref)
        if not model:
            provider, model = _split_ref(str(params.get("model") or ref))
        cooldown = info.get("cooldown_time", params.get("cooldown_time"))
        deployments.append(Deployment(str(entry["model_name"]), ident, provider, model,
                                      _number(cooldown, "cooldown_time", where)))
    router = data.get("router_settings") or {}
    if not isinstance(router, dict):
        raise InputError("router_settings must be a mapping", where)
    aliases = router.get("model_group_alias") or {}
    if not isinstance(aliases, dict):
        raise InputError("router_settings.model_group_alias must be a mapping", where)
    resolved = {str(k): str(v.get("model") if isinstance(v, dict) else v)
                for k, v in aliases.items()}
    retries = _number(router.get("num_retries"), "num_retries", where)
    allowed = _number(router.get("allowed_fails"), "allowed_fails", where)
    cw = router.get("context_window_fallbacks")
    return GatewayConfig(
        tuple(deployments), resolved, _chains(router.get("fallbacks"), "fallbacks", where),
        _chains(cw, "context_window_fallbacks", where) if cw is not None else None,
        int(retries) if retries is not None else DEFAULT_NUM_RETRIES,
        _number(router.get("timeout"), "timeout", where) or DEFAULT_TIMEOUT,
        int(allowed) if allowed is not None else None,
        _number(router.get("cooldown_time"), "cooldown_time", where) or DEFAULT_COOLDOWN,
        _number(router.get("retry_after"), "retry_after", where) or 0.0)


@dataclass
class GatewayState:
    """What the gateway remembers between requests: cooldowns and failure counters."""

    cooldown_until: dict[str, float] = field(default_factory=dict)
    fails: dict[str, tuple[int, float]] = field(default_factory=dict)  # id -> (count, expires)
    minute: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # id -> (min, ok, fail)

    def cooling(self, deployment: Deployment, now: float) -> bool:
        return self.cooldown_until.get(deployment.id, -1.0) > now

    def count_minute(self, deployment: Deployment, now: float, ok: bool) -> tuple[int, int]:
        minute = int(now // 60)
        current, good, bad = self.minute.get(deployment.id, (minute, 0, 0))
        if current != minute:
            good, bad = 0, 0
        good, bad = good + ok, bad + (not ok)
        self.minute[deployment.id] = (minute, good, bad)
        return good, bad


@dataclass(frozen=True)
class GatewayAttempt:
    """One upstream call the gateway makes (or a group it cannot call: no deployment)."""

    step: str  # "attempt", "retry N", "fallback N"
    group: str
    provider: str
    model: str
    state: str
    status: int | None
    result: str  # answered, failed, no deployment
    wait_before: float  # expected backoff before this call (mean jitter), seconds
    cooled_down: bool  # this failure puts the deployment in cooldown (from the next request)


@dataclass(frozen=True)
class GatewayOutcome:
    requested: str
    group: str | None
    status: int
    answered_by: tuple[str, str] | None
    served_by: int | None  # 0 the requested group, n = the n-th fallback group tried
    attempts: tuple[GatewayAttempt, ...]
    seconds: float  # expected time to answer (upstream time from the states, mean backoff)
    explanation: str
    notes: tuple[str, ...] = ()

    @property
    def model_ref(self) -> str | None:
        return f"{self.answered_by[0]}/{self.answered_by[1]}" if self.answered_by else None

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(a.provider, a.model) for a in self.attempts if a.result != "no deployment"]


class _GroupFailed(Exception):
    def __init__(self, status: int, state: InjectedState | None) -> None:
        super().__init__(status)
        self.status, self.state = status, state


def _retryable(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def backoff(n: int, retry_after: float = 0.0) -> float:
    """The mean wait before retry n+1 of a single-deployment group (jitter at its mean)."""
    return min(max(INITIAL_RETRY_DELAY * 2.0 ** n, retry_after), MAX_RETRY_DELAY) + JITTER / 2


class _Request:
    def __init__(self, config: GatewayConfig, failures: Failures, state: GatewayState,
                 now: float, requested: str) -> None:
        self.config, self.failures, self.state = config, failures, state
        self.start, self.clock, self.requested = now, now, requested
        self.attempts: list[GatewayAttempt] = []
        self.pending: dict[str, float] = {}  # cooldowns the failure callback writes
        self.notes: list[str] = []

    def has_fallback(self, name: str) -> bool:
        return bool(self.config.fallbacks.get(name) or self.config.fallbacks.get("*"))

    def healthy(self, deployments: tuple[Deployment, ...]) -> list[Deployment]:
        return [d for d in deployments if not self.state.cooling(d, self.start)]

    def cools_down(self, deployment: Deployment, size: int, status: int,
                   state: InjectedState, name: str) -> bool:
        if state.status is None or status not in COOLDOWN_STATUSES and status < 500:
            return False  # its own timeout and connection errors never count
        good, bad = self.state.count_minute(deployment, self.clock, False)
        single = size == 1
        if single and status == 402:
            return False
        config = self.config
        if not config.allowed_fails_set:
            total = good + bad
            if status == 429 and not single:
                return True
            if (not single and total >= PER_MINUTE_MIN_REQUESTS
                    and bad / total > FAILURE_RATE):
                return True
            return not _retryable(status)
        if single and not self.has_fallback(name):
            return False
        count, expires = self.state.fails.get(deployment.id, (0, 0.0))
        count = count + 1 if expires > self.clock else 1
        ttl = config.cooldown_time
        self.state.fails[deployment.id] = (count, self.clock + ttl)
        return count > int(config.allowed_fails or 0)

    def call_group(self, name: str, step: str) -> tuple[Deployment, InjectedState]:
        config = self.config
        group = config.aliases.get(name, name)
        deployments = config.group(group)
        attempts = config.num_retries + 1
        tried: list[Deployment] = []
        skip: set[str] = set()
        wait = 0.0
        for n in range(attempts):
            label = step if n == 0 else f"{step}, retry {n}"
            healthy = [d for d in self.healthy(deployments) if d.id not in skip]
            if not healthy:
                self.attempts.append(GatewayAttempt(label, group, "-", "-", "cooling down",
                                                    NO_DEPLOYMENT_STATUS, "no deployment",
                                                    0.0, False))
                raise _GroupFailed(NO_DEPLOYMENT_STATUS, None)
            pick = self._pick(healthy, tried)
            bad = [d for d in healthy if not self.failures.state_of(d.provider, d.model).ok]
            if n == 0 and len(healthy) > 1 and bad and len(bad) < len(healthy):
                chance = (len(bad) / len(healthy)) ** attempts
                self.notes.append(
                    f"{group} picks at random (simple-shuffle): with probability about "
                    f"{chance:.0%} every attempt lands on a failing deployment (a cooldown "
                    "counts from the next request) and the group fails instead")
            tried.append(pick)
            state = self.failures.state_of(pick.provider, pick.model)
            self.clock += wait
            if state.ok:
                self.state.count_minute(pick, self.clock, True)
                self.attempts.append(GatewayAttempt(label, group, pick.provider, pick.model,
                                                    state.name, state.status, "answered",
                                                    round(wait, 3), False))
                return pick, state
            if state.status is None:
                status = TIMEOUT_STATUS if state.name == "timeout" else CONNECTION_STATUS
                if state.name == "timeout":
                    self.clock += config.timeout
            else:
                status = state.status
            cooled = self.cools_down(pick, len(deployments), status, state, name)
            if cooled:
                until = self.clock + (pick.cooldown_time if pick.cooldown_time is not None
                                      else config.cooldown_time)
                self.pending[pick.id] = max(self.pending.get(pick.id, 0.0), until)
            self.attempts.append(GatewayAttempt(label, group, pick.provider, pick.model,
                                                state.name, status, "failed", round(wait, 3),
                                                cooled))
            if status in (401, 403) or not _retryable(status):
                skip.add(pick.id)
            if config.num_retries == 0 or not self._retries(state, status, deployments, skip):
                raise _GroupFailed(status, state)
            # the wait follows every retried failure, the last one's too (then the group fails)
            others = [d for d in self.healthy(deployments) if d.id not in skip]
            wait = 0.0 if len(deployments) > 1 and others else backoff(n, config.retry_after)
            if n + 1 >= attempts:
                self.clock += wait
                raise _GroupFailed(status, state)
        raise AssertionError("unreachable")

    def _pick(self, healthy: list[Deployment], tried: list[Deployment]) -> Deployment:
        """A failing deployment first, then the next one round the group (see the docstring)."""
        if tried:
            last = tried[-1]
            if last in healthy and len(healthy) > 1:
                index = healthy.index(last)
                return healthy[(index + 1) % len(healthy)]
            return healthy[0] if last not in healthy else last
        failing = [d for d in healthy if not self.failures.state_of(d.provider, d.model).ok]
        return failing[0] if failing else healthy[0]

    def _retries(self, state: InjectedState, status: int, deployments: tuple[Deployment, ...],
                 skip: set[str]) -> bool:
        if state is CONTEXT_WINDOW and self.config.context_window_fallbacks is not None:
            return False
        if not _retryable(status) and status not in (401, 403):
            return False
        if status == 404:
            return False
        if status in (401, 403) and len(deployments) <= 1:
            return False
        return bool([d for d in self.healthy(deployments) if d.id not in skip])


def route_request(config: GatewayConfig, requested: str, failures: Failures | None = None,
                  state: GatewayState | None = None, now: float = 0.0) -> GatewayOutcome:
    """One request through the gateway: attempts, retries, fallbacks, the client's answer.

    `state` carries cooldowns between requests (a fresh gateway when None); it is updated."""
    failures = failures or Failures()
    state = state if state is not None else GatewayState()
    group = config.aliases.get(requested, requested)
    if not config.group(group):
        return GatewayOutcome(requested, None, 400, None, None, (), 0.0,
                              f"no model group or alias {requested!r}: HTTP 400 (Invalid "
                              "model name), no upstream call")
    req = _Request(config, failures, state, now, requested)
    tried_groups = [group]
    try:
        pick, _ = req.call_group(requested, "attempt")
        outcome = _done(req, requested, group, pick, 0, f"{requested} answered by {pick.ref}")
        return outcome
    except _GroupFailed as failed:
        first = failed
    chain: tuple[str, ...] | None
    if first.state is CONTEXT_WINDOW and config.context_window_fallbacks is not None:
        chain = config.context_window_fallbacks.get(requested)
        kind = "context_window_fallbacks"
    else:
        chain = config.fallbacks.get(requested) or config.fallbacks.get("*")
        kind = "fallbacks"
    hop = 0
    queue = list(chain or ())
    while queue and hop < MAX_FALLBACKS:
        target = queue.pop(0)
        if target in tried_groups or not config.group(config.aliases.get(target, target)):
            continue
        tried_groups.append(target)
        hop += 1
        try:
            pick, _ = req.call_group(target, f"fallback {hop}")
            return _done(req, requested, group, pick, hop,
                         f"{requested} failed (HTTP {first.status}); {kind} -> {target} "
                         f"answered by {pick.ref}")
        except _GroupFailed:
            own = config.fallbacks.get(target)
            if own and kind == "fallbacks":
                queue = [g for g in own if g not in tried_groups] + queue
    why = (f"every group in {kind} of {requested!r} failed" if chain
           else f"no {kind} for {requested!r}" + (
               " (fallbacks are looked up by the name the client sent, not by the group an "
               "alias resolves to)" if requested in config.aliases else ""))
    _settle(req)
    # the client gets the requested group's error, not the last fallback's (measured)
    return GatewayOutcome(requested, group, first.status, None, None, tuple(req.attempts),
                          round(req.clock - now, 3),
                          f"{requested} failed with HTTP {first.status}; {why}: the client gets "
                          f"the first error, HTTP {first.status}", tuple(req.notes))


def _settle(req: _Request) -> None:
    """The failure callback writes its cooldowns after the request: they count from the next."""
    for ident, until in req.pending.items():
        req.state.cooldown_until[ident] = max(req.state.cooldown_until.get(ident, 0.0), until)


def _done(req: _Request, requested: str, group: str, pick: Deployment, hop: int,
          why: str) -> GatewayOutcome:
    _settle(req)
    return GatewayOutcome(requested, group, 200, (pick.provider, pick.model), hop,
                          tuple(req.attempts), round(req.clock - req.start, 3), why,
                          tuple(req.notes))


def outcome_json(outcome: GatewayOutcome, source: str) -> dict[str, Any]:
    data = asdict(outcome)
    data["model"] = outcome.model_ref
    return {"config": source, "target": "litellm", "requested": outcome.requested,
            "group": outcome.group, "outcome": data}


def render_text(outcome: GatewayOutcome, source: str) -> str:
    lines = [f"config:   {source}", "target:   litellm",
             f"request:  model {outcome.requested}"
             + (f" -> group {outcome.group}" if outcome.group and
                outcome.group != outcome.requested else "")]
    lines.append("trace:")
    for a in outcome.attempts:
        status = a.status if a.status is not None else "no HTTP status"
        wait = f" after {a.wait_before:g} s backoff" if a.wait_before else ""
        cool = "; cools down" if a.cooled_down else ""
        lines.append(f"  * {a.step}: {a.group} -> {a.provider}/{a.model} [{a.state}] -> "
                     f"{status} {a.result}{wait}{cool}")
    if outcome.answered_by:
        served = "the requested group" if outcome.served_by == 0 \
            else f"fallback {outcome.served_by}"
        lines.append(f"answer:   HTTP {outcome.status} from {outcome.model_ref} ({served})")
    else:
        lines.append(f"answer:   HTTP {outcome.status}, no model answers")
    lines.append(f"time:     about {outcome.seconds:g} s (mean backoff; the gateway adds ~20 ms)")
    for note in outcome.notes:
        lines.append(f"note:     {note}")
    lines.append(f"summary:  {outcome.explanation}")
    return visible_lines(lines)


def render_json(outcome: GatewayOutcome, source: str) -> str:
    return dumps(outcome_json(outcome, source))



def load_gateway_config(path: str | None, root: Any) -> tuple[GatewayConfig, str]:
    """A LiteLLM `config.yaml` (`--litellm-config`), else the SSOT at `root` compiled for it."""
    if path:
        live = read_file(Path(path).expanduser())
        return gateway_config(live.data, path), path
    if root is None:
        raise InputError("no spine root and no --litellm-config")
    return gateway_config(compile_litellm_config(load_model(root)), str(root)), \
        f"compiled for litellm from {root}"


def require_known(items: list[str] | None, config: GatewayConfig, flag: str) -> None:
    """A `--fail` for a provider no deployment reaches is a typo, not a no-op."""
    known = {d.provider for d in config.deployments}
    for item in items or []:
        provider = item.partition("=")[0].strip().split("/", 1)[0]
        if provider not in known:
            raise InputError(f"{flag} {item!r}: the gateway config reaches no provider "
                             f"{provider!r} (known: {', '.join(sorted(known)) or 'none'})")


def resilience(config: GatewayConfig, failures: Failures) -> list[tuple[str, str,
                                                                         GatewayOutcome]]:
    """Each name a client can send, on a fresh gateway: healthy, degraded or down."""
    rows = []
    for name in config.client_names():
        outcome = route_request(config, name, failures)
        status = "down" if outcome.answered_by is None else (
            "healthy" if outcome.served_by == 0 and len(outcome.calls) == 1 else "degraded")
        rows.append((name, status, outcome))
    return rows


@dataclass
class NameLoad:
    requests: int = 0
    answered: int = 0
    fallback: int = 0
    failed: int = 0
    upstream_calls: int = 0
    seconds: list[float] = field(default_factory=list)


def simulate_gateway(config: GatewayConfig, rates: dict[str, float], duration_s: float,
                     failures: Failures, seed: int = 0) -> dict[str, NameLoad]:
    """Poisson arrivals per requested name through one gateway that keeps its cooldowns."""
    import random

    rng = random.Random(seed)
    arrivals: list[tuple[float, str]] = []
    for name in sorted(rates):
        if not config.group(config.aliases.get(name, name)):
            raise InputError(f"unknown model group or alias {name!r} (known: "
                             f"{', '.join(config.client_names())})", "--rate")
        clock = 0.0
        while rates[name] > 0:
            clock += rng.expovariate(rates[name])
            if clock >= duration_s:
                break
            arrivals.append((clock, name))
    arrivals.sort()
    state = GatewayState()
    loads = {name: NameLoad() for name in rates}
    for now, name in arrivals:
        outcome = route_request(config, name, failures, state, now)
        load = loads[name]
        load.requests += 1
        load.upstream_calls += len(outcome.calls)
        load.seconds.append(outcome.seconds)
        if outcome.answered_by is None:
            load.failed += 1
        else:
            load.answered += 1
            load.fallback += bool(outcome.served_by)
    return loads


def render_simulation(loads: dict[str, NameLoad], duration_s: float, seed: int) -> str:
    lines = [f"simulated {duration_s:g} s through the gateway, seed {seed} (it keeps its "
             "cooldowns between requests; backoff at its mean)", "",
             f"{'model':<22} {'requests':>8} {'fallback':>8} {'failed':>6} "
             f"{'calls/req':>9} {'mean s':>7} {'max s':>7}"]
    for name, load in sorted(loads.items()):
        n = max(load.requests, 1)
        mean = sum(load.seconds) / n
        lines.append(f"{name:<22} {load.requests:>8} {load.fallback:>8} {load.failed:>6} "
                     f"{load.upstream_calls / n:>9.2f} {mean:>7.2f} "
                     f"{max(load.seconds, default=0.0):>7.2f}")
    return visible_lines(lines)


def simulation_json(loads: dict[str, NameLoad], duration_s: float, seed: int) -> str:
    return dumps({"target": "litellm", "seed": seed, "duration_s": duration_s, "models": {
        name: {"requests": load.requests, "answered": load.answered, "fallback": load.fallback,
               "failed": load.failed, "upstream_calls": load.upstream_calls,
               "mean_seconds": round(sum(load.seconds) / max(load.requests, 1), 3),
               "max_seconds": round(max(load.seconds, default=0.0), 3)}
        for name, load in sorted(loads.items())}})
