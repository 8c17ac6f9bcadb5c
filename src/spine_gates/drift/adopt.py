"""`gates adopt`: the SSOT edit (a unified diff of the YAML registries) that would make the SSOT
match a live change made on purpose. It proposes; a person reviews and applies it (`git apply`).

Only drift that maps onto one SSOT field is patched: a role's primary (all its slots moved
together), its fallback chain, a provider's models or endpoint. Anything else is explained.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from spine_gates.drift.compare import Difference, DriftVerdict, show
from spine_gates.drift.keyed import MISSING
from spine_gates.drift.run import DriftRun
from spine_gates.errors import InputError
from spine_gates.importing.translate import provider_body
from spine_gates.init.merge import append_entries
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import Document, join_pointer
from spine_gates.secrets.detect import find_secrets
from spine_gates.secrets.redact import redact_text

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./:@+-]*$")
# A run of key alphabet with letters of both cases or letters and digits (not a word, not a number).
_TOKEN = re.compile(r"(?=[A-Za-z0-9+/=_.-]{8,})(?=\S*[A-Za-z])"
                    r"(?=\S*(?:[0-9]|[A-Z]\S*[a-z]|[a-z]\S*[A-Z]))[A-Za-z0-9+/=_.-]{8,}")
_MAPPING_LINE = re.compile(r"^\s*(?:-\s+)?[\w\"'.-]+:(?:\s|$)")  # `key: ...`, not a comment
_SUFFIXES = ("/chat/completions", "/v1/messages", "/messages")


@dataclass
class Proposal:
    patch: str = ""
    notes: list[str] = field(default_factory=list)


def _scalar(value: str) -> str:
    return value if _PLAIN.match(value) and not value.endswith(":") else json.dumps(value)


class _Editor:
    """Line edits on one registry file, keyed by JSON pointer (the loader's line marks)."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.lines = document.path.read_text(encoding="utf-8").splitlines(keepends=True)
        self.original = list(self.lines)
        self.withheld = 0

    def set_scalar(self, pointer: str, value: str) -> bool:
        line = self.document.lines.get(pointer)
        key = pointer.rsplit("/", 1)[1]
        if line is None:
            return False
        text = self.lines[line - 1]
        match = re.match(rf"^(\s*(?:-\s+)?{re.escape(key)}:\s*)(\S.*?)?(\s+#.*)?(\n?)$", text)
        if not match:
            return False
        self.lines[line - 1] = f"{match.group(1)}{_scalar(value)}{match.group(3) or ''}" \
                               f"{match.group(4)}"
        return True

    def set_list(self, pointer: str, values: list[str], old_len: int) -> bool:
        key_line = self.document.lines.get(pointer)
        key = pointer.rsplit("/", 1)[1]
        if key_line is None:
            return False
        text = self.lines[key_line - 1]
        flow = re.match(rf"^(\s*{re.escape(key)}:\s*)\[.*\](\s+#.*)?(\n?)$", text)
        if flow:
            items = ", ".join(_scalar(v) for v in values)
            self.lines[key_line - 1] = f"{flow.group(1)}[{items}]{flow.group(2) or ''}" \
                                       f"{flow.group(3)}"
            return True
        found = [self.document.lines.get(f"{pointer}/{i}") for i in range(old_len)]
        item_lines = [n for n in found if n is not None and n > key_line]
        if not item_lines or len(item_lines) != len(found):
            return False
        first, last = min(item_lines), max(item_lines)
        indent = re.match(r"^(\s*-\s+)", self.lines[first - 1])
        if not indent:
            return False
        new = [f"{indent.group(1)}{_scalar(v)}\n" for v in values]
        self.lines[first - 1:last] = new
        return True

    def add_entries(self, key: str, entries: dict[str, Any]) -> bool:
        """Append entries at the end of the top-level mapping `key` (comments and order kept)."""
        try:
            text = append_entries("".join(self.lines), self.document.name, key, entries)
        except InputError:
            return False
        self.lines = text.splitlines(keepends=True)
        return True

    def diff(self) -> str:
        """The unified diff, with every line that holds a key or a piece of one (a key split over
        lines, a PEM block) withheld: context lines are raw registry text, which output redaction
        cannot recognise when a line has only half a key."""
        name = self.document.name
        held = self._key_lines()
        if not held:
            return "".join(difflib.unified_diff(self.original, self.lines, f"a/{name}",
                                                f"b/{name}"))

        def mask(lines: list[str]) -> list[str]:
            return [_withheld(line) if line in held else line for line in lines]

        patch = "".join(difflib.unified_diff(mask(self.original), mask(self.lines),
                                             f"a/{name}", f"b/{name}"))
        self.withheld = sum(1 for line in patch.splitlines()
                            if line[:1] in " -" and "(line withheld:" in line)
        return patch

    def _key_lines(self) -> set[str]:
        held: set[str] = set()
        for lines in (self.original, self.lines):
            text = "".join(lines)
            starts, offset = [], 0
            for line in lines:
                starts.append(offset)
                offset += len(line)
            spans = [(start, end) for _, _, start, end in find_secrets(text)]
            for index, line in enumerate(lines):
                begin, end = starts[index], starts[index] + len(line)
                if redact_text(line) != line or any(s < end and e > begin for s, e in spans):
                    held.add(line)
            # The rest of a key broken over lines reads as nothing on its own: a comment or
            # continuation line next to a held one that carries a key-like token is held too.
            changed = True
            while changed:
                changed = False
                for index, line in enumerate(lines):
                    near = lines[max(index - 1, 0):index + 2]
                    if line not in held and not _MAPPING_LINE.match(line) \
                            and _TOKEN.search(line) and any(n in held for n in near):
                        held.add(line)
                        changed = True
        return held


def _withheld(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}# (line withheld: it holds a key or part of one)\n"


def _ref(target: Any) -> str | None:
    if not isinstance(target, str) or "," not in target:
        return None
    provider, model = target.split(",", 1)
    return f"{provider}/{model}"


def _threshold_note(diff: Difference) -> str:
    """The threshold is a spine setting (`ccr.long_context_threshold`), not a role's slot."""
    if diff.live is MISSING:
        return (f"{diff.label}: a router setting, not a slot; remove ccr.long_context_threshold "
                "from spine-gates.yaml to adopt the router's default (60000)")
    return (f"{diff.label}: a router setting, not a slot; set "
            f"ccr.long_context_threshold: {show(diff.live)} in spine-gates.yaml to adopt it")


def _new_provider(name: str, live: dict[str, Any],
                  model: GovernanceModel) -> tuple[dict[str, Any], str] | str:
    """A provider the live config introduced, as a registry entry with `gates import ccr`'s
    conservative defaults and an env: reference for its key; or why it cannot be added."""
    raw = next((p for p in live.get("Providers") or []
                if isinstance(p, dict) and p.get("name") == name), None)
    if raw is None or not isinstance(raw.get("api_base_url"), str):
        return "a provider without an api_base_url cannot be added; add it by hand"
    if not re.match(r"^[a-z0-9][a-z0-9_.-]*$", name):
        return (f"provider name {name!r} cannot be a registry id the router matches (lower "
                "case, no commas or spaces); rename it in the live config first")
    unknown = sorted(set(raw) - {"name", "api_base_url", "api_key", "models", "transformer"})
    if unknown:
        return f"its field {unknown[0]!r} has no place in the registry; add the provider by hand"
    taken = {str(b.get("api_key_ref"))[4:] for b in model.providers.values()
             if isinstance(b, dict) and str(b.get("api_key_ref")).startswith("env:")}
    body, why = provider_body(raw, name, taken)
    ref = body["api_key_ref"]
    return body, (f"Providers[{name}]: added with guessed type {body['type']}, cost_tier "
                  f"{body['cost_tier']}, quota_type {body['quota_type']} ({why}): review them; "
                  f"its key becomes {ref}: export {ref[4:]} where the router runs (or store it "
                  f"in Infisical and reference that), then `gates sync` writes ${ref[4:]} in "
                  "place of the key")


def propose_adoption(model: GovernanceModel, run: DriftRun) -> Proposal:
    """The YAML patch and the notes for every drifted (hand-edited) difference."""
    proposal = Proposal()
    roles_doc, providers_doc = model.document("roles"), model.document("providers")
    editors = {"roles": _Editor(roles_doc), "providers": _Editor(providers_doc)}
    drifted = [d for d in run.differences if d.verdict is DriftVerdict.DRIFT]
    router_raw, fallback_raw = run.live.data.get("Router"), run.live.data.get("fallback")
    live_router: dict[str, Any] = router_raw if isinstance(router_raw, dict) else {}
    live_fallback: dict[str, Any] = fallback_raw if isinstance(fallback_raw, dict) else {}
    handled_roles: set[tuple[str, str]] = set()
    new_providers: dict[str, dict[str, Any]] = {}
    for diff in drifted:
        unit = diff.unit
        if unit == ("Router", "longContextThreshold"):
            proposal.notes.append(_threshold_note(diff))
        elif unit[0] in ("Router", "fallback") and len(unit) == 2:
            section = unit[0]
            role_id = next((r for r, body in model.roles.items() if isinstance(body, dict)
                            and unit[1] in (body.get("ccr_slots") or [])), None)
            if role_id is None:
                proposal.notes.append(f"{diff.label}: no role binds slot {unit[1]!r}; add it to "
                                      "a role's ccr_slots to adopt it")
                continue
            if (role_id, section) in handled_roles:
                continue
            handled_roles.add((role_id, section))
            slots = model.roles[role_id].get("ccr_slots") or []
            live_values = [(live_router if section == "Router" else live_fallback).get(s, MISSING)
                           for s in slots]
            if any(v != live_values[0] for v in live_values):
                proposal.notes.append(f"{diff.label}: role {role_id!r} binds {', '.join(slots)}, "
                                      "which the live config now routes differently; split the "
                                      "role to adopt this")
                continue
            pointer = join_pointer("/roles", role_id)
            if section == "Router":
                ref = _ref(diff.live)
                if ref is None or not editors["roles"].set_scalar(f"{pointer}/primary", ref):
                    proposal.notes.append(f"{diff.label}: cannot express {show(diff.live)} as "
                                          "a primary")
            else:
                refs = [_ref(v) for v in diff.live] if isinstance(diff.live, list) else [None]
                old = model.roles[role_id].get("fallback_chain") or []
                if None in refs or not editors["roles"].set_list(
                        f"{pointer}/fallback_chain", [r for r in refs if r], len(old)):
                    proposal.notes.append(f"{diff.label}: cannot rewrite the fallback chain of "
                                          f"{role_id!r} here; edit it by hand")
        elif unit[0] == "Providers" and len(unit) == 2 and diff.ssot is MISSING:
            added = _new_provider(unit[1], run.live.data, model)
            if isinstance(added, str):
                proposal.notes.append(f"{diff.label}: {added}")
            else:
                new_providers[unit[1]] = added[0]
                proposal.notes.append(added[1])
        elif unit[0] == "Providers" and len(unit) == 3 and unit[1] in model.providers:
            pointer = join_pointer("/providers", unit[1])
            if unit[2] == "models" and isinstance(diff.live, frozenset):
                old = model.providers[unit[1]].get("models") or []
                kept = [m for m in old if m in diff.live]
                new = kept + sorted(str(m) for m in diff.live if m not in kept)
                if not editors["providers"].set_list(f"{pointer}/models", new, len(old)):
                    proposal.notes.append(f"{diff.label}: cannot rewrite the models list here")
            elif unit[2] == "api_base_url" and isinstance(diff.live, str):
                base = diff.live
                for suffix in _SUFFIXES:
                    if base.endswith(suffix):
                        base = base[: -len(suffix)]
                        break
                if not editors["providers"].set_scalar(f"{pointer}/api_base", base):
                    proposal.notes.append(f"{diff.label}: cannot rewrite api_base here")
            else:
                proposal.notes.append(f"{diff.sentence()}: no registry field to adopt this "
                                      "into; keys change in the secret store, not the SSOT")
        else:
            proposal.notes.append(f"{diff.sentence()}: not expressible in the registries; "
                                  "declare it as an ignore rule (ccr.ignore) or `gates sync`")
    if new_providers and not editors["providers"].add_entries("providers", new_providers):
        proposal.notes.append(f"cannot append {', '.join(new_providers)} to the providers "
                              "mapping here; add them by hand")
    proposal.patch = "".join(editor.diff() for editor in editors.values())
    withheld = sum(editor.withheld for editor in editors.values())
    if withheld:
        proposal.notes.append(f"{withheld} registry line(s) that hold a key or part of one are "
                              "withheld from the patch, so it will not apply as it is; remove "
                              "and rotate those keys (`gates run secret-refs`), then adopt again")
    return proposal
