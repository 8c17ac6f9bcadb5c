"""A parsed router config -> registry entries, roles, `ccr:` settings and key references.

The aim is that `gates compile ccr` on the result gives the same config back, apart from each
literal key, which becomes a `$NAME` the router fills from its environment. What the router
config cannot tell is guessed conservatively and listed; what the spine's rules would flag in
the imported routing (a slot without fallback, an unbound Claude Code slot) is waived with a
reason and a near expiry, so it is counted in every run until someone fixes it.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from spine_gates.ccr.compile import endpoint_for
from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.profiles import CcrProfile
from spine_gates.errors import InputError
from spine_gates.importing.defaults import guess_provider, is_local, key_variable
from spine_gates.model.schemas import CCR_SLOTS
from spine_gates.secrets.detect import LITERAL, REFERENCE, scan_value, walk_strings
from spine_gates.secrets.redact import fingerprint

PROVIDERS_FILE = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES_FILE = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
CLIS_FILE = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"
SETTINGS_FILE = "spine-gates.yaml"
MANIFEST_PATH = "/spine/ai/providers"
APIKEY_VARIABLE = "CCR_APIKEY"
WAIVER_DAYS = 30
CLAUDE_CODE_SLOTS = ("default", "think", "background")

_PROVIDER_FIELDS = ("name", "api_base_url", "api_key", "models", "transformer")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_VARIABLE = re.compile(r"^\$(?:([A-Z_][A-Z0-9_]*)|\{([A-Z_][A-Z0-9_]*)\})$")
# Top-level keys with a `ccr:` setting of their own (setting name, the type it must have).
_SETTING_KEYS: dict[str, tuple[str, type]] = {
    "HOST": ("host", str), "PORT": ("port", int), "LOG": ("log", bool),
    "LOG_LEVEL": ("log_level", str), "API_TIMEOUT_MS": ("api_timeout_ms", int),
}
ROUTER_DEFAULTS = {"host": "127.0.0.1 (or 0.0.0.0 with no providers)", "port": "3456",
                    "log": "true", "log_level": "debug, which logs keys and prompts",
                    "apikey_ref": "no client key"}


@dataclass(frozen=True)
class Guess:
    """A value the router config does not hold, chosen conservatively: review it."""

    file: str
    pointer: str
    value: str
    why: str


@dataclass(frozen=True)
class KeyMove:
    """A key in the router config and the reference that replaces it (never the key itself)."""

    where: str  # Providers[deepseek].api_key, APIKEY
    was: str  # `a literal key sha256:…` or the `$NAME` it already was
    ref: str  # env:NAME


@dataclass(frozen=True)
class Waived:
    rule: str
    file: str
    pointer: str
    reason: str


@dataclass
class Imported:
    profile: str
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    key_names: list[str] = field(default_factory=list)
    keys: list[KeyMove] = field(default_factory=list)
    guesses: list[Guess] = field(default_factory=list)
    waivers: list[Waived] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def waiver_expiry(self, today: _dt.date) -> str:
        return (today + _dt.timedelta(days=WAIVER_DAYS)).isoformat()


def profile_of(data: dict[str, Any], explicit: str | None) -> tuple[str, str]:
    """`--profile`, else 2.0 when the config has `fallback`, else 1.0; and why."""
    if explicit:
        return explicit, "--profile"
    if "fallback" in data:
        return "2.0", "the config has `fallback` (2.0 only)"
    return "1.0", ("the config has no `fallback`: read as 1.x; for a 2.0 router set "
                   "ccr.profile: \"2.0\" (gates sync then writes an empty fallback)")


def translate(live: LiveConfig, profile: CcrProfile, why_profile: str) -> Imported:
    """The spine's content for a router config; every way it cannot be expressed is exit 3."""
    problems = profile.shape_problems(live.data)
    if problems:
        first = problems[0]
        raise InputError(first.message, live.name, live.line(first.pointer))
    out = Imported(profile.name)
    out.settings["profile"] = profile.name
    out.guesses.append(Guess(SETTINGS_FILE, "/ccr/profile", profile.name, why_profile))
    names = _providers(live, out)
    _settings(live, out)
    _roles(live, profile, names, out)
    return out


def _providers(live: LiveConfig, out: Imported) -> dict[str, str]:
    """Fill out.providers; the router's provider names (lower-cased, as it matches them) -> id."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for index, provider in enumerate(live.data.get("Providers") or []):
        pointer = f"/Providers/{index}"
        where = (live.name, live.line(pointer))
        unknown = sorted(set(provider) - set(_PROVIDER_FIELDS))
        if unknown:
            raise InputError(f"Providers[{index}].{unknown[0]}: the registries have no field "
                             "for it; remove it or add this provider by hand", live.name,
                             live.line(f"{pointer}/{unknown[0]}"))
        name, url = provider.get("name"), provider.get("api_base_url")
        if not isinstance(name, str) or not isinstance(url, str):
            raise InputError(f"Providers[{index}] needs a name and an api_base_url (the router "
                             "drops it)", *where)
        ident = name.lower()
        if not _ID.match(ident):
            raise InputError(f"provider name {name!r} cannot be a registry id (letters, digits, "
                             "'_', '.', '-'; no commas or spaces)", *where)
        if ident in names:
            raise InputError(f"provider {name!r} is listed twice (the router matches names in "
                             "lower case)", *where)
        if ident != name:
            out.notes.append(f"provider {name!r} becomes {ident!r}: the router matches provider "
                             "names in lower case; the drift gate reports the rename until "
                             "`gates sync`")
        names[ident] = ident
        # the URL is copied into api_base / api_endpoint: a password or ?key= in it would be too
        _no_keys_in(url, f"Providers[{index}].api_base_url", live, f"{pointer}/api_base_url")
        _no_keys_in(provider.get("transformer"), f"Providers[{index}].transformer", live,
                    f"{pointer}/transformer")
        key_ref = _key_ref(provider, ident, taken, live, pointer, out)
        body, why = provider_body(provider, ident, taken, key_ref)
        if "api_endpoint" in body:
            out.guesses.append(Guess(PROVIDERS_FILE, f"/providers/{ident}/api_format",
                                     body["api_format"], "the endpoint is neither "
                                     "…/chat/completions nor …/v1/messages; api_endpoint keeps "
                                     "the router's URL"))
        out.guesses.append(Guess(PROVIDERS_FILE, f"/providers/{ident}",
                                 f"type {body['type']}, cost_tier {body['cost_tier']}, "
                                 f"quota_type {body['quota_type']}", why))
        out.providers[ident] = body
    return names


def provider_body(provider: dict[str, Any], ident: str, taken: set[str],
                  key_ref: str | None = None) -> tuple[dict[str, Any], str]:
    """The registry entry for one router provider, with import's conservative defaults and an
    `env:` reference for its key (`gates adopt` adds a new provider with it); and why the
    defaults are what they are. The key itself is never part of it."""
    url = str(provider.get("api_base_url"))
    models = list(dict.fromkeys(str(m) for m in provider.get("models") or []))
    transformer = provider.get("transformer")
    guess = guess_provider(url, models)
    api_format, api_base, endpoint = _endpoint(url, transformer)
    body: dict[str, Any] = {"type": guess.type, "api_format": api_format, "api_base": api_base}
    if endpoint:
        body["api_endpoint"] = endpoint
    body.update({"quota_type": guess.quota_type, "models": models, "cost_tier": guess.cost_tier})
    if key_ref is None:
        key = provider.get("api_key")
        variable = _variable(key) if isinstance(key, str) else None
        key_ref = f"env:{variable or key_variable(ident, taken)}"
    body["api_key_ref"] = key_ref
    if isinstance(transformer, dict):
        body["transformer"] = transformer
    return body, guess.why


def _endpoint(url: str, transformer: Any) -> tuple[str, str, str | None]:
    """(api_format, api_base, api_endpoint or None) that compile turns back into `url`."""
    uses = transformer.get("use") if isinstance(transformer, dict) else None
    anthropic = isinstance(uses, list) and "Anthropic" in uses
    candidates = [("anthropic", "/v1/messages"), ("anthropic", "/messages")] if anthropic else []
    candidates.append(("openai", "/chat/completions"))
    for api_format, suffix in candidates:
        if url.endswith(suffix):
            base = url[: -len(suffix)]
            if base and endpoint_for(api_format, base) == url:
                return api_format, base, None
    return ("anthropic" if anthropic else "openai"), url, url


def _key_ref(provider: dict[str, Any], ident: str, taken: set[str], live: LiveConfig,
             pointer: str, out: Imported) -> str:
    label = f"Providers[{ident}].api_key"
    key = provider.get("api_key")
    if not isinstance(key, str):
        out.notes.append(f"{label}: none in the config (the router drops such a provider); "
                         "the import gives it a reference")
        key = ""
    variable = _variable(key)
    if variable is not None:
        taken.add(variable)
        out.key_names.append(variable)
        out.keys.append(KeyMove(label, key.strip(), f"env:{variable}"))
        return f"env:{variable}"
    if key.strip().startswith("$"):
        raise InputError(f"{label}: {key.strip()!r} is not a $NAME reference the spine can "
                         "express (env:NAME needs an upper-case name)", live.name,
                         live.line(f"{pointer}/api_key"))
    name = key_variable(ident, taken)
    out.key_names.append(name)
    out.keys.append(KeyMove(label, f"a literal key {fingerprint(key)}", f"env:{name}"))
    if is_local(str(provider.get("api_base_url"))):
        out.guesses.append(Guess(PROVIDERS_FILE, f"/providers/{ident}/api_key_ref",
                                 f"env:{name}", "a local server's key became a reference too; "
                                 "api_key_ref: null if it needs none"))
    return f"env:{name}"


def _variable(value: str) -> str | None:
    match = _VARIABLE.match(value.strip())
    return (match.group(1) or match.group(2)) if match else None


def _settings(live: LiveConfig, out: Imported) -> None:
    """Top-level keys -> `ccr:` settings; an unset one -> null (the router's default applies);
    any other key -> `ccr.extra`, verbatim (never a key)."""
    data = live.data
    settings = out.settings
    extra: dict[str, Any] = {}
    for key, (setting, kind) in _SETTING_KEYS.items():
        if key not in data:
            if setting != "api_timeout_ms":
                settings[setting] = None
            continue
        value = data[key]
        positive = not isinstance(value, bool) and isinstance(value, int) and value >= 1
        if positive if kind is int else isinstance(value, kind):
            settings[setting] = value
        else:  # a type the setting does not take (`"PORT": "3456"`): carried as written
            if setting != "api_timeout_ms":
                settings[setting] = None
            extra[key] = value
    if "APIKEY" not in data:
        settings["apikey_ref"] = None
    else:
        apikey = data["APIKEY"]
        if not isinstance(apikey, str) or not apikey.strip():
            settings["apikey_ref"] = ""
        else:
            variable = _variable(apikey)
            if variable is None:
                variable = APIKEY_VARIABLE
                out.key_names.append(variable)
                out.keys.append(KeyMove("APIKEY", f"a literal key {fingerprint(apikey)}",
                                        f"env:{variable}"))
            else:
                out.key_names.append(variable)
                out.keys.append(KeyMove("APIKEY", apikey.strip(), f"env:{variable}"))
            settings["apikey_ref"] = f"env:{variable}"
    if settings.get("log_level") is None and settings.get("log") is not False:
        out.notes.append("LOG_LEVEL is not set, so the router logs at debug (upstream keys and "
                         "prompts in its log); set ccr.log_level: info and `gates sync`")
    router = data.get("Router") or {}
    threshold = router.get("longContextThreshold")
    if threshold is not None and threshold != 0:  # 0 reads as the default: nothing to keep
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            raise InputError("Router.longContextThreshold must be a positive whole number",
                             live.name, live.line("/Router/longContextThreshold"))
        settings["long_context_threshold"] = threshold
    for key, value in data.items():
        if key in _SETTING_KEYS or key in ("APIKEY", "Providers", "Router", "fallback"):
            continue
        _no_keys_in(value, key, live, f"/{key}")
        extra[key] = value
    if extra:
        settings["extra"] = extra


def _no_keys_in(value: Any, label: str, live: LiveConfig, pointer: str) -> None:
    """A key anywhere the import would copy verbatim is refused: it would land in the spine."""
    if isinstance(value, str):
        value = {label.rsplit(".", 1)[-1]: value}
    for inner, text, keys in walk_strings(value):
        key, above = (keys[-1], keys[:-1]) if keys else (label, ())
        for hit in scan_value(key, text, above):
            if hit.kind == REFERENCE:
                continue
            what = "a literal in a key field" if hit.kind == LITERAL else hit.label or "a key"
            raise InputError(f"{label}: holds {what} ({hit.fingerprint}); the import copies "
                             "this verbatim, so move the key out first", live.name,
                             live.line(pointer) or live.line(pointer + inner))


def _target(value: Any, label: str, names: dict[str, str], live: LiveConfig,
            pointer: str, out: Imported) -> tuple[str, str]:
    """`"provider,model"` -> (provider id, model); the router ignores extra commas."""
    parts = value.split(",") if isinstance(value, str) else []
    if len(parts) < 2 or not parts[1]:
        raise InputError(f"{label}: {value!r} is not \"provider,model\"", live.name,
                         live.line(pointer))
    provider, model = parts[0].lower(), parts[1]
    if provider not in names:
        raise InputError(f"{label}: names provider {parts[0]!r}, which the config does not "
                         "list (the router answers 404)", live.name, live.line(pointer))
    if len(parts) > 2:
        out.notes.append(f"{label}: {value!r} has extra commas, which the router ignores; "
                         f"imported as {provider},{model}")
    body = out.providers[names[provider]]
    if model not in body["models"] and not body.get("open_catalogue"):
        body["open_catalogue"] = True
        out.guesses.append(Guess(PROVIDERS_FILE, f"/providers/{provider}/open_catalogue",
                                 "true", f"{label} routes to {model!r}, which the provider "
                                 "does not list (the router forwards it anyway)"))
    return names[provider], model


def _roles(live: LiveConfig, profile: CcrProfile, names: dict[str, str],
           out: Imported) -> None:
    """One role per distinct (primary, fallback list), named after its first slot."""
    router = live.data.get("Router") or {}
    fallback = live.data.get("fallback") if profile.supports_fallback else None
    fallback = fallback if isinstance(fallback, dict) else {}
    for key in router:
        if key not in CCR_SLOTS and key != "longContextThreshold":
            out.notes.append(f"Router.{key}: not a slot the router reads; not imported (the "
                             "drift gate reports it until `gates sync`)")
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for slot in CCR_SLOTS:
        value = router.get(slot)
        if value is None:
            continue
        if value == "":
            out.notes.append(f"Router.{slot} is empty (unset); not imported (the drift gate "
                             "reports it until `gates sync`)")
            continue
        provider, model = _target(value, f"Router.{slot}", names, live, f"/Router/{slot}", out)
        primary = f"{provider}/{model}"
        chain: tuple[str, ...] = ()
        if slot in profile.fallback_scenarios:
            for index, entry in enumerate(fallback.get(slot) or []):
                p, m = _target(entry, f"fallback.{slot}[{index}]", names, live,
                               f"/fallback/{slot}/{index}", out)
                chain += (f"{p}/{m}",)
        elif slot in fallback:
            out.notes.append(f"fallback.{slot}: the router has no fallback for this slot; not "
                             "imported")
        if slot not in profile.fallback_scenarios:
            # the image slot never falls back: it joins any role with its primary
            match = next((k for k in groups if k[0] == primary), None)
            if match is not None:
                groups[match].append(slot)
                continue
        groups.setdefault((primary, chain), []).append(slot)
    for slot in fallback:
        if router.get(slot) in (None, ""):
            out.notes.append(f"fallback.{slot}: no Router.{slot} to fall back from; not "
                             "imported")
    for (primary, chain), slots in groups.items():
        role = slots[0]
        out.roles[role] = {"primary": primary, "fallback_chain": list(chain),
                           "inject": f"docs/brain/roles/{role}.md", "ccr_slots": slots,
                           "cost_policy": "paid-allowed"}
        out.guesses.append(Guess(ROLES_FILE, f"/roles/{role}", role,
                                 f"named after its slot ({', '.join(slots)}); rename it "
                                 "(and its inject file) to what the role does"))
        _waive_role(role, primary, list(chain), out)
        lonely = [slot for slot in slots
                  if len(_providers_of([primary, *_slot_chain(slot, profile, fallback)])) < 2]
        if lonely:
            out.waivers.append(Waived("ROLE-110", ROLES_FILE, f"/roles/{role}/ccr_slots",
                                      f"imported from a router config in which an outage of "
                                      f"one provider leaves {', '.join(lonely)} unanswered; add a "
                                      "fallback on another provider, then drop this waiver"))
    out.guesses.append(Guess(CLIS_FILE, "/cli_interfaces/claude_code", "claude_code",
                             "the router serves Claude Code; add the other CLIs you run "
                             "through it"))
    _waive_spine(out)


def _providers_of(refs: list[str]) -> set[str]:
    return {ref.split("/", 1)[0] for ref in refs}


def _slot_chain(slot: str, profile: CcrProfile, fallback: dict[str, Any]) -> list[str]:
    """The providers the router falls back to for a slot (image requests fall back as default)."""
    if not profile.supports_fallback:
        return []
    scenario = slot if slot in profile.fallback_scenarios else "default"
    entries = fallback.get(scenario) or []
    return [str(e).split(",", 1)[0].lower() + "/" for e in entries if isinstance(e, str)]


def _waive_role(role: str, primary: str, chain: list[str], out: Imported) -> None:
    entries = [primary, *chain]
    if len(_providers_of(entries)) < 2:
        why = "no fallback" if not chain else "a fallback on the same provider only"
        out.waivers.append(Waived("ROLE-001", ROLES_FILE, f"/roles/{role}",
                                  f"imported from a router config with {why} for this role; "
                                  "add a fallback on another provider, then drop this waiver"))
    if len(set(entries)) < len(entries):
        out.waivers.append(Waived("REG-006", ROLES_FILE, f"/roles/{role}",
                                  "imported from a router config whose fallback list repeats "
                                  "an entry; remove the repeat, then drop this waiver"))


def _waive_spine(out: Imported) -> None:
    bound = {slot for role in out.roles.values() for slot in role["ccr_slots"]}
    for slot in CLAUDE_CODE_SLOTS:
        if slot not in bound:
            out.waivers.append(Waived("ROLE-003", ROLES_FILE, f"/slots/{slot}",
                                      f"the imported router config leaves Router.{slot} unset "
                                      "(its requests fall through to default); bind it to a "
                                      "role, then drop this waiver"))
    if len(out.roles) < 3:
        out.waivers.append(Waived("REG-005", ROLES_FILE, "",
                                  f"the imported router config routes {len(out.roles)} distinct "
                                  "model chain(s); define at least three roles, then drop "
                                  "this waiver"))
