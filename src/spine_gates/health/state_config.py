"""Where the health and failover state lives: the spine's `state:` block in spine-gates.yaml.

`backend: sqlite` (the default: the breaker store and `overrides.json` in this user's state
directory) or `backend: redis` (the team's breakers, rate budgets and failover overrides in one
Redis every workstation reads). The Redis password is a secret reference (`env:NAME`, or
`infisical://…/NAME` as `infisical run` sets it), never a value in the file; a URL carrying a
password is refused for the same reason.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from spine_gates.errors import InputError

if TYPE_CHECKING:
    from spine_gates.model.spine import SpineConfig

CONFIG_FILE = "spine-gates.yaml"
BACKENDS = ("sqlite", "redis")
KNOWN = ("backend", "url", "password_ref", "prefix", "timeout_s", "lock_lease_s")
DEFAULT_PREFIX = "spine-gates:default"
DEFAULT_TIMEOUT_S = 1.0  # one LAN round trip is milliseconds; a down Redis must not hold a command
DEFAULT_LEASE_S = 120.0  # longer than one watcher round (probe deadline + a confirmation)


@dataclass(frozen=True)
class StateConfig:
    backend: str = "sqlite"
    url: str = ""
    password_ref: str | None = None
    prefix: str = DEFAULT_PREFIX
    timeout_s: float = DEFAULT_TIMEOUT_S
    lock_lease_s: float = DEFAULT_LEASE_S
    line: int | None = None  # the `state:` line, for errors about the store itself

    @property
    def shared(self) -> bool:
        return self.backend == "redis"

    def describe(self) -> str:
        """The store as output names it: never a password (the URL may not carry one)."""
        return f"redis {self.url} (prefix {self.prefix})" if self.shared else "sqlite"


def state_config(config: SpineConfig) -> StateConfig:
    """The spine's `state:` block; a bad value is exit 3 naming its line."""
    section = config.settings.get("state")

    def line(key: str = "") -> int | None:
        pointer = "/state" + (f"/{key}" if key else "")
        return config.document.line_of(pointer) if config.document is not None else None

    if section is None:
        return StateConfig()
    if not isinstance(section, dict):
        raise InputError("'state' must be a mapping", CONFIG_FILE, line())
    for key in section:
        if key not in KNOWN:
            raise InputError(f"unknown state setting {key!r} (known: {', '.join(KNOWN)})",
                             CONFIG_FILE, line(str(key)))
    backend = section.get("backend", "sqlite")
    if backend not in BACKENDS:
        raise InputError(f"state.backend must be one of {', '.join(BACKENDS)}, got {backend!r}",
                         CONFIG_FILE, line("backend"))
    if backend == "sqlite":
        extra = [k for k in section if k != "backend"]
        if extra:
            raise InputError(f"state.{extra[0]} applies to backend: redis only", CONFIG_FILE,
                             line(extra[0]))
        return StateConfig()
    url = _check_url(section.get("url"), line("url"))
    ref = section.get("password_ref")
    if ref is not None and not (isinstance(ref, str) and _ref_name(ref)):
        raise InputError("state.password_ref must be a secret reference (env:NAME or "
                         "infisical://…/NAME), never the password", CONFIG_FILE,
                         line("password_ref"))
    prefix = section.get("prefix", DEFAULT_PREFIX)
    if not isinstance(prefix, str) or not prefix or any(c.isspace() for c in prefix):
        raise InputError("state.prefix must be a non-empty string without spaces", CONFIG_FILE,
                         line("prefix"))
    return StateConfig("redis", url, ref, prefix,
                       _seconds(section, "timeout_s", DEFAULT_TIMEOUT_S, line("timeout_s")),
                       _seconds(section, "lock_lease_s", DEFAULT_LEASE_S, line("lock_lease_s")),
                       line("url"))


def _check_url(url: Any, line: int | None) -> str:
    if not isinstance(url, str) or not url:
        raise InputError("state.url is required with backend: redis "
                         "(redis://HOST:PORT/DB or unix:///PATH)", CONFIG_FILE, line)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  a port that is not a number raises here
    except ValueError:
        raise InputError("state.url is not a valid URL", CONFIG_FILE, line) from None
    # redis-py logs in with `?password=` as it does with `:password@`; checked before anything
    # repeats the URL (the value itself is never repeated: it is a secret in a committed file)
    if parts.password is not None or any(k.lower() == "password"
                                         for k, _ in parse_qsl(parts.query)):
        raise InputError("state.url carries a password: remove it and name the password with "
                         "state.password_ref (env:NAME)", CONFIG_FILE, line)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise InputError(f"state.url must be redis://, rediss:// or unix://, got {url!r}",
                         CONFIG_FILE, line)
    return url


def _seconds(section: Mapping[str, Any], key: str, default: float, line: int | None) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 < value < math.inf:
        raise InputError(f"state.{key} must be a positive number of seconds", CONFIG_FILE, line)
    return float(value)


def _ref_name(ref: str) -> str | None:
    if ref.startswith("env:"):
        return ref[4:] or None
    if ref.startswith("infisical://"):
        return ref.rstrip("/").rsplit("/", 1)[-1] or None
    return None


def password(config: StateConfig, env: Mapping[str, str]) -> str | None:
    """The password its reference names, from the environment (as `infisical run` sets it);
    InputError when the reference names a variable that is not set."""
    if config.password_ref is None:
        return None
    name = _ref_name(config.password_ref)
    value = env.get(name or "")
    if not value:
        raise InputError(f"state.password_ref names ${name}, which is not in the environment "
                         "(run under `infisical run`, or export it)", CONFIG_FILE, config.line)
    return value


def minute(now: _dt.datetime) -> str:
    """The UTC minute a request counts in (the window a registry's rate_limit_rpm means)."""
    return now.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M")
