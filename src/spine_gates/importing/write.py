"""The import's plan: `gates init`'s files, with the registries, manifest, settings, waivers and
role inject files replaced by the imported ones, decided per file before anything is written.

Into a new or empty folder everything is created. Into an existing spine only the files the
import owns must be new (the three binding registries, the manifest, `spine-gates.yaml`, the
role inject files): one that exists with other content is a conflict and nothing is written.
The SSOT registry, capability files, pre-commit config and `.claude/settings.json` are merged as
`gates init` merges them; an existing `waivers.yaml` gets the import's waivers appended.
"""

from __future__ import annotations

from pathlib import Path

from spine_gates.importing import render
from spine_gates.importing.translate import CLIS_FILE, PROVIDERS_FILE, ROLES_FILE, Imported
from spine_gates.init.merge import append_entries
from spine_gates.init.plan import Action, Change, plan_init
from spine_gates.init.templates import Values

_INIT_ROLE_INJECTS = "docs/brain/roles/"


def plan_import(root: Path, imported: Imported, values: Values, expires: str) -> list[Change]:
    owned = {
        PROVIDERS_FILE: render.providers_file(imported, values),
        ROLES_FILE: render.roles_file(imported, values),
        CLIS_FILE: render.clis_file(imported, values),
        render.MANIFEST_FILE: render.manifest_file(imported, values),
        "spine-gates.yaml": render.settings_file(imported),
    }
    for role, body in imported.roles.items():
        owned[body["inject"]] = render.role_inject(role, body["ccr_slots"], values)
    waivers = render.waiver_entries(imported, values, expires)
    changes: list[Change] = []
    for change in plan_init(root, values):
        if change.path.startswith(_INIT_ROLE_INJECTS) or change.path in owned:
            continue  # init's sample roles are not the imported ones
        if change.path == render.WAIVERS_FILE:
            change = _waivers(root, waivers)
        changes.append(change)
    for path, content in owned.items():
        changes.append(_owned(root, path, content))
    return changes


def _owned(root: Path, path: str, content: str) -> Change:
    target = root / path
    if not target.exists() and not target.is_symlink():
        return Change(path, Action.CREATE, content)
    try:
        same = target.is_file() and target.read_text("utf-8") == content
    except (OSError, UnicodeDecodeError):
        same = False
    return Change(path, Action.UNCHANGED) if same else Change(path, Action.CONFLICT)


def _waivers(root: Path, entries: list[dict[str, str]]) -> Change:
    name = render.WAIVERS_FILE
    target = root / name
    if not target.exists() and not target.is_symlink():
        return Change(name, Action.CREATE, render.waivers_file(entries))
    if not entries:
        return Change(name, Action.KEEP, note="yours; the import waives nothing")
    current = target.read_text("utf-8")
    merged = append_entries(current, name, "waivers", list(entries))
    rules = ", ".join(sorted({e["rule"] for e in entries}))
    return Change(name, Action.MERGE, merged, f"added waivers: {rules}")
