"""Where a spine's registries live, and loading them into a GovernanceModel."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.errors import InputError
from spine_gates.model.discovery import CONFIG_FILE, REGISTRY_PATHS, bundled_dir
from spine_gates.model.scope import inside_root

if TYPE_CHECKING:  # the loader (PyYAML) is imported when a file is read: the hook filter needs
    from spine_gates.model.loader import Document  # only the names, at once

__all__ = ["CONFIG_FILE", "REGISTRY_PATHS", "SpineConfig", "bundled_dir", "load_config",
           "load_documents"]


@dataclass(frozen=True)
class SpineConfig:
    """Per-spine settings from `<root>/spine-gates.yaml` (all optional)."""

    registries: dict[str, str] = field(default_factory=lambda: dict(REGISTRY_PATHS))
    settings: dict[str, Any] = field(default_factory=dict)
    document: Document | None = None  # the parsed file, so secret detection scans it too


def load_config(root: Path) -> SpineConfig:
    from spine_gates.model.loader import load_yaml  # PyYAML: off the hook filter's path

    path = root / CONFIG_FILE
    if not path.exists() and not path.is_symlink():  # a broken link is an error, not "none"
        return SpineConfig()
    document = load_yaml(inside_root(root, CONFIG_FILE), CONFIG_FILE)
    data = document.data or {}
    if not isinstance(data, dict):
        raise InputError("must be a mapping", CONFIG_FILE, 1)
    registries = dict(REGISTRY_PATHS)
    overrides = data.get("registries") or {}
    if not isinstance(overrides, dict):
        raise InputError("'registries' must map a kind to a path", CONFIG_FILE,
                         document.line_of("/registries"))
    for kind, rel in overrides.items():
        if kind not in REGISTRY_PATHS or not isinstance(rel, str):
            raise InputError(
                f"unknown registry kind {kind!r} (expected one of {', '.join(REGISTRY_PATHS)})",
                CONFIG_FILE,
                document.line_of(f"/registries/{kind}"),
            )
        spelled = posixpath.normpath(rel.strip()) if rel.strip() else ""
        if spelled in ("", ".") or spelled.startswith("/") or spelled.split("/")[0] == "..":
            raise InputError(f"registry path {rel!r} must be relative to the spine root and "
                             "inside it", CONFIG_FILE, document.line_of(f"/registries/{kind}"))
        registries[kind] = spelled  # one spelling: findings, SSOT paths and waivers compare it
    _check_rule_params(data.get("rule_params"), document)
    settings = {k: v for k, v in data.items() if k != "registries"}
    return SpineConfig(registries, settings, document)


def _check_rule_params(params: Any, document: Document) -> None:
    """`rule_params:` maps a rule id to its parameters (a mapping); every rule reads it so."""
    if params is None:
        return
    if not isinstance(params, dict):
        raise InputError("'rule_params' must map a rule id to a mapping of parameters",
                         CONFIG_FILE, document.line_of("/rule_params"))
    for rule_id, value in params.items():
        if value is not None and not isinstance(value, dict):
            raise InputError(f"rule_params.{rule_id} must be a mapping of parameters",
                             CONFIG_FILE, document.line_of(f"/rule_params/{rule_id}"))


_MAIN_KEYS = {"providers": "providers", "cli_interfaces": "cli_interfaces", "roles": "roles",
              "ssot": "ssots"}


def load_documents(root: Path, config: SpineConfig) -> dict[str, Document]:
    """Load every registry; a missing, unparsable or non-mapping file is an InputError (exit 3).

    A registry that parses as a mapping but breaks its schema is not an input error: the schema
    check reports it as findings.
    """
    from spine_gates.model.loader import load_yaml  # PyYAML: off the hook filter's path

    documents = {}
    for kind, rel in config.registries.items():
        document = load_yaml(inside_root(root, rel), rel)
        if not isinstance(document.data, dict):
            found = "an empty document" if document.data is None else \
                f"a {type(document.data).__name__}"
            raise InputError(
                f"expected a mapping with '{_MAIN_KEYS[kind]}:' at the top level, found {found}",
                rel,
                1,
            )
        documents[kind] = document
    return documents
