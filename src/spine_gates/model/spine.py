"""Where a spine's registries live, and loading them into a GovernanceModel."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.errors import InputError
from spine_gates.spine_files import CONFIG_FILE as CONFIG_FILE  # re-exported

if TYPE_CHECKING:  # the loader (PyYAML) is imported when a file is read: the hook filter needs
    from spine_gates.model.loader import Document  # only the names, at once

REGISTRY_PATHS: dict[str, str] = {
    "providers": "docs/governance/PROVIDER_REGISTRY.yaml",
    "cli_interfaces": "docs/governance/CLI_INTERFACE_REGISTRY.yaml",
    "roles": "docs/governance/ROLE_PROVIDER_MAPS.yaml",
    "ssot": "docs/governance/SSOT_REGISTRY.yaml",
}


@dataclass(frozen=True)
class SpineConfig:
    """Per-spine settings from `<root>/spine-gates.yaml` (all optional)."""

    registries: dict[str, str] = field(default_factory=lambda: dict(REGISTRY_PATHS))
    settings: dict[str, Any] = field(default_factory=dict)
    document: Document | None = None  # the parsed file, so secret detection scans it too


def bundled_dir(name: str) -> Path:
    """A folder shipped with the tool: in the wheel under `_bundled/`, else the source tree."""
    package = Path(__file__).resolve().parent.parent
    wheel = package / "_bundled" / name
    if wheel.is_dir():
        return wheel
    return package.parent.parent / ("." if name == "spine" else name)


def find_root(root: str | None) -> tuple[Path, bool]:
    """The spine root: `--root`, else the current directory, else the bundled reference spine.

    Returns (root, is_bundled_default).
    """
    if root is not None:
        path = Path(root)
        if not path.is_dir():
            raise InputError("--root is not a directory", root)
        return path.resolve(), False
    cwd = Path.cwd()
    if (cwd / REGISTRY_PATHS["providers"]).exists() or (cwd / CONFIG_FILE).exists():
        return cwd, False
    return bundled_dir("spine").resolve(), True


def load_config(root: Path) -> SpineConfig:
    from spine_gates.model.loader import load_yaml

    path = root / CONFIG_FILE
    if not path.exists() and not path.is_symlink():  # a broken link is an error, not "none"
        return SpineConfig()
    document = load_yaml(path, CONFIG_FILE)
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
    from spine_gates.model.loader import load_yaml

    documents = {}
    for kind, rel in config.registries.items():
        document = load_yaml(root / rel, rel)
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
