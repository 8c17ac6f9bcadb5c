"""The rule catalogue, generated from the shipped packs (README section, `gates policy rules`)."""

from __future__ import annotations

import json
from pathlib import Path

from spine_gates.gates import RuleMeta
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.rules import load_packs
from spine_gates.printable import visible


def code_rules() -> list[RuleMeta]:
    """Rules that check kinds define in Python: drift, proxy safety, routing, secret resolution."""
    from spine_gates.ccr.checks import rule_metas as ccr_rules
    from spine_gates.routing.checks import rule_metas as routing_rules
    from spine_gates.secrets.gate_check import rule_metas as secret_rules

    return [*ccr_rules(), *routing_rules(), *secret_rules()]


def catalogue_rows(root: Path | None = None) -> list[tuple[str, str, str, str, str]]:
    """(id, severity, title, why, pack) for every rule: the shipped packs', the built-in ones,
    then the spine's own (`root`)."""
    from spine_gates.model.coercions import COERCION_HELP, COERCION_RULE, COERCION_TITLE
    from spine_gates.policy.rules import spine_packs
    from spine_gates.policy.waivers import WAIVER_RULES

    packs = load_packs(bundled_dir("policies"))
    rows = [(rule.id, rule.severity.value, rule.title, rule.rationale, pack.name)
            for pack in packs for rule in pack.rules]
    rows.insert(0, ("SCHEMA-001", "error", "Registry matches its schema",
                    "Types, required fields, allowed values and no unknown fields (cerberus).",
                    "built-in"))
    rows.insert(1, (COERCION_RULE, "error", COERCION_TITLE, COERCION_HELP, "built-in"))
    for meta in sorted(code_rules(), key=lambda m: m.id):
        rows.append((meta.id, meta.severity.value, meta.title, meta.help, "built-in"))
    rows += [(rule_id, "warning", title, why, "built-in")
             for rule_id, (title, why) in WAIVER_RULES.items()]
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
        return json.dumps([dict(zip(("id", "severity", "title", "rationale", "pack"), row,
                                    strict=True)) for row in rows], indent=2) + "\n"
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
