"""`gates policy test`: fixture cases for the rule packs, like `conftest verify`, with coverage.

A case patches the reference spine in memory (set or delete at a JSON pointer), evaluates the
schema and every pack, and compares the findings of the rule under test with the expected
`(rule, pointer)` set. A rule is covered when it has a passing case (expects nothing) and a
failing case (expects findings) that both hold.
"""

from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.checks.table import load_gates
from spine_gates.errors import InputError
from spine_gates.finding import Finding
from spine_gates.model.governance import GovernanceModel
from spine_gates.model.loader import Document, load_yaml, unescape_pointer_token
from spine_gates.model.schemas import validate_document
from spine_gates.model.scope import inside_root
from spine_gates.model.spine import SpineConfig, bundled_dir, load_config, load_documents
from spine_gates.policy.evaluator import evaluate_packs
from spine_gates.policy.rules import RulePack, load_packs, spine_pack_dir, spine_packs
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps


@dataclass(frozen=True)
class CaseResult:
    name: str
    rule: str
    passed: bool
    expects_findings: bool
    detail: str
    source: str


@dataclass
class PolicyTestReport:
    cases: list[CaseResult] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    def coverage(self) -> dict[str, dict[str, bool]]:
        table = {rule: {"pass": False, "fail": False} for rule in self.rules}
        for case in self.cases:
            if case.rule in table and case.passed:
                table[case.rule]["fail" if case.expects_findings else "pass"] = True
        return table

    @property
    def uncovered(self) -> list[str]:
        return [r for r, c in self.coverage().items() if not (c["pass"] and c["fail"])]


def _split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"pointer {pointer!r} must start with /")
    return [unescape_pointer_token(p) for p in pointer[1:].split("/")]


def apply_patch(data: Any, op: dict[str, Any]) -> Any:
    """Set or delete the node at a JSON pointer (`-` appends to a list)."""
    pointer = op.get("set", op.get("delete"))
    parts = _split(str(pointer))
    if not parts:
        return copy.deepcopy(op.get("value")) if "set" in op else None
    parent = data
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if "set" in op:
        value = copy.deepcopy(op.get("value"))
        if isinstance(parent, list):
            if last == "-":
                parent.append(value)
            else:
                parent[int(last)] = value
        else:
            parent[last] = value
    elif isinstance(parent, list):
        del parent[int(last)]
    else:
        del parent[last]
    return data


def _evaluate(model: GovernanceModel, today: _dt.date, packs: list[RulePack],
              params: dict[str, Any] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for kind, document in model.documents.items():
        findings.extend(validate_document(kind, document))
    findings.extend(evaluate_packs(packs, model, today, params or {}))
    return findings


def run_case(case: dict[str, Any], base: dict[str, Document], root: Path, today: _dt.date,
             source: str, packs: list[RulePack], config: SpineConfig | None = None,
             params: dict[str, Any] | None = None) -> CaseResult:
    name = str(case.get("name", "?"))
    rule = str(case.get("rule", ""))
    documents = {kind: doc for kind, doc in base.items()}
    try:
        for op in case.get("patch") or []:
            kind = op["registry"]
            document = documents[kind]
            data = apply_patch(copy.deepcopy(document.data), op)
            documents[kind] = Document(document.path, document.name, data, document.lines)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        return CaseResult(name, rule, False, bool(case.get("expect")),
                          f"patch does not apply: {exc!r}", source)
    model = GovernanceModel(root, documents, config or SpineConfig())
    case_today = case.get("today", today)
    got = sorted({(f.rule, f.pointer) for f in _evaluate(model, case_today, packs, params)
                  if f.rule == rule})
    expected = sorted({(str(e.get("rule", rule)), str(e.get("pointer", "")))
                       for e in case.get("expect") or []})
    if got == expected:
        return CaseResult(name, rule, True, bool(expected), "", source)
    detail = f"expected {expected or 'no findings'}, got {got or 'no findings'}"
    return CaseResult(name, rule, False, bool(expected), detail, source)


def run_policy_tests(root: Path | None = None) -> PolicyTestReport:
    """The fixture cases of the spine's own packs (`<root>/policies/tests/*.yaml`, patched onto
    that spine), or, for a spine without its own packs, those of the shipped packs (patched onto
    the reference spine)."""
    shipped = load_packs(bundled_dir("policies"))
    local_dir = spine_pack_dir(root) if root is not None else None
    if root is not None and local_dir is not None:
        own = spine_packs(root)
        packs, rule_ids = [*shipped, *own], [rule.id for pack in own for rule in pack.rules]
        directory, base_root = local_dir / "tests", root.resolve()
    else:
        packs = shipped
        rule_ids = ["SCHEMA-001", *(rule.id for pack in shipped for rule in pack.rules)]
        directory, base_root = bundled_dir("policies") / "tests", bundled_dir("spine").resolve()
    config = load_config(base_root)
    base = load_documents(base_root, config)
    # The parameters the pre-commit gate would use on this spine (its settings, then the gate's).
    gate = load_gates().get("registry-policy")
    params = {**(config.settings.get("rule_params") or {}), **(gate.rule_params if gate else {})}
    report = PolicyTestReport(rules=rule_ids)
    if not directory.is_dir():
        if directory.exists() or directory.is_symlink():
            raise InputError("is not a readable directory of policy test files",
                             "policies/tests")
        return report
    for path in sorted(directory.glob("*.yaml")):
        name = f"policies/tests/{path.name}"
        if local_dir is not None and root is not None:  # the spine's tests stay inside it
            inside_root(root, name)
        document = load_yaml(path, name)
        data = document.data
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise InputError("a policy test file needs a 'cases:' list", name, 1)
        today = _date(data.get("today", _dt.date.today()), name, document.line_of("/today"))
        for index, case in enumerate(data["cases"]):
            pointer = f"/cases/{index}"
            if not isinstance(case, dict) or not isinstance(case.get("rule"), str):
                raise InputError("a case must be a mapping with a 'rule'", name,
                                 document.line_of(pointer))
            for key in ("patch", "expect"):
                items = case.get(key) or []
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    raise InputError(f"a case's {key!r} must be a list of mappings", name,
                                     document.line_of(f"{pointer}/{key}"))
            if "today" in case:
                case = {**case, "today": _date(case["today"], name,
                                               document.line_of(f"{pointer}/today"))}
            report.cases.append(run_case(case, base, base_root, today, name, packs, config,
                                         params))
    return report


def _date(value: Any, name: str, line: int | None) -> _dt.date:
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"'today' must be a YYYY-MM-DD date, not {value!r}", name,
                         line) from None


def render_results(report: PolicyTestReport, fmt: str) -> str:
    coverage = report.coverage()
    if fmt == "json":
        return dumps({
            "passed": report.passed,
            "cases": [vars(c) for c in report.cases],
            "coverage": coverage,
            "uncovered": report.uncovered,
        })
    lines = []
    for case in report.cases:
        mark = "ok  " if case.passed else "FAIL"
        lines.append(f"{mark} {case.rule:<11} {case.name}")
        if case.detail:
            lines.append(f"       {case.detail}")
    covered = len(coverage) - len(report.uncovered)
    failed = sum(not c.passed for c in report.cases)
    lines.append("")
    lines.append(f"{len(report.cases)} cases, {failed} failed; "
                 f"rule coverage {covered}/{len(coverage)} (a passing and a failing case each)")
    for rule in report.uncovered:
        have = coverage[rule]
        missing = [k for k in ("pass", "fail") if not have[k]]
        lines.append(f"  uncovered {rule}: no {' or '.join(missing)} case")
    return visible_lines(lines)
