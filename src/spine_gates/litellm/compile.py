"""Compile the SSOT into a LiteLLM proxy `config.yaml` (the team gateway).

One deployment per provider model, named by its SSOT reference (`openai/o4-mini`) and carrying a
stable `model_info.id` derived from it, so a cooldown or rate key (`deployment:{id}:cooldown`)
maps back to provider/model. Roles and the model names agent CLIs send are model-group aliases
of their role's primary, and each alias carries the role's chain as `fallbacks`: LiteLLM looks
fallbacks up by the model name the client asked for, not by the group an alias resolves to
(measured on 1.108.7). Keys are `os.environ/NAME` references only; the output is a pure function
of the registries and the spine's `litellm:` settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import yaml

from spine_gates.errors import InputError
from spine_gates.health.state_config import CONFIG_FILE as STATE_FILE
from spine_gates.health.state_config import state_config
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import join_pointer
from spine_gates.model.refs import ModelRef
from spine_gates.secrets.refs import env_var_of

if TYPE_CHECKING:
    from spine_gates.model.spine import SpineConfig

# The router keyword arguments chosen against the measured pitfalls (docs/guides/team-gateway.md):
# no retry on the same deployment (a group holds one; a retried 429 costs 0.8-1.1 s of backoff
# each and answers the same), a cooldown after a second failure (allowed_fails 1: without it a
# 429 never cools a one-deployment group down), a cooldown as long as a provider's RPM window,
# and timeouts well below the default 6000 s (a hung primary otherwise never falls back).
DEFAULTS: dict[str, int] = {
    "num_retries": 0,
    "timeout": 300,
    "stream_timeout": 60,
    "allowed_fails": 1,
    "cooldown_time": 60,
}
DEFAULT_MASTER_KEY_REF = "env:LITELLM_MASTER_KEY"
# A keyless local server still needs a key for the OpenAI client LiteLLM uses.
LOCAL_NO_KEY = "no-key"
# The model names Claude Code (the pinned 2.1.x) sends, by family, and the router slot whose role
# answers each: the main loop asks for opus (which claude-code-router routes as `think`), the
# background tasks for haiku. LiteLLM has no think/background detection of its own.
CLAUDE_CODE_MODELS: dict[str, tuple[str, ...]] = {
    "think": ("claude-opus-5-5", "claude-opus-4-5"),
    "default": ("claude-sonnet-5-5", "claude-sonnet-4-5"),
    "background": ("claude-haiku-5-5", "claude-haiku-4-5"),
}
_SETTINGS = {*DEFAULTS, "master_key_ref", "client_models", "ignore"}


def litellm_settings(model: GovernanceModel) -> dict[str, Any]:
    """The spine's `litellm:` block from spine-gates.yaml (all optional)."""
    settings = model.config.settings.get("litellm") or {}
    if not isinstance(settings, dict):
        raise InputError("'litellm' must be a mapping", "spine-gates.yaml")
    unknown = sorted(set(settings) - _SETTINGS)
    if unknown:
        raise InputError(f"unknown litellm setting {unknown[0]!r} (known: "
                         f"{', '.join(sorted(_SETTINGS))})", "spine-gates.yaml")
    for key in DEFAULTS:
        value = settings.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):
            raise InputError(f"litellm.{key} must be a whole number, 0 or more",
                             "spine-gates.yaml")
    aliases = settings.get("client_models")
    if aliases is not None and (not isinstance(aliases, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in aliases.items())):
        raise InputError("litellm.client_models must map model names to role ids",
                         "spine-gates.yaml")
    if not isinstance(settings.get("master_key_ref", ""), str):
        raise InputError("litellm.master_key_ref must be a string", "spine-gates.yaml")
    return settings


def deployment_id(ref: str) -> str:
    """`openrouter/qwen/qwen3-coder:free` -> `openrouter/qwen/qwen3-coder%3Afree`: the SSOT
    reference, with every character a Redis key or a log splits on percent-encoded (reversible)."""
    return quote(ref, safe="/._-")


def env_reference(ref: str) -> str:
    """`infisical://spine/ai/providers/ANTHROPIC_API_KEY` or `env:FOO` -> `os.environ/NAME`."""
    return "os.environ/" + env_var_of(ref, "LiteLLM can read (os.environ/NAME)")


def litellm_model(model: str, api_format: str) -> str:
    """`litellm_params.model` for a registry model: the gateway's rpm keys carry it too."""
    # anthropic/… posts to {api_base}/v1/messages; openai/… to {api_base}/chat/completions
    prefix = "anthropic" if api_format == "anthropic" else "openai"
    return f"{prefix}/{model}"


def redis_settings(config: SpineConfig) -> dict[str, Any]:
    """router_settings that point the gateway at the spine's `state:` Redis, so its cooldowns
    and rate counters are shared by its instances and read by `providers status`; none with
    the SQLite default. The password stays a reference (`os.environ/NAME`)."""
    state = state_config(config)
    if not state.shared:
        return {}
    parts = urlsplit(state.url)
    if parts.scheme != "redis" or not parts.hostname:
        raise InputError(f"the LiteLLM gateway takes its Redis as host and port: state.url must "
                         f"be redis://HOST:PORT/DB to share it with the gateway, got "
                         f"{state.url!r}", STATE_FILE, state.line)
    settings: dict[str, Any] = {"redis_host": parts.hostname, "redis_port": parts.port or 6379}
    if state.password_ref is not None:
        try:
            settings["redis_password"] = env_reference(state.password_ref)
        except ValueError as exc:
            raise InputError(f"state.password_ref: {exc}", STATE_FILE, state.line) from None
    db = parts.path.strip("/")
    if db not in ("", "0"):
        if not db.isdigit():
            raise InputError(f"state.url: {db!r} is not a Redis database number", STATE_FILE,
                             state.line)
        settings["redis_db"] = int(db)
    return settings


def _deployment(ref: str, api_format: str, api_base: str, api_key: str,
                rpm: Any) -> dict[str, Any]:
    parsed = ModelRef.parse(ref)
    assert parsed is not None
    params: dict[str, Any] = {"model": litellm_model(parsed.model, api_format),
                              "api_base": api_base, "api_key": api_key}
    if isinstance(rpm, int) and not isinstance(rpm, bool) and rpm > 0:
        params["rpm"] = rpm
    return {"model_name": ref, "litellm_params": params,
            "model_info": {"id": deployment_id(ref)}}


def compile_litellm_config(model: GovernanceModel) -> dict[str, Any]:
    """The gateway config the SSOT implies, in a fixed key order."""
    settings = litellm_settings(model)
    providers_doc = model.document("providers")
    roles_doc = model.document("roles")
    deployments: list[dict[str, Any]] = []
    known: set[str] = set()
    for ident, body in model.providers.items():
        pointer = join_pointer("/providers", ident)
        where = (providers_doc.name, providers_doc.line_of(pointer))
        if not isinstance(body, dict):
            raise InputError(f"provider {ident!r} must be a mapping", *where)
        api_format, api_base = body.get("api_format"), body.get("api_base")
        if not isinstance(api_format, str) or not isinstance(api_base, str):
            raise InputError(f"provider {ident!r} needs api_format and api_base", *where)
        ref_value = body.get("api_key_ref")
        if ref_value is None:
            api_key = LOCAL_NO_KEY
        else:
            try:
                api_key = env_reference(str(ref_value))
            except ValueError as exc:
                raise InputError(str(exc), providers_doc.name,
                                 providers_doc.line_of(f"{pointer}/api_key_ref")) from None
        models = body.get("models") or []
        if not isinstance(models, list):
            raise InputError(f"provider {ident!r}: 'models' must be a list",
                             providers_doc.name, providers_doc.line_of(f"{pointer}/models"))
        for name in models:
            if isinstance(name, str | int | float) and not isinstance(name, bool):
                ref = f"{ident}/{name}"
                known.add(ref)
                deployments.append(_deployment(ref, api_format, api_base.rstrip("/"), api_key,
                                               body.get("rate_limit_rpm")))

    def group(ref: Any, pointer: str) -> str:
        where = (roles_doc.name, roles_doc.line_of(pointer))
        if not isinstance(ref, str) or ModelRef.parse(ref) is None:
            raise InputError(f"{ref!r} is not a provider_id/model_id reference", *where)
        if ref not in known:
            raise InputError(f"{ref!r} names no model of the provider registry", *where)
        return ref

    aliases: dict[str, str] = {}
    fallbacks: list[dict[str, list[str]]] = []
    chains: dict[str, list[str]] = {}
    by_slot: dict[str, str] = {}
    for role_id, role in model.roles.items():
        if not isinstance(role, dict):
            continue
        role_pointer = join_pointer("/roles", role_id)
        primary = group(role.get("primary"), f"{role_pointer}/primary")
        refs = role.get("fallback_chain") or []
        if not isinstance(refs, list):
            raise InputError(f"role {role_id!r}: 'fallback_chain' must be a list",
                             roles_doc.name, roles_doc.line_of(f"{role_pointer}/fallback_chain"))
        chain = [group(r, f"{role_pointer}/fallback_chain/{i}") for i, r in enumerate(refs)]
        aliases[str(role_id)] = primary
        chains[str(role_id)] = chain
        for slot in role.get("ccr_slots") or []:
            by_slot.setdefault(str(slot), str(role_id))
    client_models = settings.get("client_models")
    if client_models is None:
        client_models = {name: by_slot[slot] for slot, names in CLAUDE_CODE_MODELS.items()
                         if slot in by_slot for name in names}
    for name, role_id in client_models.items():
        if role_id not in chains:
            raise InputError(f"litellm.client_models: {name!r} names unknown role {role_id!r}",
                             "spine-gates.yaml")
        if name in aliases or name in known:
            raise InputError(f"litellm.client_models: {name!r} is already a role or a model "
                             "group", "spine-gates.yaml")
        aliases[name] = aliases[role_id]
        chains[name] = chains[role_id]
    for name, chain in chains.items():
        if chain:
            fallbacks.append({name: chain})

    router: dict[str, Any] = {key: int(settings.get(key, value))
                              for key, value in DEFAULTS.items()}
    router["model_group_alias"] = aliases
    router["fallbacks"] = fallbacks
    router.update(redis_settings(model.config))
    master = str(settings.get("master_key_ref", DEFAULT_MASTER_KEY_REF))
    try:
        master_key = env_reference(master)
    except ValueError as exc:
        raise InputError(f"litellm.master_key_ref: {exc}", "spine-gates.yaml") from None
    return {
        "model_list": deployments,
        "router_settings": router,
        # never send a parameter a provider rejects; a failed request is a fallback, not a 400
        "litellm_settings": {"drop_params": True},
        "general_settings": {"master_key": master_key},
    }


def render_config(config: dict[str, Any]) -> str:
    """The bytes to write: block-style YAML in the compiled key order."""
    header = "# Compiled by `gates compile litellm` from the SSOT; edit the registries instead.\n"
    return header + yaml.dump(config, Dumper=_PlainDumper, sort_keys=False,
                              default_flow_style=False, allow_unicode=True, width=100)


class _PlainDumper(yaml.SafeDumper):
    """No `&id001` anchors: two aliases sharing a chain are written out twice, as a person would."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
