"""The assertion vocabulary of declarative rules.

Each assertion takes the items a rule's selector yields and returns the violations: the item and
the template variables (and an optional more precise pointer) for the finding.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from spine_gates.checks.interface import EvalContext, Violation
from spine_gates.checks.table import NAMED_CHECKS, named_check
from spine_gates.errors import InputError
from spine_gates.model.loader import join_pointer
from spine_gates.model.scope import inside_root


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Assertion:
    """Base: `prepare` validates and compiles args at load time; `evaluate` runs them.

    The pack loader hands `prepare` its expression compiler (`rules.compile_expression`), so the
    vocabulary does not import the loader that imports it."""

    fields: dict[str, bool] = {}  # arg name -> is a JMESPath expression over the item

    def prepare(self, args: Any, rule_id: str, where: str, line: int | None,
                compile_expression: Callable[[str, str, int | None], Any]) -> dict[str, Any]:
        if not isinstance(args, dict):
            raise InputError(f"{rule_id}: assertion arguments must be a mapping", where, line)
        out: dict[str, Any] = {}
        for name, value in args.items():
            if name not in self.fields:
                raise InputError(f"{rule_id}: unexpected argument {name!r}", where, line)
            if self.fields[name] and isinstance(value, str):
                out[name] = compile_expression(value, where, line)
                out[f"{name}_text"] = value
            else:
                out[name] = value
        return self.validate(out, rule_id, where, line)

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        if "value" in self.fields and "value" not in args:
            raise InputError(f"{rule_id}: assertion needs 'value'", where, line)
        return args

    def evaluate(self, items: list[dict[str, Any]], args: dict[str, Any],
                 ctx: EvalContext) -> list[Violation]:
        out: list[Violation] = []
        for item in items:
            out.extend(self.check(item, args, ctx))
        return out

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        raise TypeError(f"{type(self).__name__} must implement check or evaluate")


def _search(args: dict[str, Any], name: str, data: Any) -> Any:
    expression = args.get(name)
    if expression is None or not hasattr(expression, "search"):
        return expression
    return expression.search(data)


def _sub_pointer(item: dict[str, Any], args: dict[str, Any], index: int | None) -> str | None:
    """A pointer to the checked field when `value` is a plain field name."""
    text = args.get("value_text")
    base = item.get("_pointer")
    if not isinstance(text, str) or base is None or not re.fullmatch(r"[A-Za-z_]\w*", text):
        return None
    pointer = join_pointer(base, text)
    return join_pointer(pointer, index) if index is not None else pointer


class Exists(Assertion):
    fields = {"fields": False}

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        names = args.get("fields")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(f"{rule_id}: exists needs 'fields', a list of names", where, line)
        return {"fields": names}

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        return [
            Violation(item, {"field": name}, None)
            for name in args["fields"]
            if _missing(item.get(name))
        ]


class MemberOf(Assertion):
    """`value` (each element, if a list) must be in `set` (over the view) or `item_set`."""

    fields = {"value": True, "set": True, "item_set": True}
    negate = False

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        super().validate(args, rule_id, where, line)
        if ("set" in args) == ("item_set" in args):
            raise InputError(f"{rule_id}: give exactly one of 'set' or 'item_set'", where, line)
        return args

    def evaluate(self, items: list[dict[str, Any]], args: dict[str, Any],
                 ctx: EvalContext) -> list[Violation]:
        shared = None
        if "set" in args:
            shared = _search(args, "set", ctx.view)
            shared = set(map(_hashable, _as_list(shared)))
        out = []
        for item in items:
            allowed = shared
            if allowed is None:
                allowed = set(map(_hashable, _as_list(_search(args, "item_set", item))))
            value = _search(args, "value", item)
            values = value if isinstance(value, list) else [value]
            for index, element in enumerate(values):
                if element is None:
                    continue
                if (_hashable(element) in allowed) == self.negate:
                    from spine_gates.suggest import did_you_mean  # a failing rule only

                    idx = index if isinstance(value, list) else None
                    extras = {"value": element, "did_you_mean": "" if self.negate
                              else did_you_mean(element, allowed)}
                    out.append(Violation(item, extras, _sub_pointer(item, args, idx)))
        return out



class NotMemberOf(MemberOf):
    negate = True


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


class Matches(Assertion):
    """`value` (each string element, if a list) must match `pattern` (re.search)."""

    fields = {"value": True, "pattern": False}
    negate = False

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        super().validate(args, rule_id, where, line)
        try:
            args["regex"] = re.compile(str(args["pattern"]))
        except (KeyError, re.error) as exc:
            raise InputError(f"{rule_id}: needs a valid 'pattern' ({exc})", where, line) from None
        return args

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value = _search(args, "value", item)
        values = value if isinstance(value, list) else [value]
        out = []
        for index, element in enumerate(values):
            if element is None:
                continue
            hit = bool(args["regex"].search(str(element)))
            if hit == self.negate:
                idx = index if isinstance(value, list) else None
                out.append(Violation(item, {"value": element}, _sub_pointer(item, args, idx)))
        return out


class NotMatches(Matches):
    negate = True


class Unique(Assertion):
    """`value` must be unique across the selected items, within each `per` group."""

    fields = {"value": True, "per": True}

    def evaluate(self, items: list[dict[str, Any]], args: dict[str, Any],
                 ctx: EvalContext) -> list[Violation]:
        seen: dict[Any, dict[str, Any]] = {}
        out = []
        for item in items:
            value = _search(args, "value", item)
            if value is None:
                continue
            key = (_hashable(_search(args, "per", item)), _hashable(value))
            if key in seen:
                first = seen[key]
                out.append(Violation(item, {"value": value, "first": first.get("_pointer")}))
            else:
                seen[key] = item
        return out


class Distinct(Assertion):
    """The elements of the list `value` are distinct within each item."""

    fields = {"value": True}

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value = _search(args, "value", item)
        if not isinstance(value, list):
            return []
        seen: set[Any] = set()
        out = []
        for index, element in enumerate(value):
            key = _hashable(element)
            if key in seen:
                out.append(Violation(item, {"value": element}, _sub_pointer(item, args, index)))
            seen.add(key)
        return out


class Count(Assertion):
    """The length of `value` (a list or mapping; missing counts as 0) is within min..max."""

    fields = {"value": True, "min": False, "max": False}

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        super().validate(args, rule_id, where, line)
        for bound in ("min", "max"):
            if bound in args and not isinstance(args[bound], int):
                raise InputError(f"{rule_id}: count '{bound}' must be an integer", where, line)
        if "min" not in args and "max" not in args:
            raise InputError(f"{rule_id}: count needs 'min' or 'max'", where, line)
        return args

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value = _search(args, "value", item)
        count = len(value) if isinstance(value, list | dict) else (0 if value is None else 1)
        low, high = args.get("min"), args.get("max")
        if (low is not None and count < low) or (high is not None and count > high):
            return [Violation(item, {"count": count, "min": low, "max": high})]
        return []


class PathExists(Assertion):
    """`value` names a file relative to the spine root that exists (and stays inside it)."""

    fields = {"value": True}

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value = _search(args, "value", item)
        if not isinstance(value, str) or not value:
            return []
        pure = PurePosixPath(value)
        if pure.is_absolute() or ".." in pure.parts:
            return [Violation(item, {"value": value, "problem": "is outside the spine"},
                              _sub_pointer(item, args, None))]
        _inside_root(item, args, ctx, value)
        try:
            exists = (ctx.root / value).is_file()
        except OSError as exc:  # a name too long for the file system cannot name a file
            return [Violation(item, {"value": value, "problem": f"is not a usable path "
                                     f"({exc.strerror or exc})"}, _sub_pointer(item, args, None))]
        if not exists:
            return [Violation(item, {"value": value, "problem": "does not exist"},
                              _sub_pointer(item, args, None))]
        return []


def _inside_root(item: dict[str, Any], args: dict[str, Any], ctx: EvalContext,
                 value: str) -> None:
    """A named file that a link takes outside the spine root is bad input, not a finding: the
    spine's files live inside it, and nothing outside is looked at (exit 3 without reading)."""
    try:
        inside_root(ctx.root, value)
    except InputError as exc:
        file = str(item.get("_file", ""))
        pointer = _sub_pointer(item, args, None) or str(item.get("_pointer", ""))
        raise InputError(f"{value}: {exc.message}", file or None,
                         ctx.line_of(file, pointer) if file else None) from None


class MaxAgeDays(Assertion):
    """`value` is a YYYY-MM-DD date no more than `days` before today."""

    fields = {"value": True, "days": False}

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        super().validate(args, rule_id, where, line)
        if not isinstance(args.get("days"), int):
            raise InputError(f"{rule_id}: max_age_days needs integer 'days'", where, line)
        return args

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value = _search(args, "value", item)
        if value is None:
            return []
        days = int(ctx.params.get("days", args["days"]))
        try:
            date = _dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return [Violation(item, {"value": value, "age": "?", "days": days},
                              _sub_pointer(item, args, None))]
        age = (ctx.today - date).days
        if age > days:
            return [Violation(item, {"value": value, "age": age, "days": days},
                              _sub_pointer(item, args, None))]
        return []


class Equals(Assertion):
    """`value` equals `other` (both over the item)."""

    fields = {"value": True, "other": True}

    def check(self, item: dict[str, Any], args: dict[str, Any],
              ctx: EvalContext) -> list[Violation]:
        value, other = _search(args, "value", item), _search(args, "other", item)
        if value != other:
            return [Violation(item, {"value": value, "other": other})]
        return []


class Check(Assertion):
    fields = {"name": False, "args": False}

    def validate(self, args: dict[str, Any], rule_id: str, where: str,
                 line: int | None) -> dict[str, Any]:
        if args.get("name") not in NAMED_CHECKS:
            raise InputError(
                f"{rule_id}: unknown check {args.get('name')!r} "
                f"(known: {', '.join(sorted(NAMED_CHECKS))})",
                where,
                line,
            )
        return args

    def evaluate(self, items: list[dict[str, Any]], args: dict[str, Any],
                 ctx: EvalContext) -> list[Violation]:
        return named_check(args["name"])(items, dict(args.get("args") or {}), ctx)


ASSERTIONS: dict[str, Assertion] = {
    "exists": Exists(),
    "in": MemberOf(),
    "not_in": NotMemberOf(),
    "matches": Matches(),
    "not_matches": NotMatches(),
    "unique": Unique(),
    "distinct": Distinct(),
    "count": Count(),
    "path_exists": PathExists(),
    "max_age_days": MaxAgeDays(),
    "equals": Equals(),
    "check": Check(),
}
