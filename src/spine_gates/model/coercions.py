"""YAML-001: unquoted values that only YAML 1.1 reads as booleans, numbers or timestamps.

PyYAML reads YAML 1.1: `on`/`yes` are booleans, `1_000` is 1000, `017` is 15, `1:30` is 90 and
`2026-01-01 10:00:00` a timestamp; YAML 1.2 readers (and most people) read strings or other
numbers. Such a value in a field that wants a string deploys `"True"` or `"1000"` as a model id;
a number in a YAML 1.1-only form means different numbers to different readers. The loader records
every unquoted typed scalar (`Document.typed_scalars`); this module judges them against the
registry schema, so a boolean field may say `yes` and a date field may hold a plain date.
"""

from __future__ import annotations

import re
from typing import Any

from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import Document, TypedScalar, unescape_pointer_token
from spine_gates.model.schemas import DATE_PATTERN, SCHEMAS

COERCION_RULE = "YAML-001"
COERCION_TITLE = "Values read the same in YAML 1.1 and YAML 1.2"  # as in policies/builtin/

# The forms the YAML 1.2 core schema shares with YAML 1.1; any other typed form is read by
# YAML 1.1 alone (1.2 has no timestamps, and reads `017` as 17, `1_000` and `on` as strings).
_SHARED_FORMS = {
    "bool": re.compile(r"true|True|TRUE|false|False|FALSE"),
    "int": re.compile(r"[-+]?(0|[1-9][0-9]*)|0x[0-9a-fA-F]+"),
    "float": re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                        r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"),
    "timestamp": re.compile(r"(?!)"),
}
# The YAML 1.1 reading a field may want: a boolean field takes `yes`, a date field a plain date.
_WANTED_READING = {"bool": "boolean", "timestamp": "date"}

_READ_AS = {"bool": {"boolean"}, "int": {"integer", "number"}, "float": {"float", "number"}}

_FIX = {
    "bool": "Quote it ('{text}') if it is a name or text; write true or false for a boolean.",
    "int": "Write the number plainly (digits only: no '_', ':', '0b' or leading 0), or quote it "
           "('{text}') if it is a name.",
    "timestamp": "Quote it ('{text}') so every YAML reader reads the same text.",
}
_FIX["float"] = _FIX["int"]


def coercion_findings(kind: str, document: Document) -> list[Finding]:
    """YAML-001 findings for one registry: typed values only YAML 1.1 reads that way, where
    the schema does not want that reading."""
    findings = []
    for scalar in document.typed_scalars:
        shared = _SHARED_FORMS[scalar.kind]
        if shared.fullmatch(scalar.text):
            continue
        wanted = _wanted(SCHEMAS.get(kind), scalar.pointer)
        if _WANTED_READING.get(scalar.kind) in wanted:
            continue
        findings.append(Finding(
            rule=COERCION_RULE,
            severity=Severity.ERROR,
            title=COERCION_TITLE,
            message=_message(scalar, _value_at(document.data, scalar.pointer), wanted),
            file=document.name,
            line=scalar.line,
            pointer=scalar.pointer,
            fix=_FIX[scalar.kind].format(text=scalar.text),
        ))
    return findings


def _message(scalar: TypedScalar, value: Any, wanted: set[str]) -> str:
    where, text = scalar.pointer, scalar.text
    if scalar.kind == "timestamp":  # the loader turns it back into (ISO) text
        return f"{where}: unquoted {text} is a timestamp to YAML 1.1 only; read as {value!r}"
    reading = (f"the boolean {str(value).lower()}" if scalar.kind == "bool"
               else f"the number {value}")
    other = (f"the number {int(text)}" if re.fullmatch(r"[-+]?[0-9]+", text)
             else f"the string {text!r}")
    message = f"{where}: unquoted {text} is {reading} to YAML 1.1 but {other} to YAML 1.2"
    types = sorted(wanted - {"date"})
    if types and not wanted & _READ_AS[scalar.kind]:
        article = "an" if types[0][0] in "aeiou" else "a"
        message += f"; the field wants {article} {' or '.join(types)}"
    return message


def _wanted(schema: dict[str, Any] | None, pointer: str) -> set[str]:
    """The value types the schema wants at `pointer` (plus `date` for a date field); empty where
    the schema says nothing (an unknown field, which SCHEMA-001 reports)."""
    rules: dict[str, Any] | None = {"type": "dict", "schema": schema} if schema else None
    for token in pointer.split("/")[1:]:
        if rules is None:
            return set()
        if "valuesrules" in rules:  # a registry's id-keyed mapping
            rules = rules["valuesrules"]
        elif rules.get("type") == "list":
            rules = rules.get("schema")
        else:
            child = rules.get("schema") or {}
            rules = child.get(unescape_pointer_token(token))
    if rules is None:
        return set()
    types = rules.get("type", [])
    wanted = {types} if isinstance(types, str) else set(types)
    if rules.get("regex") == DATE_PATTERN:
        wanted.add("date")
    return wanted


def _value_at(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        key = unescape_pointer_token(token)
        try:
            data = data[int(key)] if isinstance(data, list) else data[key]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return data
