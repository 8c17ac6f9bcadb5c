"""Adding what init needs to files the user already has, keeping every byte of theirs.

YAML files get new entries appended as text at the end of their list or mapping (comments,
order and quoting stay as they were), then the result is parsed again to prove it reads as
intended. `.claude/settings.json` gets the session-start hook added to its `hooks`.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from spine_gates.errors import InputError
from spine_gates.init.templates import SESSION_COMMAND, SESSION_HOOK
from spine_gates.model.loader import Document


def _compose(text: str, name: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(exc, 'problem', exc)})", name,
                         mark.line + 1 if mark else None) from None
    if not isinstance(node, yaml.MappingNode):
        raise InputError("expected a mapping at the top level", name, 1)
    return node


def _value_node(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
            return v
    return None


def _last_line(node: yaml.Node) -> int:
    """The 0-based line after which `node`'s text ends (its last scalar's end)."""
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = [part for pair in node.value for part in pair]
    return max((_last_line(child) for child in children), default=node.start_mark.line)


def _indented(text: str, indent: int) -> str:
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def append_entries(text: str, name: str, key: str, entries: list[Any] | dict[str, Any]) -> str:
    """`text` with `entries` added at the end of the top-level block list or mapping `key`.

    An empty or missing collection is refused (bad input): there is no indentation to follow,
    and rewriting the file would lose its comments.
    """
    root = _compose(text, name)
    node = _value_node(root, key)  # type: ignore[arg-type]
    want = yaml.SequenceNode if isinstance(entries, list) else yaml.MappingNode
    if not isinstance(node, want) or node.flow_style or not node.value:
        kind = "list" if isinstance(entries, list) else "mapping"
        raise InputError(f"cannot add to '{key}:' here: it is not a non-empty block {kind}; "
                         "add the entries by hand (see docs/guides/getting-started.md)", name,
                         node.start_mark.line + 1 if node is not None else None)
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    after = _last_line(node) + 1
    if isinstance(entries, list):
        first = node.value[0]
        row = lines[first.start_mark.line]
        indent = row.index("-") if "-" in row[:first.start_mark.column] else first.start_mark.column
        parts = [_dump([entry]) for entry in entries]
    else:
        indent = node.value[0][0].start_mark.column
        parts = [_dump({name: entry}) for name, entry in entries.items()]
    block = _indented("\n".join(parts), indent)  # a blank line between entries, as people write
    merged = "".join([*lines[:after], "\n", block, *lines[after:]])
    _check(merged, name, key, entries)
    return merged


def _check(merged: str, name: str, key: str, entries: list[Any] | dict[str, Any]) -> None:
    """The merged text must parse, with the new entries where they belong, or nothing is written."""
    try:
        data = yaml.safe_load(merged)
    except yaml.YAMLError:
        data = None
    found = data.get(key) if isinstance(data, dict) else None
    if isinstance(entries, list):
        ok = isinstance(found, list) and found[-len(entries):] == entries
    else:
        ok = isinstance(found, dict) and all(found.get(k) == v for k, v in entries.items())
    if not ok:
        raise InputError(f"could not add to '{key}:' without changing what the file says; add "
                         "the entries by hand (see docs/guides/getting-started.md)", name)


def merge_settings(text: str, name: str) -> str | None:
    """`.claude/settings.json` with the session-start hook added; None when one already runs
    `gates session check`. Every other key and hook is kept."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", name, exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object at the top level", name, 1)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InputError("'hooks' must be an object", name)
    starts = hooks.setdefault("SessionStart", [])
    if not isinstance(starts, list):
        raise InputError("'hooks.SessionStart' must be a list", name)
    if "gates session check" in json.dumps(starts):
        return None
    starts.append(SESSION_HOOK)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def runs_hook(doc: Document, hook_id: str) -> bool:
    """True when the parsed pre-commit config already has a hook with this id; a `repos` or
    `hooks` that is not a list is bad input naming its line (pre-commit would refuse it too)."""
    data = doc.data
    repos = data.get("repos") if isinstance(data, dict) else None
    if repos is None:
        return False
    if not isinstance(repos, list):
        raise InputError(f"'repos' must be a list, not {type(repos).__name__}", doc.name,
                         doc.line_of("/repos"))
    for index, repo in enumerate(repos):
        if not isinstance(repo, dict):
            continue
        hooks = repo.get("hooks")
        if hooks is None:
            continue
        if not isinstance(hooks, list):
            raise InputError(f"'hooks' must be a list, not {type(hooks).__name__}", doc.name,
                             doc.line_of(f"/repos/{index}/hooks"))
        if any(isinstance(hook, dict) and hook.get("id") == hook_id for hook in hooks):
            return True
    return False


__all__ = ["SESSION_COMMAND", "append_entries", "merge_settings", "runs_hook"]
