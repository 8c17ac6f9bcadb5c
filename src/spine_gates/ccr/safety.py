"""Proxy safety preflight (rules CCR-*): settings under which the real router leaks or misroutes.

Each rule guards a measured behaviour of claude-code-router 2.0 (reference notes, ccr-2.0.md);
their titles, severities and fixes are in policies/builtin/rules.yaml (group `ccr`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.checks.interface import rule_meta
from spine_gates.finding import Finding

# The router's own interpolation pattern (copied from its code): `${anything}` or `$UPPER_NAME`.
ENV_REF = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")
NEVER_INTERPOLATED = ("Router", "fallback", "CUSTOM_ROUTER_PATH")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LEAKY_LEVELS = {"debug", "trace"}


def finding(rule_id: str, message: str, live: LiveConfig, pointer: str) -> Finding:
    rule = rule_meta(rule_id)  # CCR-*, policies/builtin/rules.yaml
    return Finding(rule=rule.id, severity=rule.severity, message=message, file=live.name,
                   line=live.line(pointer), pointer=pointer, fix=rule.fix, title=rule.title)


def _strings(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            yield from _strings(item, f"{pointer}/{token}")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """What the router makes of a string: set variables replaced, unset ones left literal."""
    return ENV_REF.sub(lambda m: env.get(m.group(1) or m.group(2)) or m.group(0), value)


def shape_findings(live: LiveConfig, profile: CcrProfile) -> list[Finding]:
    return [finding("CCR-SCHEMA-001", p.message, live, p.pointer)
            for p in profile.shape_problems(live.data)]


def check_proxy_config(live: LiveConfig, env: Mapping[str, str],
                       profile: CcrProfile) -> list[Finding]:
    """Every CCR-* finding for one parsed live config (the activate check is separate)."""
    config = live.data
    findings = shape_findings(live, profile)

    log_on = config.get("LOG", True) is not False
    level = config.get("LOG_LEVEL")
    if log_on and (level is None or str(level).lower() in LEAKY_LEVELS):
        shown = "unset (the router defaults to debug)" if level is None else repr(level)
        findings.append(finding("CCR-LOG-001", f"LOG_LEVEL is {shown} with logging on: upstream "
                                "keys and prompts are written to the router's log", live,
                                "/LOG_LEVEL" if level is not None else ""))

    providers = config.get("Providers")
    provider_list = providers if isinstance(providers, list) else []
    apikey = config.get("APIKEY")
    apikey_set = isinstance(apikey, str) and bool(interpolate(apikey, env).strip()) and \
        not ENV_REF.fullmatch(interpolate(apikey, env))
    host = config.get("HOST")
    host_value = interpolate(host, env) if isinstance(host, str) else "127.0.0.1"
    if host_value not in LOOPBACK and not apikey_set:
        findings.append(finding("CCR-HOST-001", f"HOST is {host_value!r} and no APIKEY is "
                                "set: the proxy would accept anyone on the network", live,
                                "/HOST"))
    if not provider_list:
        bind = profile.no_providers_bind
        exposure = (f"the router listens on {bind} without authentication"
                    if bind not in LOOPBACK else
                    f"every request fails (profile {profile.name} still binds {bind})")
        findings.append(finding("CCR-HOST-002", f"no providers: {exposure}", live, "/Providers"))

    # 1.0 fills every string; its ignored `fallback` cannot misroute, so it is not judged.
    interpolated = tuple(k for k in config if k != "fallback" or profile.supports_fallback) \
        if profile.interpolated_keys is None else profile.interpolated_keys
    for key in interpolated:
        if key not in config:
            continue
        for pointer, text in _strings(config[key], f"/{key}"):
            for match in ENV_REF.finditer(text):
                var = match.group(1) or match.group(2)
                if not env.get(var):
                    findings.append(finding("CCR-ENV-001", f"{match.group(0)} at {pointer} is "
                                            "unset in this environment; the router would send "
                                            "it literally", live, pointer))
    if not profile.supports_fallback and "fallback" in config:
        findings.append(finding("CCR-PROFILE-001", f"fallback is set, but profile "
                                f"{profile.name} ignores it: no fallback happens", live,
                                "/fallback"))
    for key in NEVER_INTERPOLATED:
        if key in interpolated or key not in config or \
                (key == "fallback" and not profile.supports_fallback):
            continue
        for pointer, text in _strings(config[key], f"/{key}"):
            found = ENV_REF.search(text)
            if found:
                findings.append(finding("CCR-ENV-002", f"{found.group(0)} at {pointer} is never "
                                        f"interpolated by the router (it reads {key} raw)", live,
                                        pointer))

    names: set[str] = set()
    for index, provider in enumerate(provider_list):
        if not isinstance(provider, dict):
            continue
        pointer = f"/Providers/{index}"
        missing = [k for k in ("name", "api_base_url", "api_key") if not provider.get(k)]
        if missing:
            findings.append(finding("CCR-PROV-001", f"provider {index} has no "
                                    f"{' or '.join(missing)}; the router skips it silently", live,
                                    pointer))
        name = provider.get("name")
        if isinstance(name, str):
            if name != name.lower() or "," in name:
                findings.append(finding("CCR-NAME-001", f"provider name {name!r} cannot be "
                                        "matched by the router (upper case or comma)", live,
                                        f"{pointer}/name"))
            names.add(name.lower())

    targets: list[tuple[str, str]] = []
    router = config.get("Router")
    if isinstance(router, dict):
        targets += [(f"/Router/{slot}", value) for slot, value in router.items()
                    if slot != "longContextThreshold" and isinstance(value, str)]
    fallback = config.get("fallback")
    if profile.supports_fallback and isinstance(fallback, dict):
        for scenario, values in fallback.items():
            if isinstance(values, list):
                targets += [(f"/fallback/{scenario}/{i}", v) for i, v in enumerate(values)
                            if isinstance(v, str)]
    for pointer, value in targets:
        if value and ENV_REF.search(value):
            filled = interpolate(value, env)
            if not profile.interpolates_router or ENV_REF.search(filled):
                continue  # read raw (CCR-ENV-002), or a variable unset here (CCR-ENV-001)
            if "," not in filled or filled.split(",", 1)[0] not in names:
                # The filled value is never shown: a variable that is no route may hold a key.
                findings.append(finding("CCR-NAME-002", f"{pointer} is {value!r}: the value the "
                                        "environment fills in names no configured provider",
                                        live, pointer))
            continue
        provider_name = value.split(",", 1)[0]
        if value and ("," not in value or provider_name not in names):
            findings.append(finding("CCR-NAME-002", f"{pointer} is {value!r}: no configured "
                                    f"provider is called {provider_name!r}", live, pointer))
    return findings
