"""Schema violations that teach: what a field expects, and the field a typo meant.

Turns cerberus's flat (path, message) list into (path, message, fix): an unknown field names the
field it most likely meant, a typo of a required field is one violation instead of an unknown
field plus a missing one, and each fix states the field's expected type and format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spine_gates.suggest import closest

GUIDE = "docs/guides/registries.md"

# The formats the registry schemas' regexes stand for (a test checks every regex has one).
FORMATS = {
    r"^\d{4}-\d{2}-\d{2}([T ].*)?$": "a date written YYYY-MM-DD, quoted so YAML keeps it a string",
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": "an id of letters, digits, '_', '.' and '-', starting with "
                                     "a letter or digit",
    r"^https?://[^\s]+$": "an http:// or https:// URL without spaces",
    r"^[a-z0-9]+(-[a-z0-9]+)*$": "lower-case letters and digits in words joined by '-'",
}
_TYPES = {"string": "a string", "number": "a number", "integer": "a whole number",
          "boolean": "true or false", "list": "a list", "dict": "a mapping"}


def rules_at(schema: Any, path: tuple[Any, ...]) -> Mapping[str, Any] | None:
    """The rules of the field at `path` (document path tokens), or None if the schema has none."""
    mapping: Any = schema  # the fixed mapping the next token names a field of, if any
    rules: Any = None
    for token in path:
        if mapping is not None:
            rules = mapping.get(token) if isinstance(mapping, Mapping) else None
        elif isinstance(token, int) and rules.get("type") == "list" and "schema" in rules:
            rules = rules["schema"]
        elif "valuesrules" in rules:
            rules = rules["valuesrules"]
        else:
            return None
        if not isinstance(rules, Mapping):
            return None
        mapping = rules["schema"] if rules.get("type") == "dict" and "schema" in rules \
            else None
    return rules if isinstance(rules, Mapping) else None


def fields_at(schema: Any, path: tuple[Any, ...]) -> list[str]:
    """The field names the mapping at `path` may hold ([] when it is not a fixed mapping)."""
    if not path:
        mapping = schema
    else:
        rules = rules_at(schema, path)
        mapping = rules.get("schema") if rules is not None and rules.get("type") == "dict" \
            else None
    return sorted(str(k) for k in mapping) if isinstance(mapping, Mapping) else []


def describe(rules: Mapping[str, Any]) -> str:
    """What a field holds, in words: type, format, allowed values, bounds."""
    kinds = rules.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    words = " or ".join(_TYPES.get(n, n) for n in names) or "a value"
    if rules.get("allowed"):
        words = "one of: " + ", ".join(map(str, rules["allowed"]))
    elif rules.get("regex"):
        pattern = rules["regex"]
        words = FORMATS.get(pattern, f"a string matching {pattern}")
    if rules.get("empty") is False:
        words = f"{words}, not empty"
    low, high = rules.get("min"), rules.get("max")
    if low is not None and high is not None:
        words = f"{words} from {low} to {high}"
    item = rules.get("schema")
    if names == ["list"] and isinstance(item, Mapping) and "type" in item:
        words = f"a list; each item {describe(item)}"
    if rules.get("nullable"):
        words = f"{words}, or null"
    return words


def _name(path: tuple[Any, ...]) -> str:
    named = [t for t in path if not isinstance(t, int)]
    return str(named[-1]) if named else "the value"


def _fix(path: tuple[Any, ...], text: str, schema: Any, match: str | None) -> str:
    field = _name(path)
    if text.startswith("unknown field "):
        if match is not None:
            return f"Rename '{field}' to '{match}' ({GUIDE})."
        known = ", ".join(fields_at(schema, path[:-1]))
        return f"Remove '{field}'; this mapping's fields are: {known} ({GUIDE})." if known \
            else f"Remove '{field}' ({GUIDE})."
    rules = rules_at(schema, path)
    if rules is None:
        return f"Correct the field to match the registry schema ({GUIDE})."
    expected = describe(rules)
    if text.startswith("required field "):
        return f"Add '{field}': {expected} ({GUIDE})."
    what = f"Each item of '{field}'" if path and isinstance(path[-1], int) else f"'{field}'"
    return f"{what} must be {expected} ({GUIDE})."


def explain_violations(violations: list[tuple[tuple[Any, ...], str]],
                       schema: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    """(path, message, fix) per violation; a typo'd required field is one violation."""
    missing = {(path[:-1], text.split("'")[1]): index for index, (path, text) in
               enumerate(violations) if text.startswith("required field '")}
    merged: set[int] = set()
    out: list[tuple[tuple[Any, ...], str, str]] = []
    for path, text in violations:
        match = None
        if text.startswith("unknown field ") and path:
            match = closest(path[-1], fields_at(schema, path[:-1]))
            if match is not None:
                index = missing.get((path[:-1], match))
                required = index is not None and index not in merged
                if index is not None and required:
                    merged.add(index)
                text += f"; did you mean {match!r}{' (required)' if required else ''}?"
        out.append((path, text, _fix(path, text, schema, match)))
    return [v for i, v in enumerate(out) if i not in merged]
