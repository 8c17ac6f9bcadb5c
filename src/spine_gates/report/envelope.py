"""The two fields every JSON output carries: which tool wrote it and which schema it follows.

Every `--format json` output leaves through `dumps`, so a new one cannot forget them. Within a
schema version fields are only ever added, never renamed or removed; a consumer checks
`schema_version` and ignores fields it does not know. The router config `gates compile` writes is
the router's own format and never passes through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from spine_gates import __version__

TOOL_NAME = "spine-gates"
SCHEMA_VERSION = 1


def stamp(data: Mapping[str, Any], schema_version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """`data` with `schema_version` and `tool` first. An output that already named its schema
    `version` keeps that field (consumers read it), and it must agree."""
    if "schema_version" in data or "tool" in data:
        raise ValueError("a report must not set schema_version or tool itself")
    if data.get("version", schema_version) != schema_version:
        raise ValueError(f"the report's version {data['version']!r} is not schema version "
                         f"{schema_version}")
    return {"schema_version": schema_version,
            "tool": {"name": TOOL_NAME, "version": __version__}, **data}


def dumps(data: Mapping[str, Any], schema_version: int = SCHEMA_VERSION) -> str:
    """The stamped report as indented JSON and a newline. ensure_ascii: values round-trip
    exactly, yet controls, bidi and zero-width characters are \\u escapes, safe on a terminal."""
    return json.dumps(stamp(data, schema_version), indent=2, ensure_ascii=True) + "\n"
