"""LiteLLM gateway safety (rules LIT-*): settings `litellm --validate_config` lets through.

Each rule guards a measured behaviour of LiteLLM 1.108.7 (reference notes, litellm.md): a
gateway without a master key, a credential written into the file (any credential-named field,
a URL's password, an environment_variables value), the 6000 s default timeout, a
fallback to a group that does not exist, retry and cooldown numbers it accepts but cannot use,
fallbacks that never cool a rate-limited deployment down, shared Redis state without a password.
Titles, severities and fixes are in policies/builtin/rules.yaml (group `litellm`). A literal
key is only ever named by its fingerprint, and registered for scrubbing from every output.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from spine_gates.checks.interface import GateDefinition, RunContext, rule_meta, rule_metas
from spine_gates.finding import Finding, Severity
from spine_gates.litellm.credentials import Credential, credentials
from spine_gates.model.loader import join_pointer
from spine_gates.secrets.redact import fingerprint, register_secret
from spine_gates.targets import get_target
from spine_gates.targets.interface import LiveView

FALLBACK_SETTINGS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
# Where the proxy reads router settings: router_settings, and the same keys in litellm_settings.
SETTINGS_SECTIONS = ("router_settings", "litellm_settings")
COUNTS = ("num_retries", "allowed_fails")  # whole numbers, 0 or more
SECONDS = ("cooldown_time",)  # a number, 0 or more
TIMEOUTS = (("router_settings", "timeout"), ("litellm_settings", "request_timeout"))


def finding(rule_id: str, message: str, live: LiveView, pointer: str) -> Finding:
    rule = rule_meta(rule_id)  # LIT-*, policies/builtin/rules.yaml
    # An absent key is located at its nearest written ancestor, else the file's first line.
    return Finding(rule=rule.id, severity=rule.severity, message=message, file=live.name,
                   line=live.line(pointer) or 1, pointer=pointer, fix=rule.fix,
                   title=rule.title)


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _inline(live: LiveView, credential: Credential) -> Finding:
    register_secret(credential.value)  # defence in depth: no report can carry it
    return finding("LIT-002", f"{credential.what} at {credential.pointer} is written into the "
                   f"file ({fingerprint(credential.value)}), not an os.environ/NAME reference",
                   live, credential.pointer)


def _inline_keys(config: dict[str, Any], live: LiveView) -> list[Finding]:
    # the same notion of a credential as the drift and sync sentences (litellm.credentials)
    return [_inline(live, credential) for credential in credentials(config)]


def _master_key(config: dict[str, Any], live: LiveView) -> list[Finding]:
    value = _section(config, "general_settings").get("master_key")
    if isinstance(value, str) and value.strip() or isinstance(value, int | float) \
            and not isinstance(value, bool):
        return []  # a reference, or a literal (LIT-002)
    shown = "empty" if value is not None else "not set"
    return [finding("LIT-001", f"general_settings.master_key is {shown}: the file does not say "
                    "how clients authenticate; the gateway depends on LITELLM_MASTER_KEY being "
                    "set wherever it starts", live, "/general_settings/master_key")]


def _timeout(config: dict[str, Any], live: LiveView) -> list[Finding]:
    found = []
    written = False
    for section, key in TIMEOUTS:
        body = _section(config, section)
        if key not in body:
            continue
        written = True
        value = body[key]
        if not _number(value) or value <= 0:
            found.append(finding("LIT-003", f"{section}.{key} is {_shown(value)}: not a number "
                                 "of seconds above 0", live, f"/{section}/{key}"))
    if not written:
        found.append(finding("LIT-003", "neither router_settings.timeout nor "
                             "litellm_settings.request_timeout is set: the default is 6000 s, "
                             "so a hung provider holds every request and never falls back",
                             live, "/router_settings/timeout"))
    return found


def _shown(value: Any) -> str:
    # A number is shown; any other value only by its type, in case a key was pasted there.
    return repr(value) if _number(value) else f"a {type(value).__name__}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(config: dict[str, Any], live: LiveView) -> list[Finding]:
    found = []
    places: list[tuple[str, dict[str, Any]]] = [
        (f"/{section}", _section(config, section)) for section in SETTINGS_SECTIONS]
    deployments = config.get("model_list")
    for index, entry in enumerate(deployments if isinstance(deployments, list) else []):
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if isinstance(params, dict):
            places.append((f"/model_list/{index}/litellm_params", params))
    for base, body in places:
        for key in (*COUNTS, *SECONDS):
            if key not in body or body[key] is None:
                continue
            value = body[key]
            valid = (_whole(value) if key in COUNTS else _number(value)) and value >= 0
            if not valid:
                kind = "a whole number" if key in COUNTS else "a number of seconds"
                found.append(finding("LIT-005", f"{key} is {_shown(value)}: LiteLLM accepts it, "
                                     f"but it must be {kind}, 0 or more", live,
                                     f"{base}/{key}"))
    return found


def _group_names(config: dict[str, Any]) -> tuple[set[str], list[str], dict[str, Any]]:
    """The model groups (model_list names), wildcard patterns among them, and the aliases."""
    names: set[str] = set()
    patterns: list[str] = []
    deployments = config.get("model_list")
    for entry in deployments if isinstance(deployments, list) else []:
        name = entry.get("model_name") if isinstance(entry, dict) else None
        if isinstance(name, str) and "*" in name:
            patterns.append(name)
        elif isinstance(name, str):
            names.add(name)
    aliases: dict[str, Any] = {}
    for section in SETTINGS_SECTIONS:
        raw = _section(config, section).get("model_group_alias")
        if isinstance(raw, dict):
            aliases.update({str(k): v for k, v in raw.items()})
    return names, patterns, aliases


def _groups(config: dict[str, Any], live: LiveView) -> list[Finding]:
    names, patterns, aliases = _group_names(config)

    def exists(group: str, *, alias_too: bool = True) -> bool:
        return group in names or (alias_too and group in aliases) or \
            any(fnmatch.fnmatchcase(group, pattern) for pattern in patterns)

    found = []
    for section in SETTINGS_SECTIONS:
        raw = _section(config, section).get("model_group_alias")
        for alias, target in (raw.items() if isinstance(raw, dict) else ()):
            group = target.get("model") if isinstance(target, dict) else target
            if not isinstance(group, str) or not exists(group, alias_too=False):
                pointer = join_pointer(f"/{section}/model_group_alias", alias)
                found.append(finding("LIT-004", f"model_group_alias {alias!r} points at "
                                     f"{group!r}, which no model_list entry is called", live,
                                     pointer))
    for section in SETTINGS_SECTIONS:
        body = _section(config, section)
        for setting in FALLBACK_SETTINGS:
            if setting in body and body[setting] is not None:
                found += _fallbacks(body[setting], f"/{section}/{setting}", exists, live)
        defaults = body.get("default_fallbacks")
        for index, group in enumerate(defaults if isinstance(defaults, list) else []):
            if not isinstance(group, str) or not exists(group):
                found.append(finding("LIT-004", f"default_fallbacks names {group!r}, which is "
                                     "no model group or alias", live,
                                     f"/{section}/default_fallbacks/{index}"))
    return found


def _fallbacks(value: Any, base: str, exists: Any, live: LiveView) -> list[Finding]:
    if not isinstance(value, list):
        return [finding("LIT-004", f"{base} is not a list of {{group: [fallback groups]}}",
                        live, base)]
    found = []
    for index, entry in enumerate(value):
        pointer = f"{base}/{index}"
        if not isinstance(entry, dict) or not entry:
            found.append(finding("LIT-004", f"{pointer} is not a {{group: [fallback groups]}} "
                                 "mapping", live, pointer))
            continue
        for group, targets in entry.items():
            group_pointer = join_pointer(pointer, group)
            if not exists(str(group)):
                found.append(finding("LIT-004", f"fallbacks are set for {group!r}, which is no "
                                     "model group or alias: requests to it never fall back",
                                     live, group_pointer))
            if not isinstance(targets, list):
                found.append(finding("LIT-004", f"the fallbacks of {group!r} are not a list of "
                                     "groups", live, group_pointer))
                continue
            for position, target in enumerate(targets):
                if not isinstance(target, str) or not exists(target):
                    found.append(finding("LIT-004", f"{group!r} falls back to {target!r}, "
                                         "which is no model group or alias", live,
                                         f"{group_pointer}/{position}"))
    return found


def _cooldown(config: dict[str, Any], live: LiveView) -> list[Finding]:
    """Fallbacks without allowed_fails: a rate-limited deployment alone in its group is tried
    (with retries) on every request and never cooled down (measured: 216 s, never)."""
    if any("allowed_fails" in _section(config, s) for s in SETTINGS_SECTIONS):
        return []
    for section in SETTINGS_SECTIONS:
        value = _section(config, section).get("fallbacks")
        if isinstance(value, list) and value:
            return [finding("LIT-006", "fallbacks are set but allowed_fails is not: a "
                            "deployment alone in its group is never cooled down, so every "
                            "request retries a rate-limited primary before falling back", live,
                            "/router_settings/allowed_fails")]
    return []


def _redis(config: dict[str, Any], live: LiveView) -> list[Finding]:
    router = _section(config, "router_settings")
    cache = _section(_section(config, "litellm_settings"), "cache_params")
    found = []
    for base, body, host_key, password_key in (
            ("/router_settings", router, "redis_host", "redis_password"),
            ("/litellm_settings/cache_params", cache, "host", "password")):
        if base.endswith("cache_params") and body.get("type") != "redis":
            continue
        if not body.get(host_key) or body.get(password_key):
            continue
        found.append(finding("LIT-007", f"{base[1:].replace('/', '.')}.{host_key} is set "
                             f"without {password_key}: any client that reaches the Redis "
                             "can cool deployments down or clear their counters", live,
                             f"{base}/{host_key}"))
    return found


def check_litellm_config(live: LiveView) -> list[Finding]:
    """Every LIT-* finding for one parsed LiteLLM `config.yaml`."""
    config = live.data
    return [*_master_key(config, live), *_inline_keys(config, live), *_timeout(config, live),
            *_groups(config, live), *_numbers(config, live), *_cooldown(config, live),
            *_redis(config, live)]


def finding_missing(path: Path) -> Finding:
    return Finding("LIT-000", Severity.INFO, f"no live LiteLLM config at {path}; gateway safety "
                   "not checked (pass --live PATH)", str(path), title=rule_meta("LIT-000").title)


def proxy_safety(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """The `litellm-proxy` check kind (gates/proxy-safety.yaml): the run's `--target litellm`
    config is safe to run; for any other target it has nothing to check."""
    if ctx.options.get("target") != "litellm":
        return []
    ctx.rules.update(rule_metas("litellm"))
    target = get_target("litellm")
    path, explicit = target.live_path(ctx.options.get("live"))
    live = target.read_live(path, required=explicit)
    if live is None:
        # `gates proxy check` asked for this one; a gate run on a CI runner has no gateway
        return [finding_missing(path)] if ctx.options.get("proxy_check") else []
    return check_litellm_config(live)
