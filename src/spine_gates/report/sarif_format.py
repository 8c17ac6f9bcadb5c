"""SARIF 2.1.0: one run, the rules that were evaluated, a result per finding."""

from __future__ import annotations

import json
from typing import Any

from spine_gates import __version__
from spine_gates.checks.interface import GateResult
from spine_gates.finding import Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(result: GateResult, colour: bool = False) -> str:
    rule_ids = [meta.id for meta in result.rules]
    for finding in result.findings:
        if finding.rule not in rule_ids:
            rule_ids.append(finding.rule)
    metas = {meta.id: meta for meta in result.rules}
    rules: list[dict[str, Any]] = []
    for rule_id in rule_ids:
        meta = metas.get(rule_id)
        entry: dict[str, Any] = {"id": rule_id}
        if meta is not None:
            entry["name"] = meta.title
            entry["shortDescription"] = {"text": meta.title}
            entry["fullDescription"] = {"text": meta.help or meta.title}
            entry["help"] = {"text": meta.fix or meta.help or meta.title}
            entry["defaultConfiguration"] = {"level": _LEVEL[meta.severity]}
        rules.append(entry)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for finding in result.findings:
        item: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message + (f" Fix: {finding.fix}" if finding.fix else "")},
            "partialFingerprints": {"spineGates/v1": finding.fingerprint},
            "properties": {"pointer": finding.pointer},
        }
        if finding.file:
            location: dict[str, Any] = {"artifactLocation": {"uri": finding.file}}
            if finding.line:
                location["region"] = {"startLine": finding.line}
            item["locations"] = [{"physicalLocation": location}]
        if finding.suppressed:
            item["suppressions"] = [{
                "kind": "external" if finding.suppressed_by == "baseline" else "inSource",
                "justification": finding.suppression_reason,
            }]
        results.append(item)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "spine-gates",
                "version": __version__,
                "informationUri": "https://github.com/spine-gates/spine-gates",
                "rules": rules,
            }},
            "automationDetails": {"id": f"spine-gates/{result.gate}/"},
            "results": results,
        }],
    }
    # ensure_ascii, as in the JSON report: exact values, no raw bidi or control character.
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
