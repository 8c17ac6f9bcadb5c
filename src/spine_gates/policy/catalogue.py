"""The rule catalogue, generated from the shipped packs and the built-in rules (README section,
`gates policy rules`)."""

from __future__ import annotations

from pathlib import Path

from spine_gates.checks.interface import builtin_rules
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.rules import load_packs, spine_packs
from spine_gates.printable import visible
from spine_gates.report.envelope import dumps

# Built-in groups listed before the packs: the checks of the registries as they are read.
_BEFORE_PACKS = ("schema", "yaml-coercion")


def catalogue_rows(root: Path | None = None) -> list[tuple[str, str, str, str, str]]:
    """(id, severity, title, why, pack) for every rule: the registry checks, the shipped packs',
    the other built-in ones (policies/builtin/rules.yaml, in its order), then the spine's own
    (`root`)."""
    builtin = builtin_rules()
    rows = [(r.meta.id, r.meta.severity.value, r.meta.title, r.why, "built-in")
            for r in builtin if r.group in _BEFORE_PACKS]
    rows += [(rule.id, rule.severity.value, rule.title, rule.rationale, pack.name)
             for pack in load_packs(bundled_dir("policies")) for rule in pack.rules]
    rows += [(r.meta.id, r.meta.severity.value, r.meta.title, r.why, "built-in")
             for r in builtin if r.group not in _BEFORE_PACKS]
    own = spine_packs(root) if root is not None else []
    rows += [(rule.id, rule.severity.value, rule.title, rule.rationale, f"spine:{pack.name}")
             for pack in own for rule in pack.rules]
    return rows


def known_rule_ids(root: Path | None = None) -> frozenset[str]:
    """Every rule id a finding can carry, whichever gate runs: what a waiver may name."""
    return frozenset(row[0] for row in catalogue_rows(root))


def render_catalogue(fmt: str = "text", root: Path | None = None) -> str:
    """Every rule: the shipped packs', the built-in ones, then the spine's own (`root`)."""
    rows = catalogue_rows(root)
    if fmt == "json":
        # an object, not a bare list: the rules sit under "rules", beside the envelope fields
        return dumps({"rules": [dict(zip(("id", "severity", "title", "rationale", "pack"), row,
                                         strict=True)) for row in rows]})
    # A spine's own packs are its data: their ids, titles and rationales are shown escaped.
    rows = [(visible(a), b, visible(c), visible(" ".join(d.split())), visible(e))
            for a, b, c, d, e in rows]
    if fmt == "markdown":
        lines = ["| id | severity | pack | rule | why |", "|---|---|---|---|---|"]
        for rule_id, severity, title, rationale, pack in rows:
            why = rationale.replace("|", "\\|")
            lines.append(f"| `{rule_id}` | {severity} | {pack} | {title} | {why} |")
        return "\n".join(lines) + "\n"
    width = max(len(r[0]) for r in rows)
    return "".join(f"{r[0]:<{width}}  {r[1]:<7}  {r[2]}\n" for r in rows)
