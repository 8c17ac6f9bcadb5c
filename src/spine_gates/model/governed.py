"""The spine's governed text places: every file a user writes that the gates answer for.

Secret detection scans them all (`policies/secrets.yaml` selects `text_places[]`, which is
`string_leaves` and `governed_files`): the registries and `spine-gates.yaml` (for comments and
mapping keys; their values are `string_leaves`), the inject files the roles (`inject`) and CLIs
(`agent_inject`) name, the SSOT paths, everything else under `docs/brain/`, `waivers.yaml`,
`scenarios/*.yaml` and the spine's `policies/*.yaml`. Listing them only names paths; nothing
is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from spine_gates.spine_files import BRAIN_DIR

if TYPE_CHECKING:
    from spine_gates.model.loader import Document

# Text a person writes next to the inject files; images and other binaries are not scanned.
TEXT_SUFFIXES = {".md", ".markdown", ".mdc", ".txt", ".rst", ".yaml", ".yml", ".json", ".json5",
                 ".toml"}
YAML_SUFFIXES = {".yaml", ".yml"}


def _item(name: str, structured: bool, document: Document | None = None) -> dict[str, Any]:
    fmt = "yaml" if PurePosixPath(name).suffix.lower() in YAML_SUFFIXES else "text"
    return {"_file": name, "_pointer": "", "format": fmt,
            "structured": structured and fmt == "yaml", "_document": document}


def _named(value: Any) -> str | None:
    """A relative path inside the spine as the registry spells it; absolute or `..` paths are
    left to the rules that report them (REG: inject files exist, inside the spine)."""
    if not isinstance(value, str) or not value.strip():
        return None
    pure = PurePosixPath(value.strip())
    if pure.is_absolute() or ".." in pure.parts:
        return None
    return str(pure)


def _listed(root: Path, folder: str, suffixes: set[str], recursive: bool = False) -> list[str]:
    """Files under `root/folder` with one of `suffixes` (links to folders are not followed)."""
    base = root / folder
    if not base.is_dir():
        return []
    out = []
    for current, dirs, files in os.walk(base):
        if not recursive:
            dirs.clear()
        dirs.sort()
        prefix = os.path.relpath(current, root).replace(os.sep, "/")
        out += [f"{prefix}/{name}" for name in sorted(files)
                if os.path.splitext(name)[1].lower() in suffixes]
    return out


def governed_files(root: Path, documents: Mapping[str, Document], settings: Document | None,
                   roles: Mapping[str, Any], cli_interfaces: Mapping[str, Any]
                   ) -> list[dict[str, Any]]:
    """One item per governed file: `_file` (spine-relative), `format` (yaml or text) and
    `structured` (its values are not in `string_leaves`, so the scan reads them itself).

    Takes the model's parts (its registries, the settings file, roles and CLIs by id) rather
    than the model, which builds its view from this."""
    items = [_item(document.name, False, document) for document in documents.values()]
    if settings is not None:
        items.append(_item(settings.name, False, settings))
    seen = {item["_file"] for item in items}
    names: list[str] = []
    for role in roles.values():
        if isinstance(role, dict):
            names.append(_named(role.get("inject")) or "")
    for cli in cli_interfaces.values():
        if isinstance(cli, dict):
            names.append(_named(cli.get("agent_inject")) or "")
    ssot = documents.get("ssot")
    entries = ssot.data.get("ssots") if ssot is not None and isinstance(ssot.data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            names.append(_named(entry.get("path")) or "")
    names += _listed(root, BRAIN_DIR, TEXT_SUFFIXES, recursive=True)
    if (root / "waivers.yaml").is_file():
        names.append("waivers.yaml")
    names += _listed(root, "scenarios", {".yaml"}) + _listed(root, "policies", {".yaml"})
    for name in names:
        if name and name not in seen:
            seen.add(name)
            items.append(_item(name, True))
    return items
