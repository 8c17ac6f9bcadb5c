"""Where the secret checks get their settings: environment first, then a user config file.

Infisical credentials come only from the environment or a user file outside the repository
(`$SPINE_GATES_INFISICAL_CONFIG`, else `$XDG_CONFIG_HOME/spine-gates/infisical.yaml`); the spine's
`spine-gates.yaml` may set the non-secret parts under `secrets:` (manifest, cache TTL, and
`infisical:` host, project_id, environment, timeouts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.model.loader import load_yaml
from spine_gates.secrets.redact import register_secret
from spine_gates.secrets.resolvers.manifest import DEFAULT_MANIFEST

DEFAULT_ENVIRONMENT = "prod"
DEFAULT_TIMEOUT = 3.0  # seconds per request
DEFAULT_DEADLINE = 10.0  # seconds for all Infisical calls of one run


@dataclass(frozen=True)
class InfisicalSettings:
    host: str = ""
    client_id: str = ""
    client_secret: str = ""
    project_id: str = ""
    environment: str = DEFAULT_ENVIRONMENT
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE

    @property
    def configured(self) -> bool:
        return bool(self.host and self.client_id and self.client_secret and self.project_id)

    def missing(self) -> list[str]:
        names = {"INFISICAL_HOST": self.host, "INFISICAL_CLIENT_ID": self.client_id,
                 "INFISICAL_CLIENT_SECRET": self.client_secret,
                 "INFISICAL_PROJECT_ID": self.project_id}
        return [name for name, value in names.items() if not value]

    @property
    def scope(self) -> str:
        return f"{self.host}|{self.project_id}|{self.environment}"


@dataclass(frozen=True)
class SecretsSettings:
    infisical: InfisicalSettings
    manifest: str = DEFAULT_MANIFEST
    cache_ttl: float | None = None  # None: the cache's default


def _user_config_path() -> Path:
    explicit = os.environ.get("SPINE_GATES_INFISICAL_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "spine-gates" / "infisical.yaml"


def _read_user_config() -> dict[str, Any]:
    path = _user_config_path()
    if not path.is_file():
        if os.environ.get("SPINE_GATES_INFISICAL_CONFIG"):
            raise InputError("Infisical config file not found", str(path))
        return {}
    document = load_yaml(path, str(path))
    if not isinstance(document.data, dict):
        raise InputError("an Infisical config file must be a mapping", str(path), 1)
    return document.data


def _number(value: Any, name: str, default: float) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number of seconds, not {value!r}") from None
    if number <= 0:
        raise InputError(f"{name} must be positive")
    return number


def load_settings(spine_settings: dict[str, Any] | None = None) -> SecretsSettings:
    """Merge `secrets:` from spine-gates.yaml, the user config file and the environment."""
    spine = (spine_settings or {}).get("secrets") or {}
    if not isinstance(spine, dict):
        raise InputError("'secrets' must be a mapping", "spine-gates.yaml")
    spine_infisical = spine.get("infisical") or {}
    if not isinstance(spine_infisical, dict):
        raise InputError("'secrets.infisical' must be a mapping", "spine-gates.yaml")
    if "client_secret" in spine_infisical or "client_id" in spine_infisical:
        raise InputError("Infisical credentials do not belong in spine-gates.yaml; set "
                         "INFISICAL_CLIENT_ID/INFISICAL_CLIENT_SECRET", "spine-gates.yaml")
    user = _read_user_config()
    env = os.environ

    def pick(env_names: tuple[str, ...], key: str, default: str = "") -> str:
        for name in env_names:
            if env.get(name):
                return env[name].strip()
        for source in (user, spine_infisical):
            if source.get(key) not in (None, ""):
                return str(source[key]).strip()
        return default

    host = pick(("INFISICAL_HOST", "INFISICAL_API_URL", "INFISICAL_SITE_URL"), "host")
    host = host.rstrip("/").removesuffix("/api")
    client_secret = pick(("INFISICAL_CLIENT_SECRET", "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"),
                         "client_secret")
    register_secret(client_secret)
    infisical = InfisicalSettings(
        host=host,
        client_id=pick(("INFISICAL_CLIENT_ID", "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"), "client_id"),
        client_secret=client_secret,
        project_id=pick(("INFISICAL_PROJECT_ID",), "project_id"),
        environment=pick(("INFISICAL_ENVIRONMENT",), "environment", DEFAULT_ENVIRONMENT),
        timeout=_number(pick(("SPINE_GATES_INFISICAL_TIMEOUT",), "timeout_seconds"),
                        "the Infisical timeout", DEFAULT_TIMEOUT),
        deadline=_number(pick(("SPINE_GATES_INFISICAL_DEADLINE",), "deadline_seconds"),
                         "the Infisical deadline", DEFAULT_DEADLINE),
    )
    ttl_raw = env.get("SPINE_GATES_SECRETS_CACHE_TTL") or spine.get("cache_ttl_seconds")
    return SecretsSettings(
        infisical=infisical,
        manifest=str(spine.get("manifest") or DEFAULT_MANIFEST),
        cache_ttl=_number(ttl_raw, "the cache TTL", 0) if ttl_raw not in (None, "") else None,
    )
