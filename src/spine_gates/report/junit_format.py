"""JUnit XML: a testsuite per gate, a testcase per rule evaluated, a failure per finding.

XML 1.0 cannot carry most C0 controls at all, not even as character references, so every value
from the spine is made visible first (`\\x1b`, `\\u202e`); that also keeps bidi and zero-width
characters out of CI test viewers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from spine_gates.checks.interface import GateResult
from spine_gates.finding import Finding
from spine_gates.printable import visible


def _located(finding: Finding, body: str) -> str:
    return f"{visible(finding.location() or '-')}: {body}"


def render(result: GateResult, colour: bool = False) -> str:
    by_rule: dict[str, list[Finding]] = {meta.id: [] for meta in result.rules}
    for finding in result.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    titles = {meta.id: meta.title for meta in result.rules}
    gate = visible(result.gate)
    suites = ET.Element("testsuites", name="spine-gates")
    suite = ET.SubElement(suites, "testsuite", name=gate)
    failures = skipped = 0
    for rule_id, findings in by_rule.items():
        case = ET.SubElement(suite, "testcase", classname=f"spine_gates.{gate}",
                             name=visible(f"{rule_id} {titles.get(rule_id, '')}".strip()))
        active = [f for f in findings if not f.suppressed]
        fail = [f for f in active if f.severity.rank >= result.fail_on.rank]
        if fail:
            failures += 1
            failure = ET.SubElement(case, "failure", type=visible(rule_id),
                                    message=f"{len(fail)} finding(s)")
            failure.text = "\n".join(
                _located(f, visible(f.message) + (f" (fix: {visible(f.fix)})" if f.fix else ""))
                for f in fail
            )
        elif findings and not active:
            skipped += 1
            reason = "; ".join(sorted({visible(f.suppression_reason) for f in findings}))
            ET.SubElement(case, "skipped", message=f"suppressed: {reason}")
        others = [f for f in active if f not in fail]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_located(f, f"[{f.severity.value}] {visible(f.message)}")
                                 for f in others)
    suite.set("tests", str(len(by_rule)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{result.duration_ms / 1000:.3f}")
    suites.set("tests", str(len(by_rule)))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") \
        + "\n"
