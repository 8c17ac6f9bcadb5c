"""Waivers: a reasoned, owned, expiring exception for a rule at a file and/or pointer.

A waived finding is counted, never hidden. An expired waiver waives nothing and is itself reported
(WAIVER-001), so the violation is back in the result with the reason it was waived. A waiver that
could never match (an unknown rule, WAIVER-002; a spine file that does not exist, WAIVER-003) is
reported too, rather than left silently inert. The WAIVER rules are described with the other
built-in rules in policies/builtin/rules.yaml (group `waivers`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import posixpath
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from spine_gates.checks.interface import rule_meta
from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import load_yaml
from spine_gates.model.scope import inside_root
from spine_gates.policy.baseline import is_leaked_key, not_accepted
from spine_gates.spine_files import WAIVERS_FILE as WAIVERS_FILE  # re-exported

_FIELDS = {"rule", "file", "pointer", "reason", "owner", "expires"}
_WAIVABLE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-\d{3}$")  # REG-002, CCR-LOG-001
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    owner: str
    expires: _dt.date
    file: str = ""
    pointer: str = ""
    source: str = WAIVERS_FILE
    line: int | None = None
    index: int = 0  # its place in the `waivers:` list

    def covers(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.file and _norm(finding.file) != self.file:
            return False
        under = finding.pointer.startswith(self.pointer.rstrip("/") + "/")
        return not self.pointer or finding.pointer == self.pointer or under


def load_waivers(root: Path, name: str = WAIVERS_FILE) -> list[Waiver]:
    path = root / name
    if not path.exists() and not path.is_symlink():  # a broken link is an error, not "none"
        return []
    document = load_yaml(inside_root(root, name), name)
    data = document.data
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise InputError("expected a top-level 'waivers:' list", name, 1)
    waivers = []
    for index, raw in enumerate(data["waivers"]):
        line = document.line_of(f"/waivers/{index}")
        if not isinstance(raw, dict):
            raise InputError("each waiver must be a mapping", name, line)
        unknown = set(raw) - _FIELDS
        if unknown:
            raise InputError(f"unknown waiver field {sorted(unknown)[0]!r}", name, line)

        def field_line(key: str, index: int = index) -> int | None:
            return document.line_of(f"/waivers/{index}/{key}")

        for required in ("rule", "reason", "owner", "expires"):
            if raw.get(required) is None or (isinstance(raw[required], str)
                                             and not raw[required].strip()):
                raise InputError(f"waiver needs {required!r}", name, line)
        for key in ("rule", "reason", "owner", "file", "pointer"):
            if key in raw and raw[key] is not None and not isinstance(raw[key], str):
                raise InputError(f"waiver {key!r} must be a string, not "
                                 f"{type(raw[key]).__name__}", name, field_line(key))
        rule = raw["rule"].strip()
        if not _WAIVABLE.match(rule):
            raise InputError(f"waiver rule {rule!r} is not a rule id (like REG-002 or "
                             f"CCR-LOG-001)", name, field_line("rule"))
        file = (raw.get("file") or "").strip()
        if file and ("\\" in file or ".." in file.split("/")):
            raise InputError(f"waiver file {file!r} must be a path relative to the spine root "
                             "(or the absolute path a live-config finding names), without '..'",
                             name, field_line("file"))
        pointer = (raw.get("pointer") or "").strip()
        if pointer and (not pointer.startswith("/") or pointer == "/"):
            raise InputError(f"waiver pointer {pointer!r} must be a JSON pointer below the "
                             f"document root, like /roles/architect", name, field_line("pointer"))
        waivers.append(
            Waiver(
                rule=rule,
                reason=raw["reason"].strip(),
                owner=raw["owner"].strip(),
                expires=_expiry(raw["expires"], name, field_line("expires")),
                file=_norm(file),
                pointer=pointer,
                source=name,
                line=line,
                index=index,
            )
        )
    return waivers


def _norm(path: str) -> str:
    """One spelling of a path for matching: `./docs/x.yaml`, `docs//x.yaml` -> `docs/x.yaml`.

    Findings keep the spelling the spine's settings use for a registry; waivers may use another."""
    return posixpath.normpath(path) if path else ""


def _expiry(value: object, name: str, line: int | None) -> _dt.date:
    """A YAML date (`2027-01-31`) or the same as a quoted string; nothing looser."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        with contextlib.suppress(ValueError):  # 2027-02-30 matches the form, is no date
            return _dt.date.fromisoformat(value.strip())
    raise InputError(f"'expires' must be a YYYY-MM-DD date, not {value!r}", name, line)


def apply_waivers(findings: list[Finding], waivers: list[Waiver],
                  today: _dt.date) -> list[Finding]:
    """Mark findings covered by a live waiver; report expired waivers that still match."""
    out: list[Finding] = []
    expired_hits: dict[int, Waiver] = {}
    for finding in findings:
        if finding.suppressed:
            out.append(finding)
            continue
        match = None
        for index, waiver in enumerate(waivers):
            if waiver.covers(finding):
                if waiver.expires >= today:
                    match = waiver
                    break
                expired_hits[index] = waiver
        if match is not None and is_leaked_key(finding):
            at = f"{match.source}:{match.line}" if match.line else match.source
            out.append(not_accepted(finding, f"the waiver at {at}"))
        elif match is not None:
            out.append(finding.suppress(
                "waiver", f"{match.reason} ({match.owner}, until {match.expires})"))
        else:
            out.append(finding)
    for waiver in expired_hits.values():
        out.append(
            Finding(
                rule="WAIVER-001",
                severity=Severity.WARNING,
                title=rule_meta("WAIVER-001").title,
                message=(f"the waiver for {waiver.rule} ({waiver.owner}: {waiver.reason}) "
                         f"expired on {waiver.expires}; its findings count again"),
                file=waiver.source,
                line=waiver.line,
                pointer="",
                fix="Fix the finding, or renew the waiver with a new expiry and a reason.",
            )
        )
    return out


def inert_waivers(waivers: list[Waiver], known_rules: Collection[str], root: Path) -> list[Finding]:
    """WAIVER-002 for a waiver whose rule no pack or check defines, WAIVER-003 for one scoped to
    a spine-relative file that does not exist: either can never match a finding. `known_rules`
    is the whole catalogue, not only the rules of the gate running, so a waiver for another gate's
    rule is not unknown. An absolute `file` names a live config, which lives on other machines."""
    out = []
    for waiver in waivers:
        if waiver.rule not in known_rules:
            out.append(_inert(waiver, "WAIVER-002", "rule",
                              f"the waiver for {waiver.rule} names a rule no pack or check "
                              f"defines; it waives nothing",
                              "Correct the rule id (`gates policy rules` lists them), or remove "
                              "the waiver."))
        elif waiver.file and not os.path.isabs(waiver.file) \
                and not os.path.lexists(root / waiver.file):
            out.append(_inert(waiver, "WAIVER-003", "file",
                              f"the waiver for {waiver.rule} names {waiver.file}, which does not "
                              f"exist in the spine; it waives nothing",
                              "Point 'file' at the file its findings name (as reports show it, "
                              "relative to the spine root), or remove the waiver."))
    return out


def _inert(waiver: Waiver, rule: str, key: str, message: str, fix: str) -> Finding:
    return Finding(rule=rule, severity=Severity.WARNING, title=rule_meta(rule).title,
                   message=message, file=waiver.source, line=waiver.line,
                   pointer=f"/waivers/{waiver.index}/{key}", fix=fix)
