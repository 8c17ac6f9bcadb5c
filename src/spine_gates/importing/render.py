"""The text of each file an import writes: registries with the spine's headers, a guess marked on
the line it sits on, and every file parsed again to prove it says what was meant."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from spine_gates.errors import GatesError
from spine_gates.importing.translate import (
    CLIS_FILE,
    MANIFEST_PATH,
    PROVIDERS_FILE,
    ROLES_FILE,
    ROUTER_DEFAULTS,
    SETTINGS_FILE,
    Imported,
)
from spine_gates.init.templates import Values

MANIFEST_FILE = "docs/governance/SECRETS_MANIFEST.yaml"
WAIVERS_FILE = "waivers.yaml"
CLAUDE_INJECT = "docs/brain/claude-code-inject.md"
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./@+:-]*$")
_SETTING_ORDER = ("profile", "host", "port", "apikey_ref", "log", "log_level",
                  "long_context_threshold", "api_timeout_ms", "extra")


class RenderError(GatesError):
    """The rendered YAML would not read back as the import meant: a bug, exit 4."""


def scalar(value: Any) -> str:
    """One YAML value that PyYAML (1.1) and YAML 1.2 readers read alike: plain only when it is
    a word-like string that reads back as itself, else JSON (which YAML reads as written)."""
    if isinstance(value, str):
        plain = _PLAIN.match(value) and not value.endswith(":") \
            and yaml.safe_load(value) == value
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _header(title: str, values: Values) -> list[str]:
    return [f"# {title}, imported from a claude-code-router config by `gates import ccr`.",
            "# A line marked `# guess:` holds what the router config could not tell: review it.",
            'version: "1.0"', f'updated_at: "{values.today}"', f'owner: "{values.owner}"',
            f"scope: {scalar(values.scope)}", ""]


def _entries(key: str, entries: dict[str, dict[str, Any]], guesses: dict[str, str]) -> list[str]:
    lines = [f"{key}:"]
    if not entries:
        return [f"{key}: {{}}"]
    for ident, body in entries.items():
        pointer = f"/{key}/{ident}"
        note = guesses.get(pointer)
        lines.append(f"  {scalar(ident)}:" + (f"   # guess: {note}" if note else ""))
        for name, value in body.items():
            note = guesses.get(f"{pointer}/{name}")
            lines.append(f"    {name}: {scalar(value)}" + (f"   # guess: {note}" if note else ""))
        lines.append("")
    return lines


def _guesses(imported: Imported, file: str) -> dict[str, str]:
    return {g.pointer: g.why.replace("\n", " ") for g in imported.guesses if g.file == file}


def _checked(name: str, text: str, expected: dict[str, Any]) -> str:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or any(data.get(k) != v for k, v in expected.items()):
        raise RenderError(f"{name}: the rendered file does not read back as imported")
    return text


def providers_file(imported: Imported, values: Values) -> str:
    lines = _header("Provider registry", values)
    lines += _entries("providers", imported.providers, _guesses(imported, PROVIDERS_FILE))
    return _checked(PROVIDERS_FILE, "\n".join(lines).rstrip() + "\n",
                    {"providers": imported.providers})


def roles_file(imported: Imported, values: Values) -> str:
    lines = _header("Role -> provider chains", values)
    lines += _entries("roles", imported.roles, _guesses(imported, ROLES_FILE))
    return _checked(ROLES_FILE, "\n".join(lines).rstrip() + "\n", {"roles": imported.roles})


def clis_file(imported: Imported, values: Values) -> str:
    clis = {"claude_code": {"api_format": "anthropic", "proxy_compatible": True,
                            "agent_inject": CLAUDE_INJECT, "roles": list(imported.roles)}}
    lines = _header("CLI interface registry", values)
    lines += _entries("cli_interfaces", clis, _guesses(imported, CLIS_FILE))
    return _checked(CLIS_FILE, "\n".join(lines).rstrip() + "\n", {"cli_interfaces": clis})


def manifest_file(imported: Imported, values: Values) -> str:
    names = list(dict.fromkeys(imported.key_names))
    lines = ["# Names (never values) of the keys the imported router config needs. Store each in",
             f"# Infisical under {MANIFEST_PATH} and point api_key_ref at",
             f"# infisical://{MANIFEST_PATH.strip('/')}/<NAME>, or export it where the router "
             "runs.",
             'version: "1.0"', f'updated_at: "{values.today}"', f'owner: "{values.owner}"',
             f"scope: {scalar(values.scope)}", "project: infrastructure", "environment: prod",
             "paths:", f"  {MANIFEST_PATH}: {scalar(names)}"]
    return _checked(MANIFEST_FILE, "\n".join(lines) + "\n", {"paths": {MANIFEST_PATH: names}})


def settings_file(imported: Imported) -> str:
    settings = imported.settings
    notes = {g.pointer.rsplit("/", 1)[-1]: g.why for g in imported.guesses
             if g.file == SETTINGS_FILE}
    lines = ["# spine-gates settings. `ccr:` holds the router settings of the imported config; a",
             "# null one was not set there, so the router's own default applies.", "ccr:"]
    for key in _SETTING_ORDER:
        if key not in settings:
            continue
        value = settings[key]
        comment = ""
        if key in notes:
            comment = f"   # guess: {notes[key]}"
        elif value is None:
            comment = f"   # router default: {ROUTER_DEFAULTS[key]}"
        shown = scalar(value) if key != "profile" else json.dumps(value)
        lines.append(f"  {key}: {shown}{comment}")
    lines += ["rule_params:", "  SSOT-004: {days: 21}   # the freshness window for SSOT entries"]
    return _checked(SETTINGS_FILE, "\n".join(lines) + "\n", {"ccr": settings})


def waiver_entries(imported: Imported, values: Values, expires: str) -> list[dict[str, str]]:
    return [{"rule": w.rule, "file": w.file, **({"pointer": w.pointer} if w.pointer else {}),
             "reason": w.reason, "owner": values.owner, "expires": expires}
            for w in imported.waivers]


def waivers_file(entries: list[dict[str, str]]) -> str:
    lines = ["# Waivers the import wrote: what the spine's rules flag in the imported routing.",
             "# Waived findings are counted in every run; each expires, so fix what it names."]
    if not entries:
        return "\n".join([*lines, "waivers: []"]) + "\n"
    lines.append("waivers:")
    for entry in entries:
        first = True
        for key, value in entry.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {scalar(value)}")
            first = False
    return _checked(WAIVERS_FILE, "\n".join(lines) + "\n", {"waivers": entries})


def role_inject(role: str, slots: list[str], values: Values) -> str:
    return (f'---\nstatus: active\nowner: "{values.owner}"\nlast_verified: "{values.today}"\n'
            f"scope: {values.scope}\n---\n\n# Role: {role}\n\n"
            f"The provider-neutral definition of the `{role}` role, imported from the router's "
            f"slot(s) {', '.join(slots)}. The model serving it comes from\n"
            "`docs/governance/ROLE_PROVIDER_MAPS.yaml` (primary, then the fallback chain). "
            "Say here what the role is for.\n")
