"""Rule packs: loading `policies/*.yaml` into validated, pre-compiled Rule objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.visitor

from spine_gates.checks.interface import builtin_rules
from spine_gates.errors import InputError
from spine_gates.finding import Severity
from spine_gates.model.loader import Document, load_yaml
from spine_gates.model.scope import inside_root
from spine_gates.model.spine import bundled_dir
from spine_gates.policy.assertions import ASSERTIONS

RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*-\d{3}$")
_RULE_FIELDS = {"id", "title", "severity", "rationale", "select", "assert", "message", "fix",
                "params"}
_REQUIRED = ("id", "title", "severity", "select", "assert", "message", "fix")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    rationale: str
    select: Expression
    select_text: str
    assertion: str
    args: dict[str, Any]
    message: str
    fix: str
    pack: str
    source: str
    line: int | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RulePack:
    name: str
    description: str
    rules: tuple[Rule, ...]
    source: str


class Expression:
    """A compiled JMESPath expression, evaluated without per-call set-up.

    `jmespath`'s own `ParsedResult.search` builds a new interpreter (and its method cache) on
    every call, and rules call it once per item; one shared interpreter gives the same results.
    The two commonest shapes are done directly, step for step as jmespath's interpreter does them:
    a bare field (`provider`) and a flattened field (`roles[]`, the usual selector).
    """

    __slots__ = ("expression", "parsed", "_field", "_flatten")

    def __init__(self, expression: str, parsed: dict[str, Any]) -> None:
        self.expression = expression
        self.parsed = parsed
        self._field: str | None = None
        self._flatten = False
        if parsed.get("type") == "field":
            self._field = parsed["value"]
        elif parsed.get("type") == "projection":
            base, step = parsed["children"]
            inner = base["children"][0] if base.get("type") == "flatten" else {}
            if step.get("type") == "identity" and inner.get("type") == "field":
                self._field, self._flatten = inner["value"], True

    def search(self, value: Any) -> Any:
        if self._field is None:
            return _INTERPRETER.visit(self.parsed, value)  # type: ignore[arg-type]
        try:
            found = value.get(self._field)
        except AttributeError:
            found = None
        if not self._flatten:
            return found
        if not isinstance(found, list):
            return None
        merged: list[Any] = []
        for element in found:
            if isinstance(element, list):
                merged.extend(element)
            else:
                merged.append(element)
        return [element for element in merged if element is not None]

    def __repr__(self) -> str:
        return f"Expression({self.expression!r})"


_INTERPRETER = jmespath.visitor.TreeInterpreter()
_EXPRESSIONS: dict[str, Expression] = {}


def compile_expression(text: str, where: str, line: int | None) -> Expression:
    """Compile a JMESPath expression once; a syntax error is an input error at its rule."""
    if text not in _EXPRESSIONS:
        try:
            parsed = jmespath.compile(text)
        except jmespath.exceptions.JMESPathError as exc:
            detail = str(exc).splitlines()[0]
            raise InputError(f"bad JMESPath {text!r}: {detail}", where, line) from None
        _EXPRESSIONS[text] = Expression(text, parsed.parsed)  # type: ignore[arg-type]
    return _EXPRESSIONS[text]


def load_pack(path: Path, name: str | None = None) -> RulePack:
    document = load_yaml(path, name or str(path))
    data = document.data
    where = document.name
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InputError("a rule pack needs a 'rules:' list", where, 1)
    pack_name = str(data.get("pack") or path.stem)
    rules = []
    for index, raw in enumerate(data["rules"]):
        pointer = f"/rules/{index}"
        line = document.line_of(pointer)
        rules.append(_rule(raw, pack_name, document, pointer, line, ASSERTIONS))
    return RulePack(pack_name, str(data.get("description", "")), tuple(rules), where)


def _rule(raw: Any, pack: str, document: Document, pointer: str, line: int | None,
          assertions: dict[str, Any]) -> Rule:
    where = document.name
    if not isinstance(raw, dict):
        raise InputError("each rule must be a mapping", where, line)
    unknown = set(raw) - _RULE_FIELDS
    if unknown:
        field_name = sorted(unknown)[0]
        raise InputError(f"unknown rule field {field_name!r}", where,
                         document.line_of(f"{pointer}/{field_name}"))
    for required in _REQUIRED:
        if required not in raw:
            raise InputError(f"rule is missing {required!r}", where, line)
    rule_id = raw["id"]
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise InputError(f"rule id {rule_id!r} must look like ABC-001", where, line)
    try:
        severity = Severity.parse(str(raw["severity"]))
    except ValueError as exc:
        raise InputError(str(exc), where, document.line_of(f"{pointer}/severity")) from None
    spec = raw["assert"]
    if not isinstance(spec, dict) or len(spec) != 1:
        raise InputError(f"{rule_id}: 'assert' must hold exactly one assertion", where,
                         document.line_of(f"{pointer}/assert"))
    (kind, args), = spec.items()
    if kind not in assertions:
        raise InputError(
            f"{rule_id}: unknown assertion {kind!r} (known: {', '.join(sorted(assertions))})",
            where,
            document.line_of(f"{pointer}/assert"),
        )
    args = assertions[kind].prepare(args, rule_id, where, document.line_of(f"{pointer}/assert"),
                                    compile_expression)
    select_text = raw["select"]
    if not isinstance(select_text, str):
        raise InputError(f"{rule_id}: 'select' must be a JMESPath string", where, line)
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise InputError(f"{rule_id}: 'params' must be a mapping", where, line)
    return Rule(
        id=rule_id,
        title=str(raw["title"]),
        severity=severity,
        rationale=str(raw.get("rationale", "")).strip(),
        select=compile_expression(select_text, where, document.line_of(f"{pointer}/select")),
        select_text=select_text,
        assertion=kind,
        args=args,
        message=str(raw["message"]),
        fix=str(raw["fix"]).strip(),
        pack=pack,
        source=where,
        line=line,
        params=params,
    )


SPINE_POLICY_DIR = "policies"


def load_packs(directory: Path, names: list[str] | None = None) -> list[RulePack]:
    """Load the packs in `directory` (all, or those named), refusing duplicate rule ids."""
    if not directory.is_dir():
        raise InputError("policy directory not found", str(directory))
    paths = sorted(directory.glob("*.yaml"))
    packs = []
    for path in paths:
        packs.append(load_pack(path, f"{directory.name}/{path.name}"))
    if names is not None:
        known = {pack.name: pack for pack in packs}
        missing = [n for n in names if n not in known]
        if missing:
            raise InputError(f"unknown policy pack {missing[0]!r} (known: {', '.join(known)})")
        packs = [known[n] for n in names]
    _refuse_duplicates(packs)
    return packs


def _refuse_duplicates(packs: list[RulePack]) -> None:
    seen: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                raise InputError(f"rule id {rule.id} also defined in {seen[rule.id]}",
                                 pack.source, rule.line)
            seen[rule.id] = pack.source


def spine_pack_dir(root: Path) -> Path | None:
    """The spine's own rule packs, `<root>/policies/`, when it has any (conftest's convention).

    None when there is no such folder, or when it holds only byte-identical copies of the shipped
    packs (this repository, or a spine that vendors them). A `policies` that is not a readable
    directory is bad input: skipping it would pass every rule in it unchecked."""
    return _own_packs(root)[0]


def _same_bytes(shipped: Path, local: Path) -> bool:
    try:
        return shipped.is_file() and shipped.read_bytes() == local.read_bytes()
    except OSError:  # unreadable: load_pack reports it with the file name
        return False


def _own_packs(root: Path) -> tuple[Path | None, list[Path]]:
    local = root / SPINE_POLICY_DIR
    if not local.exists() and not local.is_symlink():
        return None, []
    if not local.is_dir():
        raise InputError("is not a readable directory of rule packs", SPINE_POLICY_DIR)
    shipped = bundled_dir("policies")
    if local.resolve() == shipped.resolve():
        return None, []
    inside_root(root, SPINE_POLICY_DIR)  # the spine's packs live inside it: checked before a read
    own = []
    for path in sorted(local.glob("*.yaml")):
        inside_root(root, f"{SPINE_POLICY_DIR}/{path.name}")
        if not _same_bytes(shipped / path.name, path):  # a vendored copy redefines nothing
            own.append(path)
    return (local, own) if own else (None, [])


def spine_packs(root: Path) -> list[RulePack]:
    """The spine's own packs, checked against what ships: a pack may not take a shipped pack's
    name and a rule may not take a shipped rule's id, declarative or built in (waivers,
    baselines and receipts refer to both)."""
    local, paths = _own_packs(root)
    if local is None:
        return []
    shipped = load_packs(bundled_dir("policies"))
    packs = [load_pack(path, f"{SPINE_POLICY_DIR}/{path.name}") for path in paths]
    names = {pack.name for pack in shipped}
    built_in = {rule.meta.id for rule in builtin_rules()}
    for pack in packs:
        if pack.name in names:
            raise InputError(f"pack name {pack.name!r} is a shipped pack; give yours another "
                             "name (`pack:` or the file name), or delete it if it is a copy "
                             "from another spine-gates version (the shipped packs always run)",
                             pack.source, 1)
        for rule in pack.rules:
            if rule.id in built_in:
                raise InputError(f"rule id {rule.id} is a built-in rule; give yours another id",
                                 pack.source, rule.line)
    _refuse_duplicates([*shipped, *packs])
    return packs
