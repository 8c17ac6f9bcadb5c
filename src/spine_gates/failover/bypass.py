"""Going around the router: what sends an agent CLI straight to a healthy provider.

The router is a single point of failure (the seed's risk: bypassing the proxy must stay
possible). For a proxy-compatible CLI of the CLI registry, `bypass()` picks its role's first
healthy chain entry (primary, then `fallback_chain`) whose provider speaks the CLI's own
`api_format` (the router translates formats; a CLI talking straight to a provider cannot) and
that the role's `cost_policy` allows, and says how to point the CLI there: environment variables,
or the change to the config file the CLI reads. Keys appear only as references: `$NAME` (or the
CLI's own `{env:NAME}`), the variable `infisical run` sets from the provider's `api_key_ref`.
It never touches the network; the health comes from the caller (cache or probes).

JSON shape (`Bypass.to_json`): `{"cli", "api_format", "proxy_compatible", "role", "status":
"direct" | "no_direct_provider" | "not_proxied", "route": "provider/model" | null, "provider",
"base_url", "key": {"env", "ref"} | null, "env": {NAME: value}, "unset": [NAME], "files":
[{"path", "format", "merge"}], "run", "skipped": [{"ref", "why"}], "reason"}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spine_gates.health.roles import entry_health
from spine_gates.health.state import Health, State
from spine_gates.health.targets import key_env_name
from spine_gates.model.governance import effective_cost_tier
from spine_gates.model.refs import ModelRef

if TYPE_CHECKING:
    from spine_gates.model.governance import GovernanceModel

DIRECT, NO_DIRECT, NOT_PROXIED = "direct", "no_direct_provider", "not_proxied"
OPENCODE_CONFIG = "~/.config/opencode/opencode.json"


@dataclass(frozen=True)
class ConfigChange:
    """A JSON object to merge into a file the CLI reads."""

    path: str
    format: str
    merge: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "merge": self.merge}


@dataclass(frozen=True)
class Target:
    """Where a CLI goes directly: the provider, its base URL, the model(s), the key's name."""

    provider: str
    base_url: str
    model: str
    small_model: str
    key_env: str | None


@dataclass(frozen=True)
class Setup:
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    files: tuple[ConfigChange, ...] = ()


def _ref(name: str | None) -> str:
    return f"${name}" if name else ""


def anthropic_env(target: Target) -> Setup:
    """Claude Code (and any anthropic-format CLI reading the same variables): base URL, key
    (x-api-key), models. `ccr activate` left ANTHROPIC_AUTH_TOKEN (the router's client key) in
    the shell; Claude Code would send it as a bearer token, so it is unset."""
    env = {"ANTHROPIC_BASE_URL": target.base_url}
    if target.key_env:
        env["ANTHROPIC_API_KEY"] = _ref(target.key_env)
    env.update({"ANTHROPIC_MODEL": target.model,
                "ANTHROPIC_DEFAULT_HAIKU_MODEL": target.small_model,
                "ANTHROPIC_SMALL_FAST_MODEL": target.small_model})  # older Claude Code
    return Setup(env, ("ANTHROPIC_AUTH_TOKEN",))


def openai_env(target: Target) -> Setup:
    """An openai-format CLI without a known config: the OpenAI SDKs' own variables."""
    env = {"OPENAI_BASE_URL": target.base_url}
    if target.key_env:
        env["OPENAI_API_KEY"] = _ref(target.key_env)
    env["OPENAI_MODEL"] = target.model
    return Setup(env)


def opencode_config(target: Target) -> Setup:
    """OpenCode reads providers from opencode.json; `{env:NAME}` is its own reference syntax,
    so the file holds no key either."""
    options: dict[str, Any] = {"baseURL": target.base_url}
    if target.key_env:
        options["apiKey"] = f"{{env:{target.key_env}}}"
    provider = {"npm": "@ai-sdk/openai-compatible", "name": f"{target.provider} (direct)",
                "options": options, "models": {target.model: {}}}
    merge = {"provider": {target.provider: provider},
             "model": f"{target.provider}/{target.model}"}
    return Setup(files=(ConfigChange(OPENCODE_CONFIG, "json", merge),))


# The CLIs whose configuration is known, by CLI registry id: (how to point it, its command).
# Any other CLI gets its API format's variables.
CLI_KINDS: dict[str, tuple[Callable[[Target], Setup], str]] = {
    "claude_code": (anthropic_env, "claude"),
    "opencode": (opencode_config, "opencode"),
}
FORMAT_KINDS: dict[str, Callable[[Target], Setup]] = {
    "anthropic": anthropic_env,
    "openai": openai_env,
}


@dataclass(frozen=True)
class Bypass:
    cli: str
    api_format: str
    proxy_compatible: bool
    role: str | None
    status: str
    route: str | None = None
    target: Target | None = None
    key_ref: str | None = None
    setup: Setup = field(default_factory=Setup)
    run: str | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        target = self.target
        return {"cli": self.cli, "api_format": self.api_format,
                "proxy_compatible": self.proxy_compatible, "role": self.role,
                "status": self.status, "route": self.route,
                "provider": target.provider if target else None,
                "base_url": target.base_url if target else None,
                "key": {"env": target.key_env, "ref": self.key_ref}
                if target and target.key_env else None,
                "env": dict(self.setup.env), "unset": list(self.setup.unset),
                "files": [f.to_json() for f in self.setup.files], "run": self.run,
                "skipped": [{"ref": ref, "why": why} for ref, why in self.skipped],
                "reason": self.reason}


def _chain(body: Mapping[str, Any]) -> list[str]:
    rest = body.get("fallback_chain")
    refs = [body.get("primary"), *(rest if isinstance(rest, list) else [])]
    return [r for r in refs if isinstance(r, str) and ModelRef.parse(r) is not None]


def _slot_role(model: GovernanceModel, slot: str, allowed: list[str] | None) -> str | None:
    for role_id, body in model.roles.items():
        slots = body.get("ccr_slots") if isinstance(body, dict) else None
        if isinstance(slots, list) and slot in slots and (allowed is None or role_id in allowed):
            return str(role_id)
    return None


def main_role(model: GovernanceModel, cli: Mapping[str, Any]) -> str | None:
    """The CLI's first role in the CLI registry (its main model), else the role the router's
    `default` slot serves."""
    roles = cli.get("roles")
    if isinstance(roles, list):
        known = [r for r in roles if isinstance(r, str) and r in model.roles]
        if known:
            return known[0]
    return _slot_role(model, "default", None)


def base_url(api_base: str, api_format: str) -> str:
    """What the CLI's SDK takes: an Anthropic SDK appends /v1/messages itself."""
    url = api_base.rstrip("/")
    if api_format == "anthropic":
        for suffix in ("/v1/messages", "/v1"):
            url = url.removesuffix(suffix)
    return url


def _pick(model: GovernanceModel, role: str, api_format: str, states: Mapping[str, Health],
          provider: str | None = None) -> tuple[str | None, list[tuple[str, str]]]:
    """The role's first healthy chain entry of `api_format` (and of `provider`, when given)
    that its cost policy allows; a degraded one only when nothing healthy qualifies."""
    body = model.roles.get(role)
    body = body if isinstance(body, dict) else {}
    skipped: list[tuple[str, str]] = []
    degraded: str | None = None
    for ref in _chain(body):
        parsed = ModelRef.parse(ref)
        assert parsed is not None
        entry = model.providers.get(parsed.provider)
        why = None
        if not isinstance(entry, dict):
            why = "not in the provider registry"
        elif entry.get("api_format") != api_format:
            why = f"{entry.get('api_format')} format, not {api_format}"
        elif provider is not None and parsed.provider != provider:
            why = f"another provider than {provider}"
        elif body.get("cost_policy") == "free-only" and \
                effective_cost_tier(entry, parsed.model) != "free":
            why = f"cost_policy free-only and {ref} is not free"
        elif entry.get("api_key_ref") and not key_env_name(str(entry.get("api_key_ref"))):
            why = "its api_key_ref is neither env:NAME nor infisical://…/KEY"
        else:
            health = entry_health(ref, states)
            if health.state is None:
                why = "no health known for its provider"
            elif health.state != State.HEALTHY:
                why = f"{health.state.value} ({health.reason})"
                if health.serving and degraded is None:
                    degraded = ref
        if why is None:
            return ref, skipped
        skipped.append((ref, why))
    return degraded, skipped


def _infisical_path(ref: str | None) -> str | None:
    """`infisical://spine/ai/providers/KEY` -> `/spine/ai/providers` (infisical run's --path)."""
    if not ref or not ref.startswith("infisical://"):
        return None
    folder = ref.removeprefix("infisical://").rstrip("/").rpartition("/")[0]
    return f"/{folder}"


def _run_line(cli: str, command: str, setup: Setup, key_ref: str | None) -> str:
    if setup.env:
        inner = f'eval "$(gates failover bypass --cli {cli})" && exec {command}'
        line = f"sh -c '{inner}'"
    else:
        line = command
    path = _infisical_path(key_ref)
    return f"infisical run --path={path} -- {line}" if path else line


def bypass(model: GovernanceModel, cli: str, states: Mapping[str, Health]) -> Bypass:
    """How `cli` (a CLI registry id) reaches a provider with the router out of the way."""
    body = model.cli_interfaces.get(cli)
    body = body if isinstance(body, dict) else {}
    api_format = str(body.get("api_format") or "")
    proxied = body.get("proxy_compatible") is True
    role = main_role(model, body)
    if not proxied:
        return Bypass(cli, api_format, proxied, role, NOT_PROXIED,
                      reason="does not go through the router (proxy_compatible: false): it "
                             "reaches its providers directly already")
    if role is None:
        return Bypass(cli, api_format, proxied, None, NO_DIRECT,
                      reason="no role: the CLI registry names none and no role serves the "
                             "router's default slot")
    ref, skipped = _pick(model, role, api_format, states)
    if ref is None:
        return Bypass(cli, api_format, proxied, role, NO_DIRECT, skipped=tuple(skipped),
                      reason=f"no healthy {api_format}-format provider in the role's chain")
    parsed = ModelRef.parse(ref)
    assert parsed is not None
    provider = model.providers[parsed.provider]
    key_ref = provider.get("api_key_ref") if isinstance(provider.get("api_key_ref"), str) \
        else None
    small = parsed.model
    roles = body.get("roles") if isinstance(body.get("roles"), list) else None
    background = _slot_role(model, "background", roles)
    if background is not None and background != role:
        other, _ = _pick(model, background, api_format, states, parsed.provider)
        other_ref = ModelRef.parse(other) if other else None
        small = other_ref.model if other_ref is not None else small
    target = Target(parsed.provider, base_url(str(provider.get("api_base") or ""), api_format),
                    parsed.model, small, key_env_name(key_ref))
    kind, command = CLI_KINDS.get(cli, (FORMAT_KINDS.get(api_format, openai_env), cli))
    setup = kind(target)
    return Bypass(cli, api_format, proxied, role, DIRECT, ref, target, key_ref, setup,
                  _run_line(cli, command, setup, key_ref), tuple(skipped))
