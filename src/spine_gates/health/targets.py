"""What to probe: each registry provider with its kind, effective URL and key (from the env).

Keys come from the environment only, as `infisical run` provides them: `env:NAME` reads `$NAME`,
`infisical://spine/ai/providers/KEY` reads `$KEY`. A key is never sent over plain http except to
loopback, whatever the registry or an override says; overrides exist so tests and staging can
point probes at fakes on 127.0.0.1 without weakening that rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from spine_gates.errors import InputError

OVERRIDE_ENV = "SPINE_GATES_API_BASE_OVERRIDES"


@dataclass(frozen=True)
class ProviderTarget:
    id: str
    kind: str
    api_base: str  # effective (after any override)
    api_format: str
    models: tuple[str, ...]
    key: str | None = field(default=None, repr=False)
    problem: str | None = None  # why no request may be sent (missing key, insecure URL)
    deep: bool = False  # also send a 1-token completion (costs a token; proves quota)

    @property
    def credential(self) -> str:
        """The key's fingerprint: identifies which credential a breaker is about."""
        return fingerprint(self.key) if self.key else "none"


def fingerprint(secret: str) -> str:
    # the redaction module loads while the probes run: off the path before they start
    from spine_gates.secrets.redact import fingerprint as shared

    return shared(secret)


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_url(url: str) -> SplitResult:
    """`urlsplit`, but a malformed URL (bad IPv6 literal, non-numeric or out-of-range port)
    splits as empty: callers then report "not an http(s) URL" instead of crashing."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  raises ValueError for a bad port
    except ValueError:
        return urlsplit("")
    return parts


def detect_kind(provider_id: str, body: Mapping[str, Any]) -> str:
    """The probe dialect, from the registry's own api_base (never from an override)."""
    base = str(body.get("api_base") or "")
    host = (split_url(base).hostname or "").lower()
    ident = provider_id.lower()
    if "openrouter.ai" in host or "openrouter" in ident:
        return "openrouter"
    if host.endswith("api.nvidia.com") or "nvidia" in ident or ident.endswith("nim"):
        return "nvidia_nim"
    if host.endswith("z.ai") or host.endswith("bigmodel.cn") or ident in ("zai", "z_ai", "z-ai"):
        return "zai"
    if "lmstudio" in ident or "lm_studio" in ident or split_url(base).port == 1234:
        return "lmstudio"
    if body.get("api_format") == "anthropic":
        return "anthropic"
    return "openai-compatible"


def key_env_name(ref: str | None) -> str | None:
    """`env:NAME` -> NAME; `infisical://spine/ai/providers/KEY` -> KEY (as `infisical run` sets)."""
    if not ref:
        return None
    if ref.startswith("env:"):
        return ref[4:] or None
    if ref.startswith("infisical://"):
        name = ref.rstrip("/").rsplit("/", 1)[-1]
        return name or None
    return None


def parse_overrides(items: list[str] | None, env: Mapping[str, str]) -> dict[str, str]:
    """`PROVIDER=URL` pairs from the CLI, then from $SPINE_GATES_API_BASE_OVERRIDES (comma list)."""
    pairs: list[tuple[str, str]] = []
    raw_env = env.get(OVERRIDE_ENV, "")
    for item in [p for p in raw_env.split(",") if p.strip()]:
        pairs.append(_pair(item, OVERRIDE_ENV))
    for item in items or []:
        pairs.append(_pair(item, "--api-base-override"))
    return dict(pairs)


def _pair(item: str, where: str) -> tuple[str, str]:
    provider, sep, url = item.strip().partition("=")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  a port that is not a number raises here, not in a probe
    except ValueError:
        raise InputError(f"{where}: {url.strip()!r} is not a valid URL") from None
    if not sep or not provider or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: expected PROVIDER=URL with an http(s) URL, got {item!r}")
    return provider.strip(), url.strip().rstrip("/")


def build_targets(providers: Mapping[str, Any], env: Mapping[str, str],
                  overrides: Mapping[str, str], deep: bool = False) -> list[ProviderTarget]:
    unknown = sorted(set(overrides) - set(providers))
    if unknown:
        raise InputError(f"api base override for unknown provider {unknown[0]!r} "
                         f"(known: {', '.join(providers)})")
    targets = []
    for ident, raw in providers.items():
        body = raw if isinstance(raw, dict) else {}
        registry_base = str(body.get("api_base") or "").rstrip("/")
        base = overrides.get(ident, registry_base)
        ref = body.get("api_key_ref") if isinstance(body.get("api_key_ref"), str) else None
        env_name = key_env_name(ref)
        key = (env.get(env_name) or "").strip() or None if env_name else None
        problem = None
        parts = split_url(base)
        if not parts.hostname or parts.scheme not in ("http", "https"):
            problem = f"api_base {base!r} is not an http(s) URL"
        elif ref and not env_name:
            problem = "unsupported api_key_ref form (expected env:NAME or infisical://…/KEY)"
        elif ref and not key:
            problem = f"key ${env_name} not in the environment (run under `infisical run`)"
        elif key and parts.scheme != "https" and not is_loopback(parts.hostname):
            problem = (f"refusing to send the key over plain http to {parts.hostname} "
                       "(only loopback may be http)")
        listed = body.get("models")
        models = tuple(m for m in listed if isinstance(m, str)) if isinstance(listed, list) else ()
        targets.append(ProviderTarget(
            id=ident, kind=detect_kind(ident, body), api_base=base,
            api_format=str(body.get("api_format") or "openai"), models=models, key=key,
            problem=problem, deep=deep and bool(models)))
    return targets
