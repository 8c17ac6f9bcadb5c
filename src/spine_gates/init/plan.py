"""What `gates init` would do to each file, decided before anything is written."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from spine_gates.errors import InputError
from spine_gates.init.merge import append_entries, merge_settings, runs_hook
from spine_gates.init.templates import (
    CAPABILITIES,
    CAPABILITY_MAP,
    CLAUDE_SETTINGS,
    PRE_COMMIT,
    SSOT,
    TEMPLATES,
    Existing,
    Template,
    Values,
    ci_templates,
    render,
)
from spine_gates.model.loader import Document, parse_yaml


class Action(enum.Enum):
    CREATE = "created"
    MERGE = "merged"
    KEEP = "kept"
    UNCHANGED = "unchanged"
    SKIP = "skipped"
    CONFLICT = "exists"


@dataclass(frozen=True)
class Change:
    path: str  # relative to the spine root, POSIX
    action: Action
    content: str | None = None  # what to write (CREATE, MERGE)
    note: str = ""


def plan_init(root: Path, values: Values) -> list[Change]:
    """One change per file init manages, in table order; nothing is touched here."""
    rendered = {t.target: render(t.source, values) for t in TEMPLATES}
    changes = [_decide(root, template, rendered[template.target], rendered)
               for template in TEMPLATES]
    changes += [_decide(root, t, render(t.source, values), rendered) for t in ci_templates()]
    changes.append(_settings(root))
    return _map_follows_capabilities(changes, root)


def _read(path: Path, name: str) -> str | None:
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise InputError("exists and is not a regular file; init never replaces it", name)
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read ({exc})", name) from None


def _decide(root: Path, template: Template, content: str, rendered: dict[str, str]) -> Change:
    name = template.target
    current = _read(root / name, name)
    if current is None:
        return Change(name, Action.CREATE, content)
    if current == content:
        return Change(name, Action.UNCHANGED)
    if template.existing is Existing.KEEP:
        return Change(name, Action.KEEP, note="yours; left as it is")
    if template.existing is Existing.REFUSE:
        return Change(name, Action.CONFLICT)
    return _merge(name, current, content)


def _merge(name: str, current: str, template: str) -> Change:
    wanted = yaml.safe_load(template)  # init's own template: known good
    # The project's loader: a syntax error, or a value of the wrong type, names its line.
    doc = parse_yaml(current, Path(name), name)
    have = doc.data
    if not isinstance(have, dict):
        raise InputError("expected a mapping at the top level", name, 1)
    if name == SSOT:
        ssots = _typed(doc, "ssots", list, "a list of SSOT entries")
        paths = {e.get("path") for e in ssots if isinstance(e, dict) and _hashable(e.get("path"))}
        ids = {e.get("id") for e in ssots if isinstance(e, dict) and _hashable(e.get("id"))}
        missing = [e for e in wanted["ssots"] if e["path"] not in paths]
        for entry in missing:
            if entry["id"] in ids:
                raise InputError(f"SSOT id {entry['id']!r} is taken by another path; register "
                                 f"{entry['path']} by hand under another id", name)
        return _appended(name, current, "ssots", missing, "SSOT entries")
    if name in (CAPABILITIES, CAPABILITY_MAP):
        caps = _typed(doc, "capabilities", dict, "a mapping of capabilities")
        missing_caps = {k: v for k, v in wanted["capabilities"].items() if k not in caps}
        return _appended(name, current, "capabilities", missing_caps, "capabilities")
    if name == PRE_COMMIT:
        if runs_hook(doc, "registry-policy"):
            return Change(name, Action.UNCHANGED, note="has a registry-policy hook")
        return _appended(name, current, "repos", wanted["repos"], "the spine-gates hooks")
    raise AssertionError(f"no merge for {name}")


def _typed(doc: Document, key: str, kind: type[Any], what: str) -> Any:
    """`key`'s value (empty when missing or null), or bad input naming its line."""
    value = doc.data.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise InputError(f"'{key}' must be {what}, not {type(value).__name__}", doc.name,
                         doc.line_of(f"/{key}"))
    return value


def _hashable(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _appended(name: str, current: str, key: str, entries: list[Any] | dict[str, Any],
              what: str) -> Change:
    if not entries:
        return Change(name, Action.UNCHANGED)
    listed = ", ".join(e.get("id", "?") for e in entries) if isinstance(entries, list) \
        else ", ".join(entries)
    note = f"added {what}: {listed}" if key != "repos" else f"added {what}"
    return Change(name, Action.MERGE, append_entries(current, name, key, entries), note)


def _settings(root: Path) -> Change:
    current = _read(root / CLAUDE_SETTINGS, CLAUDE_SETTINGS)
    merged = merge_settings(current or "", CLAUDE_SETTINGS)
    if merged is None:
        return Change(CLAUDE_SETTINGS, Action.UNCHANGED, note="has the session-start hook")
    if current is None:
        return Change(CLAUDE_SETTINGS, Action.CREATE, merged)
    return Change(CLAUDE_SETTINGS, Action.MERGE, merged, "added the session-start hook")


def _map_follows_capabilities(changes: list[Change], root: Path) -> list[Change]:
    """A capability map is created only beside a capability file init creates: a map holding
    only init's entries next to the spine's own capabilities would fail the spine's D67."""
    created = {c.path for c in changes if c.action is Action.CREATE}
    if CAPABILITY_MAP in created and CAPABILITIES not in created:
        return [Change(c.path, Action.SKIP, note="the spine's capabilities have no map to add "
                       "to") if c.path == CAPABILITY_MAP else c for c in changes]
    return changes
