"""The check interfaces: what a gate's check kind and a rule's named check are given and return.

A check kind (`schema`, `policy`, `drift`, ...) is a function of the check's spec in the gate
file, the run's context and the gate; it returns findings and never prints. A named check
(`assertion: check` in a rule pack) is a function of the items a rule selects, its arguments and
an evaluation context; it returns violations. Implementations import this module (and the model)
only; `checks/table.py` names them; the runner reads that table.

The built-in rules' metadata (`policies/builtin/rules.yaml`) is read here too, so a check kind,
the runner and the catalogue describe each built-in rule from one place.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from spine_gates.clock import today
from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.governance import GovernanceModel, load_model
from spine_gates.model.loader import load_yaml
from spine_gates.model.spine import SpineConfig, bundled_dir

BUILTIN_RULES_FILE = "builtin/rules.yaml"  # under the shipped policies/ folder


@dataclass(frozen=True)
class RuleMeta:
    """What reports say about a rule: SARIF's rule list, JUnit's test names."""

    id: str
    title: str
    severity: Severity
    help: str = ""
    fix: str = ""


@dataclass(frozen=True)
class GateDefinition:
    name: str
    description: str
    checks: tuple[dict[str, Any], ...]
    fail_on: Severity = Severity.ERROR
    kind: str = "policy"  # "policy" fails with exit 1, "drift" with exit 2
    spine_gate_id: str = ""
    ring: str = "standard"
    rule_params: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def reads(self) -> frozenset[str]:
        """The spine folders this gate reads besides the registries and settings (which every
        gate reads): `policies` (the spine's own rule packs), `scenarios`. A receipt names as
        subjects exactly the files its gate read."""
        folders = set()
        for check in self.checks:
            if check.get("kind") == "policy" and check.get("spine_packs"):
                folders.add("policies")
            if check.get("kind") == "routing-scenarios":
                folders.add("scenarios")
        return frozenset(folders)


@dataclass(frozen=True)
class GateResult:
    """A gate run's outcome, built only from findings: reports render it, receipts sign it."""

    gate: str
    passed: bool
    exit_code: int
    findings: tuple[Finding, ...]
    rules: tuple[RuleMeta, ...]
    fail_on: Severity
    root: str
    files: tuple[str, ...]
    duration_ms: float
    spine_gate_id: str = ""
    description: str = ""
    gates: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    members: tuple[GateResult, ...] = ()  # for `all`: each gate's own result

    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0, "baselined": 0}
        for finding in self.findings:
            if finding.suppressed_by == "waiver":
                counts["waived"] += 1
            elif finding.suppressed_by == "baseline":
                counts["baselined"] += 1
            else:
                counts[finding.severity.value] += 1
        return counts

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]


@dataclass
class RunContext:
    """What every check may use: the spine, its model, today's date, rule parameters."""

    root: Path
    config: SpineConfig
    model: GovernanceModel
    today: _dt.date
    options: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, RuleMeta] = field(default_factory=dict)


def prepare(root: Path, options: dict[str, Any] | None = None) -> RunContext:
    """The context for a run over the spine at `root`: its model, loaded once, and today."""
    model = load_model(root)
    return RunContext(root, model.config, model, today(), dict(options or {}))


class CheckKind(Protocol):
    """A gate check kind: the check's spec (its mapping in the gate file), the run, the gate."""

    def __call__(self, spec: dict[str, Any], ctx: RunContext,
                 gate: GateDefinition) -> list[Finding]: ...


@dataclass(frozen=True)
class EvalContext:
    """What a rule's assertion or named check may use: the model's view and the run's facts."""

    view: dict[str, Any]
    root: Path
    today: _dt.date
    params: dict[str, Any]
    line_of: Callable[[str, str], int | None] = lambda file, pointer: None  # for input errors


@dataclass(frozen=True)
class Violation:
    item: dict[str, Any]
    extras: dict[str, Any]
    pointer: str | None = None
    line: int | None = None  # set by checks that read a file the model does not hold


class NamedCheck(Protocol):
    """A named check: the items the rule's selector yields, the rule's `args`, the context."""

    def __call__(self, items: list[dict[str, Any]], args: dict[str, Any],
                 ctx: EvalContext) -> list[Violation]: ...


@dataclass(frozen=True)
class BuiltinRule:
    """One entry of `policies/builtin/rules.yaml`: its group (what reports it), its metadata,
    and `why`, the catalogue's line (reports use `meta.help`, which is `why` unless the file
    says otherwise)."""

    group: str
    meta: RuleMeta
    why: str


_RULE_FIELDS = {"id", "severity", "title", "why", "help", "fix"}


@functools.cache
def builtin_rules() -> tuple[BuiltinRule, ...]:
    """The built-in rules in file order (read once per process)."""
    name = f"policies/{BUILTIN_RULES_FILE}"
    document = load_yaml(bundled_dir("policies") / BUILTIN_RULES_FILE, name)
    if not isinstance(document.data, dict):
        raise InputError("expected a mapping of rule groups", name, 1)
    rules = []
    for group, entries in document.data.items():
        if not isinstance(entries, list):
            raise InputError(f"group {group!r} must be a list of rules", name,
                             document.line_of(f"/{group}"))
        for index, raw in enumerate(entries):
            line = document.line_of(f"/{group}/{index}")
            if not isinstance(raw, dict) or set(raw) - _RULE_FIELDS or not {
                    "id", "severity", "title", "why"} <= set(raw):
                raise InputError("a built-in rule is a mapping of id, severity, title, why and "
                                 "optional help and fix", name, line)
            try:
                severity = Severity.parse(str(raw["severity"]))
            except ValueError as exc:
                raise InputError(str(exc), name, line) from None
            why = str(raw["why"])
            meta = RuleMeta(str(raw["id"]), str(raw["title"]), severity,
                            str(raw.get("help", why)), str(raw.get("fix", "")))
            rules.append(BuiltinRule(str(group), meta, why))
    return tuple(rules)


def rule_metas(*groups: str) -> dict[str, RuleMeta]:
    """The metadata of the built-in rules in `groups`, by id: what a check kind adds to the
    run's rules (`ctx.rules`) for the reports."""
    return {rule.meta.id: rule.meta for rule in builtin_rules() if rule.group in groups}


def rule_meta(rule_id: str) -> RuleMeta:
    """One built-in rule's metadata (its title, severity and fix for the findings it makes)."""
    for rule in builtin_rules():
        if rule.meta.id == rule_id:
            return rule.meta
    raise KeyError(rule_id)
