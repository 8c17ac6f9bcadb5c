"""Proxy safety preflight (rules CCR-*): settings under which the real router leaks or misroutes.

Each rule guards a measured behaviour of claude-code-router 2.0 (reference notes, ccr-2.0.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.finding import Finding, Severity

# The router's own interpolation pattern (copied from its code): `${anything}` or `$UPPER_NAME`.
ENV_REF = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")
NEVER_INTERPOLATED = ("Router", "fallback", "CUSTOM_ROUTER_PATH")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LEAKY_LEVELS = {"debug", "trace"}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    help: str
    fix: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("CCR-000", "No live router config", Severity.INFO,
         "There is no config at the default path, so there is nothing to check here.",
         "Pass --live PATH to check a config elsewhere."),
    Rule("CCR-SCHEMA-001", "Live config value has the wrong type", Severity.ERROR,
         "The router reads these values without validation; a wrong type is ignored or crashes "
         "a route.", "Give the value the type the router expects."),
    Rule("CCR-LOG-001", "Router logs at debug level", Severity.ERROR,
         "At LOG_LEVEL debug or trace (the default when unset) the router writes upstream "
         "`authorization: Bearer <key>` headers and full prompts to ~/.claude-code-router/logs.",
         "Set \"LOG_LEVEL\": \"info\" (or \"LOG\": false)."),
    Rule("CCR-HOST-001", "Router listens beyond loopback without a client key", Severity.ERROR,
         "A non-loopback HOST without APIKEY exposes the proxy (and GET /api/config, which "
         "returns the upstream keys) to the network.",
         "Use \"HOST\": \"127.0.0.1\", or set APIKEY from a secret reference."),
    Rule("CCR-HOST-002", "Router has no providers", Severity.ERROR,
         "With no providers the router answers nothing, and 2.0 listens on 0.0.0.0 without "
         "authentication (1.0.73 keeps 127.0.0.1).",
         "Compile the config from the SSOT (`gates compile ccr`) or add providers."),
    Rule("CCR-ENV-001", "Interpolated variable is unset", Severity.ERROR,
         "An unset or empty $NAME stays literal: the upstream receives `Bearer $NAME`.",
         "Export the variable in the router's environment (e.g. `infisical run -- ccr start`)."),
    Rule("CCR-ENV-002", "Variable where the router never interpolates", Severity.ERROR,
         "Router, fallback and CUSTOM_ROUTER_PATH are read raw; a $NAME there is used literally.",
         "Write the literal \"provider,model\" value."),
    Rule("CCR-NAME-001", "Provider name the router cannot match", Severity.ERROR,
         "The router matches a request's provider against the lower-cased configured name and "
         "splits on commas, so upper-case letters or a comma make the provider unreachable.",
         "Use a lower-case provider name without commas."),
    Rule("CCR-NAME-002", "Route targets an unknown provider", Severity.ERROR,
         "A Router or fallback value whose provider is not configured answers 404.",
         "Point the slot at a configured provider or add the provider."),
    Rule("CCR-PROV-001", "Provider the router silently drops", Severity.ERROR,
         "A provider without name, api_base_url or api_key is skipped at start-up without an "
         "error.", "Give the provider a name, an api_base_url and an api_key ($NAME)."),
    Rule("CCR-PROFILE-001", "fallback lists the router version ignores", Severity.WARNING,
         "claude-code-router 1.0 has no fallback: a failed primary is returned to the client.",
         "Upgrade the router to 2.0 (the pinned version) or drop the fallback lists."),
    Rule("CCR-ACTIVATE-001", "`ccr activate` points clients elsewhere", Severity.ERROR,
         "`ccr activate` sets ANTHROPIC_BASE_URL for agent CLIs; it must be "
         "http://127.0.0.1:<PORT> of this config.",
         "Fix PORT, then re-run `eval $(ccr activate)`."),
    Rule("CCR-ACTIVATE-002", "`ccr activate` could not be checked", Severity.WARNING,
         "The router's CLI was not found or its output was not the expected export lines.",
         "Install the pinned router (`npm ci`) or pass `--ccr PATH`."),
)}


def finding(rule_id: str, message: str, live: LiveConfig, pointer: str) -> Finding:
    rule = RULES[rule_id]
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
