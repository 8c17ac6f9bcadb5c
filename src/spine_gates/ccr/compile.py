"""Compile the SSOT (providers, roles and their slots) into a claude-code-router config.json.

The output is a pure function of the registries and the spine's `ccr:` settings: same input, same
bytes. Keys are never written, only `$NAME` placeholders the router fills from its environment.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from spine_gates.ccr.live import DEFAULT_LIVE
from spine_gates.ccr.profiles import PROFILES, CcrProfile, get_profile
from spine_gates.errors import InputError
from spine_gates.failover.router_module import module_path
from spine_gates.failover.settings import failover_settings
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import join_pointer
from spine_gates.model.refs import ModelRef
from spine_gates.model.schemas import CCR_SLOTS
from spine_gates.secrets.refs import env_var_of

DEFAULT_PORT = 3456
DEFAULT_HOST = "127.0.0.1"
DEFAULT_LOG_LEVEL = "info"  # the router's default is "debug", which logs keys and prompts
DEFAULT_APIKEY_REF = "env:CCR_APIKEY"
# The router silently drops a provider without an api_key; a keyless local server gets this.
LOCAL_NO_KEY = "no-key"
_SETTINGS = {"host", "port", "apikey_ref", "log", "log_level", "long_context_threshold",
             "api_timeout_ms", "ignore", "profile", "extra"}
# Settings that may be null: the key is then left out and the router's own default applies (an
# imported config that never set it compiles back to the same file).
_OMITTABLE = ("host", "port", "apikey_ref", "log", "log_level")
# What the registries compile to; `ccr.extra` carries other router keys verbatim (PROXY_URL,
# transformers, …), each only where no setting writes the same key.
SECTIONS = ("Providers", "Router", "fallback")


def placeholder_for(ref: str) -> str:
    """`infisical://spine/ai/providers/ANTHROPIC_API_KEY` or `env:FOO` -> `$NAME`."""
    return "$" + env_var_of(ref, "the router can interpolate ($NAME)")


def endpoint_for(api_format: str, api_base: str) -> str:
    """The full URL the router posts to: it does not append a path itself."""
    base = api_base.rstrip("/")
    if api_format == "anthropic":
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"
    return f"{base}/chat/completions"


def ccr_settings(model: GovernanceModel) -> dict[str, Any]:
    """The spine's `ccr:` block from spine-gates.yaml (all optional)."""
    settings = model.config.settings.get("ccr") or {}
    if not isinstance(settings, dict):
        raise InputError("'ccr' must be a mapping", "spine-gates.yaml")
    unknown = sorted(set(settings) - _SETTINGS)
    if unknown:
        known = ", ".join(sorted(_SETTINGS))
        raise InputError(f"unknown ccr setting {unknown[0]!r} (known: {known})",
                         "spine-gates.yaml")
    for key in ("port", "long_context_threshold", "api_timeout_ms"):
        value = settings.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise InputError(f"ccr.{key} must be a positive whole number", "spine-gates.yaml")
    if "profile" in settings and str(settings["profile"]) not in PROFILES:
        raise InputError(f"ccr.profile {settings['profile']!r} is not supported (supported: "
                         f"{', '.join(PROFILES)})", "spine-gates.yaml")
    for key in ("host", "apikey_ref", "log_level"):
        if settings.get(key) is not None and not isinstance(settings[key], str):
            raise InputError(f"ccr.{key} must be a string (or null: not written)",
                             "spine-gates.yaml")
    if settings.get("log") is not None and not isinstance(settings["log"], bool):
        raise InputError("ccr.log must be true or false (or null: not written)",
                         "spine-gates.yaml")
    extra = settings.get("extra")
    if extra is not None:
        if not isinstance(extra, dict):
            raise InputError("ccr.extra must be a mapping of router keys to values",
                             "spine-gates.yaml")
        owned = sorted(set(map(str, extra)) & set(SECTIONS))
        if owned:
            raise InputError(f"ccr.extra cannot set {owned[0]!r}: compile writes it from the "
                             "registries", "spine-gates.yaml")
    return settings


def profile_for(explicit: str | None, model: GovernanceModel,
                fallback: str | None = None) -> CcrProfile:
    """`--profile`, else the spine's `ccr.profile`, else the gate's, else 2.0."""
    setting = ccr_settings(model).get("profile")
    return get_profile(explicit or (str(setting) if setting else None) or fallback)


def compile_ccr_config(model: GovernanceModel, profile: CcrProfile, *,
                       live_path: Path | None = None) -> dict[str, Any]:
    """The router config the SSOT implies, in a fixed key order.

    With `failover.router_module: true` it also names the failover router module installed
    beside the live config (`live_path`, default ~/.claude-code-router/config.json): the one
    setting whose value depends on where the config is deployed.
    """
    settings = ccr_settings(model)
    module = _failover_module(model, profile, live_path)
    providers_doc = model.document("providers")
    roles_doc = model.document("roles")

    providers: list[dict[str, Any]] = []
    known_models: dict[str, list[str]] = {}
    for ident, body in model.providers.items():
        pointer = join_pointer("/providers", ident)
        where = (providers_doc.name, providers_doc.line_of(pointer))
        if not isinstance(body, dict):
            raise InputError(f"provider {ident!r} must be a mapping", *where)
        ident = str(ident)
        if ident != ident.lower() or "," in ident:
            raise InputError(f"provider id {ident!r} cannot be routed: claude-code-router "
                             "matches provider names in lower case and splits on commas", *where)
        api_format, api_base = body.get("api_format"), body.get("api_base")
        if not isinstance(api_format, str) or not isinstance(api_base, str):
            raise InputError(f"provider {ident!r} needs api_format and api_base", *where)
        raw_models = body.get("models") or []
        if not isinstance(raw_models, list):
            raise InputError(f"provider {ident!r}: 'models' must be a list",
                             providers_doc.name, providers_doc.line_of(f"{pointer}/models"))
        models = [str(m) for m in raw_models if isinstance(m, str | int | float)]
        ref = body.get("api_key_ref")
        if ref is None:
            api_key = LOCAL_NO_KEY
        else:
            try:
                api_key = placeholder_for(str(ref))
            except ValueError as exc:
                raise InputError(str(exc), providers_doc.name,
                                 providers_doc.line_of(f"{pointer}/api_key_ref")) from None
        entry: dict[str, Any] = {
            "name": ident,
            "api_base_url": endpoint_for(api_format, api_base),
            "api_key": api_key,
            "models": models,
        }
        endpoint = body.get("api_endpoint")
        if isinstance(endpoint, str):
            entry["api_base_url"] = endpoint
        transformer = body.get("transformer")
        if isinstance(transformer, dict):
            entry["transformer"] = copy.deepcopy(transformer)
        elif api_format == "anthropic":
            entry["transformer"] = {"use": ["Anthropic"]}
        providers.append(entry)
        known_models[ident] = models

    def target(ref: Any, pointer: str) -> str:
        parsed = ModelRef.parse(ref) if isinstance(ref, str) else None
        where = (roles_doc.name, roles_doc.line_of(pointer))
        if parsed is None:
            raise InputError(f"{ref!r} is not a provider_id/model_id reference", *where)
        if parsed.provider not in known_models:
            raise InputError(f"{ref!r} names unknown provider {parsed.provider!r}", *where)
        if "," in parsed.model:
            raise InputError(f"model id {parsed.model!r} contains a comma, which the router "
                             "splits on", *where)
        return f"{parsed.provider},{parsed.model}"

    router: dict[str, Any] = {}
    fallback: dict[str, list[str]] = {}
    bound: dict[str, str] = {}
    for role_id, role in model.roles.items():
        if not isinstance(role, dict):
            continue
        role_pointer = join_pointer("/roles", role_id)
        slots = role.get("ccr_slots") or []
        if not isinstance(slots, list) or not all(isinstance(s, str) for s in slots):
            raise InputError(f"role {role_id!r}: 'ccr_slots' must be a list of slot names",
                             roles_doc.name, roles_doc.line_of(f"{role_pointer}/ccr_slots"))
        if not slots:
            continue
        primary = target(role.get("primary"), f"{role_pointer}/primary")
        refs = role.get("fallback_chain") or []
        if not isinstance(refs, list):
            raise InputError(f"role {role_id!r}: 'fallback_chain' must be a list",
                             roles_doc.name, roles_doc.line_of(f"{role_pointer}/fallback_chain"))
        chain = [target(ref, f"{role_pointer}/fallback_chain/{i}") for i, ref in enumerate(refs)]
        for slot in slots:
            if slot in bound:
                raise InputError(f"slot {slot!r} is bound by roles {bound[slot]!r} and "
                                 f"{role_id!r}; the router has one model per slot",
                                 roles_doc.name, roles_doc.line_of(f"{role_pointer}/ccr_slots"))
            bound[slot] = str(role_id)
            router[slot] = primary
            if profile.supports_fallback and slot in profile.fallback_scenarios and chain:
                fallback[slot] = chain

    defaults: dict[str, Any] = {"host": DEFAULT_HOST, "port": DEFAULT_PORT,
                                "apikey_ref": DEFAULT_APIKEY_REF, "log": True,
                                "log_level": DEFAULT_LOG_LEVEL}
    chosen = {key: settings.get(key, defaults[key]) for key in _OMITTABLE}
    config: dict[str, Any] = {}
    if chosen["host"] is not None:
        config["HOST"] = str(chosen["host"])
    if chosen["port"] is not None:
        config["PORT"] = int(chosen["port"])
    if chosen["apikey_ref"] is not None:
        # "" is the router UI's "no client key": written as it is, not a reference
        config["APIKEY"] = _apikey(str(chosen["apikey_ref"])) if chosen["apikey_ref"] else ""
    if chosen["log"] is not None:
        config["LOG"] = bool(chosen["log"])
    if chosen["log_level"] is not None:
        config["LOG_LEVEL"] = str(chosen["log_level"])
    if "api_timeout_ms" in settings:
        config["API_TIMEOUT_MS"] = int(settings["api_timeout_ms"])
    if module is not None:
        config["CUSTOM_ROUTER_PATH"] = module
    config["Providers"] = providers
    ordered_router = {slot: router[slot] for slot in CCR_SLOTS if slot in router}
    if "long_context_threshold" in settings:
        ordered_router["longContextThreshold"] = int(settings["long_context_threshold"])
    config["Router"] = ordered_router
    if profile.supports_fallback:
        config["fallback"] = {s: fallback[s] for s in profile.fallback_scenarios if s in fallback}
    for key, value in (settings.get("extra") or {}).items():
        if str(key) in config:
            raise InputError(f"ccr.extra sets {key!r}, which a ccr setting writes already; "
                             "keep one", "spine-gates.yaml")
        config[str(key)] = copy.deepcopy(value)
    return config


def _failover_module(model: GovernanceModel, profile: CcrProfile,
                     live_path: Path | None) -> str | None:
    """The module's absolute path when the spine turns it on (the router never interpolates
    CUSTOM_ROUTER_PATH, so it must be literal), else None."""

    if not failover_settings(model.config).router_module:
        return None
    if not profile.supports_fallback:
        raise InputError(f"failover.router_module is for claude-code-router 2.0 (the module "
                         f"mirrors 2.0.0's slot rules); the profile is {profile.name}",
                         "spine-gates.yaml")

    return str(module_path(live_path or Path(DEFAULT_LIVE)).absolute())


def _apikey(ref: str) -> str:
    try:
        return placeholder_for(ref)
    except ValueError as exc:
        raise InputError(f"ccr.apikey_ref: {exc}", "spine-gates.yaml") from None


def render_config(config: dict[str, Any]) -> str:
    """The bytes to write: the router's own layout (2-space JSON) plus a final newline."""
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"
