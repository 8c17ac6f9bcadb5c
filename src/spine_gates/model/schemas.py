"""Cerberus schemas for the four registries; violations become SCHEMA-001 findings."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import Document, join_pointer

# The router's slots, in the order its config writes them: the one list (roles bind to them,
# compile orders `Router` by it, resilience walks it).
CCR_SLOTS = ("default", "background", "think", "longContext", "webSearch", "image")
# Router.longContextThreshold is a setting beside the slots: 1.0 and 2.0 read
# `longContextThreshold || 60000`, so absent, 0 and 60000 are one router.
CCR_LONG_CONTEXT_DEFAULT = 60000
API_FORMATS = ["anthropic", "openai"]

# Bounds for every number a registry holds: far above any real value, low enough that no command
# meets a number it cannot print, convert to float or count with.
MAX_RATE_LIMIT_RPM = 1_000_000
MAX_VERSION = 1_000_000
# Entries explained per registry; past it one finding counts the rest (cerberus's error tree grows
# quadratically with the errors of one document, and nobody reads 10,000 findings).
MAX_SCHEMA_ENTRIES = 100

_ID = {"type": "string", "regex": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"}
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ].*)?$"  # a date field: YAML 1.1 may read it as a date
_VERSION = {"type": ["string", "number"], "required": True, "min": 0, "max": MAX_VERSION}
_DATE = {"type": "string", "regex": DATE_PATTERN}

_HEADER = {
    "version": _VERSION,
    "updated_at": {**_DATE, "required": True},
    "owner": {"type": "string", "required": True, "empty": False},
    "scope": {"type": "string", "required": True, "empty": False},
    "description": {"type": "string"},
    "notes": {"type": "string"},
}

PROVIDER_ENTRY = {
    "type": {"type": "string", "required": True, "allowed": ["hosted", "hosted-free", "local"]},
    "api_format": {"type": "string", "required": True, "allowed": API_FORMATS},
    "api_base": {"type": "string", "required": True, "regex": r"^https?://[^\s]+$"},
    "quota_type": {
        "type": "string",
        "required": True,
        "allowed": [
            "daily_message",
            "requests_per_minute",
            "tokens_per_minute",
            "credits",
            "plan",
            "monthly_budget",
            "none",
        ],
    },
    "rate_limit_rpm": {"type": "integer", "min": 1, "max": MAX_RATE_LIMIT_RPM},
    "models": {"type": "list", "required": True, "schema": {"type": "string", "empty": False}},
    "open_catalogue": {"type": "boolean"},
    "cost_tier": {"type": "string", "required": True, "allowed": ["free", "paid", "mixed"]},
    "api_key_ref": {"type": "string", "nullable": True, "empty": False},
    "rate_limit_signal": {"type": "string"},
    # claude-code-router specifics, compiled as written (`gates import ccr` fills them): the
    # provider's `transformer` block, and the full URL the router posts to when it is not
    # api_base plus the format's path (Gemini's native API through the `gemini` transformer).
    "transformer": {"type": "dict"},
    "api_endpoint": {"type": "string", "regex": r"^https?://[^\s]+$"},
    "notes": {"type": "string"},
}

CLI_ENTRY = {
    "api_format": {"type": "string", "required": True, "allowed": API_FORMATS},
    "proxy_compatible": {"type": "boolean", "required": True},
    "agent_inject": {"type": "string", "required": True, "empty": False},
    "roles": {"type": "list", "schema": {"type": "string"}},
    "notes": {"type": "string"},
}

ROLE_ENTRY = {
    "primary": {"type": "string", "required": True, "empty": False},
    "fallback_chain": {
        "type": "list",
        "required": True,
        "schema": {"type": "string", "empty": False},
    },
    "inject": {"type": "string", "required": True, "empty": False},
    "ccr_slots": {"type": "list", "schema": {"type": "string", "allowed": list(CCR_SLOTS)}},
    "cost_policy": {"type": "string", "allowed": ["free-only", "paid-allowed"]},
    "notes": {"type": "string"},
}

SSOT_ENTRY = {
    "id": {"type": "string", "required": True, "regex": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
    "name": {"type": "string", "required": True, "empty": False},
    "path": {"type": "string", "required": True, "empty": False},
    "scope": {"type": "string", "required": True, "empty": False},
    "priority": {"type": "integer", "required": True, "min": 1, "max": 5},
    "applies_to": {"type": "list", "required": True, "schema": {"type": "string"}},
    "owner": {"type": "string", "required": True, "empty": False},
    "last_reviewed": {**_DATE, "required": True},
    "notes": {"type": "string", "required": True},
    "archived": {"type": "boolean", "required": True},
    "authority_plane": {"type": "string"},
    "authority_repo": {"type": "string"},
    "authority_path": {"type": "string"},
}


def _registry(key: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        **_HEADER,
        key: {
            "type": "dict",
            "required": True,
            "keysrules": _ID,
            "valuesrules": {"type": "dict", "schema": entry},
        },
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "providers": _registry("providers", PROVIDER_ENTRY),
    "cli_interfaces": _registry("cli_interfaces", CLI_ENTRY),
    "roles": _registry("roles", ROLE_ENTRY),
    # The spine's own SSOT_REGISTRY.yaml starts `version`, `updated`, `github_issue` ("#541");
    # files written in the binding style (`updated_at`, `owner`, `scope`) are accepted too.
    "ssot": {
        "version": _VERSION,
        "updated": _DATE,
        "github_issue": {"type": ["string", "integer"]},
        "updated_at": _DATE,
        "owner": {"type": "string"},
        "scope": {"type": "string"},
        "description": {"type": "string"},
        "ssots": {
            "type": "list",
            "required": True,
            "schema": {"type": "dict", "schema": SSOT_ENTRY},
        },
    },
}

SCHEMA_RULE = "SCHEMA-001"
GENERIC_FIX = "Correct the field to match the registry schema (docs/guides/registries.md)."
SCHEMA_TITLE = "Registry matches its schema"  # as in policies/builtin/rules.yaml


Conforms = Callable[[Any], bool]

# The cerberus rules the compiled fast path understands; a schema using any other rule is always
# validated by cerberus alone.
_FAST_RULES = {"type", "required", "allowed", "regex", "empty", "nullable", "min", "max",
               "schema", "keysrules", "valuesrules"}
# Exact built-in types (the loader yields nothing else). Stricter than cerberus, which also takes
# subclasses and counts bool as an integer: a value the fast path refuses goes to cerberus.
_FAST_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "list": (list,), "dict": (dict,),
}


def _compile_mapping(schema: dict[str, Any]) -> Conforms | None:
    fields = {}
    for name, rules in schema.items():
        check = _compile_field(rules)
        if check is None:
            return None
        fields[name] = check
    required = [name for name, rules in schema.items() if rules.get("required")]

    def conforms(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            check = fields.get(name)  # unknown fields are errors (allow_unknown=False)
            if check is None or not check(item):
                return False
        return True

    return conforms


def _compile_field(rules: Any) -> Conforms | None:
    """One field's rules as a predicate that is True only where cerberus reports no error."""
    if not isinstance(rules, dict) or set(rules) - _FAST_RULES:
        return None
    names = rules.get("type")
    names = [names] if isinstance(names, str) else list(names or [])
    if not names or any(n not in _FAST_TYPES for n in names):
        return None
    types = tuple(t for n in names for t in _FAST_TYPES[n])
    nullable = rules.get("nullable") is True
    not_empty = rules.get("empty") is False
    allowed = rules.get("allowed")
    allowed_set = frozenset(allowed) if isinstance(allowed, list) else None
    if allowed is not None and allowed_set is None:
        return None
    pattern = rules.get("regex")
    # cerberus appends `$` and uses re.match; the same expression gives the same verdict
    regex = re.compile(pattern if pattern.endswith("$") else pattern + "$") if pattern else None
    low, high = rules.get("min"), rules.get("max")
    item: Conforms | None = None
    mapping: Conforms | None = None
    keys: Conforms | None = None
    values: Conforms | None = None
    if "schema" in rules:
        if names == ["list"]:
            item = _compile_field(rules["schema"])
        elif names == ["dict"]:
            mapping = _compile_mapping(rules["schema"])
        if item is None and mapping is None:
            return None
    if "keysrules" in rules or "valuesrules" in rules:
        if names != ["dict"]:
            return None
        keys = _compile_field(rules.get("keysrules", {"type": "string"}))
        values = _compile_field(rules.get("valuesrules", {"type": list(_FAST_TYPES)}))
        if keys is None or values is None:
            return None

    def conforms(value: Any) -> bool:
        if value is None:
            return nullable
        kind = type(value)
        if kind not in types:
            return False
        if not_empty and kind in (str, list, dict) and not value:
            return False
        if allowed_set is not None and (kind is not str or value not in allowed_set):
            return False
        if regex is not None and (kind is not str or regex.match(value) is None):
            return False
        # cerberus compares only what compares with a number (a string version has no bound)
        if low is not None and kind in (int, float) and value < low:
            return False
        if high is not None and kind in (int, float) and value > high:
            return False
        if item is not None and not all(item(v) for v in value):
            return False
        if mapping is not None and not mapping(value):
            return False
        if keys is not None and not all(keys(k) for k in value):
            return False
        return values is None or all(values(v) for v in value.values())

    return conforms


_COMPILED: dict[str, Conforms | None] = {}


def conforms(kind: str, data: Any) -> bool:
    """True only if `data` certainly passes SCHEMAS[kind] (compiled once per process).

    A fast, conservative pre-check over the same schema: it may refuse a document cerberus
    accepts (then cerberus decides), never the other way round, so findings are unchanged while
    a clean spine is checked without importing or running cerberus.
    """
    if kind not in _COMPILED:
        _COMPILED[kind] = _compile_mapping(SCHEMAS[kind])
    check = _COMPILED[kind]
    return check is not None and check(data)


def validate_document(kind: str, document: Document) -> list[Finding]:
    """Check one registry against its schema; each violation is a finding with a pointer."""
    if not isinstance(document.data, dict):
        return [
            Finding(
                rule=SCHEMA_RULE,
                severity=Severity.ERROR,
                title=SCHEMA_TITLE,
                message="the document must be a mapping at the top level",
                file=document.name,
                line=1,
                pointer="",
                fix="Start the file with the registry's header fields and its main key.",
            )
        ]
    if conforms(kind, document.data):
        return []
    findings = [
        Finding(
            rule=SCHEMA_RULE,
            severity=Severity.ERROR,
            title=SCHEMA_TITLE,
            message=f"{pointer or '/'}: {message}",
            file=document.name,
            line=document.line_of(pointer),
            pointer=pointer,
            fix=fix,
        )
        for pointer, message, fix in _violations(kind, document)
    ]
    return sorted(findings, key=lambda f: (f.line or 0, f.pointer))


_ENTRIES = {"providers": "providers", "cli_interfaces": "cli_interfaces", "roles": "roles",
            "ssot": "ssots"}


def _violations(kind: str, document: Document) -> list[tuple[str, str, str]]:
    """(pointer, message) for each schema violation: cerberus on the header, then entry by entry.

    Entries the compiled predicate passes are skipped; past MAX_SCHEMA_ENTRIES failing entries the
    rest are counted in one message, at the first one left unexplained.
    """
    schema = SCHEMAS[kind]
    data = document.data
    main = _ENTRIES[kind]
    rules = schema[main]
    entries = data.get(main)
    out: list[tuple[str, str, str]] = []
    items: list[tuple[Any, Any]] = []
    if isinstance(entries, dict) and "valuesrules" in rules:
        items = list(entries.items())
        data = {**data, main: {}}
    elif isinstance(entries, list) and "schema" in rules:
        items = list(enumerate(entries))
        data = {**data, main: []}

    # only a document that breaks its schema gets here: the clean pre-commit path never loads
    # the hint machinery (nor cerberus)
    from spine_gates.model.schema_help import explain_violations

    def explain(validator: Any, value: Any, prefix: tuple[Any, ...]) -> None:
        validator.validate(value)
        for path, message, fix in explain_violations(
                _flatten(validator._errors, validator), validator.schema):
            full = (*prefix, *path[1:]) if prefix else path
            out.append(("".join(join_pointer("", part) for part in full), message, fix))

    explain(_validator(schema), data, ())
    key_rules = rules.get("keysrules")
    value_rules = rules.get("valuesrules") or rules.get("schema")
    key_ok = _compile_field(key_rules) if key_rules else None
    value_ok = _compile_field(value_rules)
    keys = _validator({"k": key_rules}) if key_rules else None
    values = _validator({"v": value_rules})
    explained = 0
    unexplained: list[Any] = []
    for key, value in items:
        bad_key = keys is not None and not (key_ok is not None and key_ok(key))
        if not bad_key and value_ok is not None and value_ok(value):
            continue
        if explained >= MAX_SCHEMA_ENTRIES:
            unexplained.append(key)
            continue
        explained += 1
        if bad_key and keys is not None:
            explain(keys, {"k": key}, (main, key))
        explain(values, {"v": value}, (main, key))
    if unexplained:
        pointer = join_pointer(join_pointer("", main), unexplained[0])
        out.append((pointer, f"{len(unexplained)} more entries of {main!r} break the schema "
                             f"(the first {MAX_SCHEMA_ENTRIES} are listed)", GENERIC_FIX))
    return out


def _validator(schema: dict[str, Any]) -> Any:
    return _flat_validator_class()(schema, allow_unknown=False)


@functools.cache
def _flat_validator_class() -> Any:
    """A cerberus validator that files errors only in its flat list, unsorted.

    Stock cerberus re-sorts that list and files each error into two error trees, re-sorting a
    tree node, on every error: quadratic in the errors of one document (1,000 broken providers
    took 5 s). The trees serve rules these schemas do not use (coerce, dependencies, readonly);
    `_flatten` sorts the list once.
    """
    import cerberus  # lazy: ~20-45 ms of import, needed only to explain a schema violation
    from cerberus import errors

    class Unsorted(errors.ErrorList):  # type: ignore[misc]
        def sort(self, *args: Any, **kwargs: Any) -> None:
            """Sorted once, in _flatten."""

    class NoTree:
        def add(self, error: Any) -> None:
            """Nothing reads the trees under these schemas."""

    no_tree = NoTree()

    class FlatValidator(cerberus.Validator):  # type: ignore[misc]
        @property
        def _errors(self) -> Any:
            return self.__dict__["_flat_errors"]

        @_errors.setter
        def _errors(self, value: Any) -> None:
            self.__dict__["_flat_errors"] = Unsorted(value)

        document_error_tree = property(lambda self: no_tree, lambda self, value: None)
        schema_error_tree = property(lambda self: no_tree, lambda self, value: None)

    return FlatValidator


def path_key(error: Any) -> Any:
    return error.document_path[-1] if error.document_path else None


def _flatten(errors: Any, validator: Any) -> list[tuple[tuple[Any, ...], str]]:
    from cerberus.errors import BasicErrorHandler

    handler = BasicErrorHandler()
    out: list[tuple[tuple[Any, ...], str]] = []
    for error in sorted(errors):
        if error.is_group_error:
            out.extend(_flatten(error.child_errors, validator))
            continue
        template = handler.messages.get(error.code, "invalid value")
        try:
            text = template.format(*error.info, constraint=error.constraint, field=error.field,
                                   value=error.value)
        except (IndexError, KeyError):
            text = template
        if error.code == 0x03:  # unknown field: name it
            text = f"unknown field {error.field!r}"
        elif error.code == 0x02:
            text = f"required field {error.field!r} is missing"
        elif error.code in (0x44, 0x45):  # unallowed value(s): never echo the value itself
            allowed = ", ".join(map(str, error.constraint))
            text = f"value is not one of: {allowed}"
        elif error.code == 0x41 and error.field == path_key(error):
            text = f"id does not match {error.constraint!r}"
        elif error.code == 0x24:
            text = f"must be of {error.constraint} type, not {type(error.value).__name__}"
        out.append((tuple(error.document_path), text))
    return out
