"""Run rules over a GovernanceModel's view and turn violations into findings."""

from __future__ import annotations

import datetime as _dt
import string
from typing import Any

from spine_gates.checks.interface import EvalContext
from spine_gates.finding import Finding
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import paused_gc
from spine_gates.policy.assertions import ASSERTIONS
from spine_gates.policy.rules import Rule, RulePack


class _Template(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_FORMATTER = string.Formatter()


def render(template: str, values: dict[str, Any]) -> str:
    """Fill `{name}` fields from the item; unknown fields stay as written."""
    mapping = _Template({k: _plain(v) for k, v in values.items()})
    try:
        return _FORMATTER.vformat(template, (), mapping)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return "-"
    return value


def evaluate_rule(rule: Rule, model: GovernanceModel, today: _dt.date,
                  params: dict[str, Any] | None = None) -> list[Finding]:
    view = model.view()
    selected = rule.select.search(view)
    if selected is None:
        items: list[Any] = []
    elif isinstance(selected, list):
        items = selected
    else:
        items = [selected]
    items = [item for item in items if isinstance(item, dict)]
    ctx = EvalContext(view, model.root, today, {**rule.params, **(params or {})}, model.line_of)
    findings = []
    for violation in ASSERTIONS[rule.assertion].evaluate(items, rule.args, ctx):
        item = violation.item
        file = str(item.get("_file", ""))
        pointer = str(item.get("_pointer", ""))
        located = violation.line is not None  # the check read the file and knows where
        if violation.pointer and (located or model.has_pointer(file, violation.pointer)):
            pointer = violation.pointer
        line = violation.line if located else (model.line_of(file, pointer) if file else None)
        values = {**item, **violation.extras}
        findings.append(
            Finding(
                rule=rule.id,
                severity=rule.severity,
                title=rule.title,
                message=render(rule.message, values),
                file=file,
                line=line,
                pointer=pointer,
                fix=render(rule.fix, values),
            )
        )
    return findings


def evaluate_packs(packs: list[RulePack], model: GovernanceModel, today: _dt.date,
                   params: dict[str, dict[str, Any]] | None = None) -> list[Finding]:
    params = params or {}
    findings: list[Finding] = []
    with paused_gc():
        for pack in packs:
            for rule in pack.rules:
                findings.extend(evaluate_rule(rule, model, today, params.get(rule.id)))
    return findings
