"""The `failover:` settings in spine-gates.yaml: which health states trigger an override, how
long an override lives by default and at most, and whether the router module is compiled in.

Defaults, and why:
- `triggers: [unreachable, quota_exhausted]`. Unreachable covers a hung provider (health names a
  probe that got no answer `unreachable`, reason "no answer within N s") and a refused
  connection: claude-code-router 2.0.0 never falls back after a network error or a timeout, so
  only an override helps. An exhausted quota stays exhausted until its reset, and the router
  would try it first on every request. `rate_limited` is left out: a 429 is an HTTP error, which
  the router's own `fallback` list already covers, and the window is usually seconds.
- `default_ttl: 30m`: long enough to outlast the health breakers' longest open wait (300 s) a few
  times over, short enough that a forgotten override stops routing within the hour.
- `max_ttl: 4h`: about a working session; anything longer is an SSOT change, not a failover.
- `router_module: false`: turning it on adds `CUSTOM_ROUTER_PATH` to the compiled config (the
  router needs one restart to load it), so it is opt-in and compile output is unchanged without
  it.

`watch:` (`gates failover watch`), defaults and why:
- `interval: 30s`: a probe round is one catalogue call per provider (free) bounded by the 10 s
  deadline; with `bad_probes: 2` a hung primary is failed over within about a minute, while
  every request to it hangs until then. Under a timer, set it to the timer's period.
- `bad_probes: 2`: consecutive probe rounds that must find a slot's route in a trigger state
  before it is failed over. The breaker opens on the first failure, so one lost probe would
  otherwise move traffic.
- `hold: 5m`: how long the replaced primary must look healthy before it gets its slot back; longer
  than the breakers' first open waits (30 s, 60 s, 120 s), so a primary that answers one probe
  between failures never gets traffic back (a provider flapping every probe is never reverted).
- `recovery_probe_interval: 5m`: at most one 1-token completion per replaced primary per
  interval confirms the recovery on the path that failed (a catalogue call can answer while
  completions hang). It costs a token: 12 an hour per down primary at most.
- `max_changes_per_hour: 6`: route changes (a slot failed over, or handed back) in any hour. A
  real outage costs two per slot (over and back) and the reference spine's busiest provider
  serves two slots; more than this in an hour is flapping, and the watcher stops changing
  routes until the hour has passed. Renewals are not changes: they keep the route in force.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spine_gates.errors import InputError
from spine_gates.health.state import State

if TYPE_CHECKING:
    from spine_gates.model.spine import SpineConfig

CONFIG_FILE = "spine-gates.yaml"
DEFAULT_TRIGGERS = (State.UNREACHABLE, State.QUOTA_EXHAUSTED)
DEFAULT_TTL = _dt.timedelta(minutes=30)
MAX_TTL = _dt.timedelta(hours=4)
MAX_DURATION_S = 365 * 86400  # any duration setting or --ttl; longer is a typo, not a plan
KNOWN = ("triggers", "default_ttl", "max_ttl", "router_module", "watch")
WATCH_KNOWN = ("interval", "bad_probes", "hold", "recovery_probe_interval",
               "max_changes_per_hour")


@dataclass(frozen=True)
class WatchSettings:
    """`failover.watch`: the watcher's pace, hysteresis and change cap (module docstring)."""

    interval: _dt.timedelta = _dt.timedelta(seconds=30)
    bad_probes: int = 2
    hold: _dt.timedelta = _dt.timedelta(minutes=5)
    recovery_probe_interval: _dt.timedelta = _dt.timedelta(minutes=5)
    max_changes_per_hour: int = 6
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True)
class FailoverSettings:
    triggers: tuple[State, ...] = DEFAULT_TRIGGERS
    default_ttl: _dt.timedelta = DEFAULT_TTL
    max_ttl: _dt.timedelta = MAX_TTL
    router_module: bool = False
    watch: WatchSettings = field(default_factory=WatchSettings)

    def ttl(self, text: str | None, where: str = "--ttl") -> _dt.timedelta:
        """An override's life: `text` (a duration) or the default, never over `max_ttl`."""
        if text is None:
            return self.default_ttl
        ttl = parse_duration(text, where)
        if ttl > self.max_ttl:
            raise InputError(f"{text} is longer than failover.max_ttl "
                             f"({format_duration(self.max_ttl)})", where)
        return ttl


def parse_duration(text: str, where: str = "", line: int | None = None) -> _dt.timedelta:
    """`90s`, `30m`, `2h`, `1h30m`: a positive whole number of hours, minutes and seconds, at most
    365 days."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise InputError(f"{text!r} is not a duration such as 90s, 30m, 2h or 1h30m", where,
                         line)
    # Bounded before timedelta() sees it: a huge count would overflow it (or int()'s digit cap).
    if any(len(part or "") > 9 for part in match.groups()):
        raise InputError(f"{text!r} is too long: a duration is at most 365 days (8760h)", where,
                         line)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total > MAX_DURATION_S:
        raise InputError(f"{text!r} is too long: a duration is at most 365 days (8760h)", where,
                         line)
    value = _dt.timedelta(seconds=total)
    if value <= _dt.timedelta(0):
        raise InputError(f"{text!r}: a duration must be longer than 0 s", where, line)
    return value


def format_duration(value: _dt.timedelta) -> str:
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s"))
                   if n)
    return text or "0s"


def failover_settings(config: SpineConfig) -> FailoverSettings:
    """The spine's `failover:` block (all optional); a bad value is exit 3 with its line."""
    section = config.settings.get("failover")
    if section is None:
        return FailoverSettings()

    def line(key: str = "") -> int | None:
        pointer = "/failover" + (f"/{key}" if key else "")
        return config.document.line_of(pointer) if config.document is not None else None

    if not isinstance(section, dict):
        raise InputError("'failover' must be a mapping", CONFIG_FILE, line())
    for key in section:
        if key not in KNOWN:
            raise InputError(f"unknown failover setting {key!r} (known: {', '.join(KNOWN)})",
                             CONFIG_FILE, line(str(key)))
    triggers = _triggers(section.get("triggers", [s.value for s in DEFAULT_TRIGGERS]),
                         line("triggers"))
    default_ttl = _duration(section, "default_ttl", DEFAULT_TTL, line("default_ttl"))
    max_ttl = _duration(section, "max_ttl", MAX_TTL, line("max_ttl"))
    if default_ttl > max_ttl:
        raise InputError(f"failover.default_ttl ({format_duration(default_ttl)}) is longer than "
                         f"failover.max_ttl ({format_duration(max_ttl)})", CONFIG_FILE,
                         line("default_ttl"))
    module = section.get("router_module", False)
    if not isinstance(module, bool):
        raise InputError("failover.router_module must be true or false", CONFIG_FILE,
                         line("router_module"))
    return FailoverSettings(triggers, default_ttl, max_ttl, module,
                            _watch(section.get("watch"), line))


def _triggers(raw: Any, line: int | None) -> tuple[State, ...]:
    allowed = [s.value for s in State if s is not State.HEALTHY]
    if not isinstance(raw, list) or not raw:
        raise InputError("failover.triggers must be a non-empty list of health states "
                         f"({', '.join(allowed)})", CONFIG_FILE, line)
    states: list[State] = []
    for item in raw:
        if not isinstance(item, str) or item not in allowed:
            raise InputError(f"failover.triggers: {item!r} is not a health state that can "
                             f"trigger a failover (known: {', '.join(allowed)})", CONFIG_FILE,
                             line)
        states.append(State(item))
    return tuple(dict.fromkeys(states))


def _duration(section: dict[str, Any], key: str, default: _dt.timedelta,
              line: int | None, prefix: str = "") -> _dt.timedelta:
    if key not in section:
        return default
    raw = section[key]
    name = f"failover.{prefix}{key}"
    if not isinstance(raw, str):
        raise InputError(f"{name} must be a duration such as 90s, 30m or 2h (quoted "
                         "or not, but with its unit)", CONFIG_FILE, line)
    try:
        return parse_duration(raw, CONFIG_FILE, line)
    except InputError as exc:
        raise InputError(f"{name}: {exc.message}", CONFIG_FILE, line) from None


def _watch(raw: Any, line: Callable[[str], int | None]) -> WatchSettings:
    if raw is None:
        return WatchSettings()
    if not isinstance(raw, dict):
        raise InputError("failover.watch must be a mapping", CONFIG_FILE, line("watch"))
    for key in raw:
        if key not in WATCH_KNOWN:
            raise InputError(f"unknown failover.watch setting {key!r} (known: "
                             f"{', '.join(WATCH_KNOWN)})", CONFIG_FILE, line(f"watch/{key}"))
    default = WatchSettings()
    durations = {key: _duration(raw, key, getattr(default, key), line(f"watch/{key}"), "watch.")
                 for key in ("interval", "hold", "recovery_probe_interval")}
    counts = {}
    for key in ("bad_probes", "max_changes_per_hour"):
        value = raw.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"failover.watch.{key} must be a whole number of at least 1",
                             CONFIG_FILE, line(f"watch/{key}"))
        counts[key] = value
    return WatchSettings(durations["interval"], counts["bad_probes"], durations["hold"],
                         durations["recovery_probe_interval"], counts["max_changes_per_hour"])
