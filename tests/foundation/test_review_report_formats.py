"""Review regressions: the SARIF levels and the GitHub annotation escaping (changing either
passed every existing test)."""

from __future__ import annotations

import json

from spine_gates.checks.interface import GateResult, RuleMeta
from spine_gates.finding import Finding, Severity
from spine_gates.report import github_format, sarif_format

FINDINGS = (
    Finding("T-ERR", Severity.ERROR, "broken", "docs/a,b:c.yaml", 3, "/x", title="Err"),
    Finding("T-WARN", Severity.WARNING, "50% done\nsecond line", "docs/w.yaml", 4, "/y",
            title="Warn, with: punctuation"),
    Finding("T-INFO", Severity.INFO, "for your information", "docs/i.yaml", 5, "/z",
            title="Info"),
)


def _result() -> GateResult:
    rules = tuple(RuleMeta(f.rule, f.title, f.severity, "", "") for f in FINDINGS)
    return GateResult("review", False, 1, FINDINGS, rules, Severity.ERROR, "/spine",
                      ("docs/a,b:c.yaml",), 1.0)


def test_sarif_levels_follow_the_severity() -> None:
    sarif = json.loads(sarif_format.render(_result()))
    run = sarif["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"T-ERR": "error", "T-WARN": "warning", "T-INFO": "note"}
    defaults = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert defaults == levels


def test_github_annotations_escape_properties_and_data() -> None:
    lines = github_format.render(_result()).splitlines()
    assert lines[0] == "::error file=docs/a%2Cb%3Ac.yaml,line=3,title=T-ERR Err::broken"
    assert lines[1] == ("::warning file=docs/w.yaml,line=4,title=T-WARN Warn%2C with%3A "
                        "punctuation::50%25 done%0Asecond line")
    assert lines[2].startswith("::notice file=docs/i.yaml,line=5,")
    assert lines[3].startswith("gate review: FAIL")
    assert len(lines) == 4  # a message's newline never starts a command of its own
