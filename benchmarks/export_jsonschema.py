"""Translate the cerberus registry schemas into JSON Schema for the check-jsonschema comparison.

The translation is mechanical, from `spine_gates.model.schemas.SCHEMAS`, so the anchor tool checks
the same constraints gates' SCHEMA-001 checks (types, required, allowed, regex, empty, nullable,
bounds, no unknown fields). `spine.json` dispatches on each file's main key so one
check-jsonschema process can check all four registries, as one `gates` process does.

    python benchmarks/export_jsonschema.py          # rewrites benchmarks/schemas/*.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spine_gates.model.schemas import SCHEMAS

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean",
          "list": "array", "dict": "object"}
MAIN_KEYS = {"providers": "providers", "cli_interfaces": "cli_interfaces", "roles": "roles",
             "ssot": "ssots"}


def _pattern(regex: str) -> str:
    """cerberus matches at the start and appends `$`; JSON Schema searches, so anchor both ends."""
    if not regex.startswith("^"):
        regex = "^" + regex
    if not regex.endswith("$"):
        regex += "$"
    return regex


def _object(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {name: _field(rules) for name, rules in schema.items()},
        "additionalProperties": False,
    }
    required = [name for name, rules in schema.items() if rules.get("required")]
    if required:
        out["required"] = required
    return out


def _field(rules: dict[str, Any]) -> dict[str, Any]:
    kinds = rules.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    types = [_TYPES[name] for name in names]
    if rules.get("nullable"):
        types.append("null")
    out = _object(rules["schema"]) if "dict" in names and "schema" in rules else {}
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    if "allowed" in rules:
        out["enum"] = list(rules["allowed"]) + ([None] if rules.get("nullable") else [])
    if "regex" in rules:
        out["pattern"] = _pattern(rules["regex"])
    if rules.get("empty") is False:
        out["minLength" if "string" in names else "minItems"] = 1
    if "min" in rules:
        out["minimum"] = rules["min"]
    if "max" in rules:
        out["maximum"] = rules["max"]
    if "list" in names and "schema" in rules:
        out["items"] = _field(rules["schema"])
    if "keysrules" in rules:
        out["propertyNames"] = _field(rules["keysrules"])
    if "valuesrules" in rules:
        out["additionalProperties"] = _field(rules["valuesrules"])
    return out


def registry_schema(kind: str) -> dict[str, Any]:
    return {"$schema": DRAFT, "title": f"spine-gates {kind} registry", **_object(SCHEMAS[kind])}


def spine_schema() -> dict[str, Any]:
    """All four registries in one schema: each file is checked by the schema of its main key."""
    defs = {kind: _object(SCHEMAS[kind]) for kind in SCHEMAS}
    return {
        "$schema": DRAFT,
        "title": "spine-gates registries (any of the four, by main key)",
        "$defs": defs,
        "type": "object",
        "allOf": [
            {"if": {"required": [key]}, "then": {"$ref": f"#/$defs/{kind}"}}
            for kind, key in MAIN_KEYS.items()
        ],
        "anyOf": [{"required": [key]} for key in MAIN_KEYS.values()],
    }


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for kind in SCHEMAS:
        path = SCHEMA_DIR / f"{kind}.json"
        path.write_text(json.dumps(registry_schema(kind), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    path = SCHEMA_DIR / "spine.json"
    path.write_text(json.dumps(spine_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
