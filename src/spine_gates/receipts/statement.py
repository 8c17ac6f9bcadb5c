"""The in-toto Statement v1 a receipt carries: governed files as subjects, the run as predicate.

Every string in the predicate passes through the one redaction service before it is signed, so a
receipt can be published without leaking what a finding quoted.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import secrets as _secrets
import string
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.errors import InputError
from spine_gates.policy.waivers import load_waivers
from spine_gates.report.json_format import finding_dict
from spine_gates.secrets.redact import redact_text
from spine_gates.spine_files import POLICIES_DIR, SCENARIOS_DIR, settings_files

if TYPE_CHECKING:
    from spine_gates.checks.interface import GateResult

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://spine-gates.dev/gate-run/v1"
# A failover apply/revert (failover/receipt.py): the gate-run fields plus what changed.
FAILOVER_PREDICATE_TYPE = "https://spine-gates.dev/failover/v1"
PREDICATE_TYPES = (PREDICATE_TYPE, FAILOVER_PREDICATE_TYPE)
LIVE_CONFIG_SUBJECT = "live-config:redacted"
RUN_KEY = re.compile(r"^CAP-\d{8}-\d{6}__gates\.[A-Za-z0-9_.-]+__R[A-Z0-9]{4}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_ALPHABET = string.ascii_uppercase + string.digits


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def rfc3339(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_key(gate: str, when: _dt.datetime) -> str:
    """The spine's run key form: `CAP-YYYYMMDD-HHMMSS__gates.<gate>__R<4 chars>`."""
    suffix = "".join(_secrets.choice(_ALPHABET) for _ in range(4))
    return f"CAP-{when.astimezone(_dt.UTC):%Y%m%d-%H%M%S}__gates.{gate}__R{suffix}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()




def governed_files(root: Path, registries: Iterable[str],
                   reads: Collection[str] | None = None) -> list[str]:
    """Every governed file present in the spine, root-relative and sorted: the registries, the
    settings, waivers and baseline, the spine's own rule packs (`policies/*.yaml`), and each file
    under `scenarios/` (scenario files and the router configs they name).

    `reads` limits the optional folders to those a gate reads (`GateDefinition.reads`), so a
    receipt names only what its gate judged: the pre-commit gate's passing receipt must not
    vouch for scenario files it never read. None: all of them (today's spine, for comparing)."""
    files = set(registries)
    files.update(name for name in settings_files() if (root / name).is_file())
    packs = root / POLICIES_DIR
    if (reads is None or POLICIES_DIR in reads) and packs.is_dir():
        files.update(f"{POLICIES_DIR}/{path.name}" for path in packs.glob("*.yaml")
                     if not path.name.startswith(".") and path.is_file())
    scenarios = root / SCENARIOS_DIR
    if (reads is None or SCENARIOS_DIR in reads) and scenarios.is_dir():
        for folder, dirs, names in os.walk(scenarios):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for name in names:
                path = Path(folder, name)
                if not name.startswith(".") and path.is_file():
                    files.add(path.relative_to(root).as_posix())
    return sorted(files)


def folder_of(name: str) -> str:
    """The optional folder a governed file belongs to (`policies`, `scenarios`), else ""."""
    head = name.split("/", 1)[0]
    return head if head in (POLICIES_DIR, SCENARIOS_DIR) and "/" in name else ""


def governed_subjects(root: Path, files: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """One subject per governed file: its root-relative path and the SHA-256 of its bytes."""
    subjects = []
    for name in sorted(set(files)):
        if Path(name).is_absolute() or ".." in Path(name).parts:
            continue  # only files inside the spine are governed; a live config has its own subject
        path = root / name
        if not path.is_file():
            raise InputError("governed file vanished before the receipt was written", name)
        subjects.append({"name": name, "digest": {"sha256": sha256_file(path)}})
    return subjects


def _normal_digest(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    text = text.removeprefix("sha256:")
    return text if SHA256_HEX.fullmatch(text) else None


def policy_digest(directory: Path) -> str:
    """SHA-256 over the rule packs: a `sha256sum`-style manifest of the sorted files, hashed."""
    lines = []
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            lines.append(f"{sha256_file(path)}  {path.relative_to(directory).as_posix()}\n")
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _redact(value: Any) -> Any:

    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}  # keys are this module's field names
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    return value


def _waivers_used(result: GateResult) -> list[dict[str, Any]]:
    """The waivers that suppressed findings in this run, with owner and expiry for the audit."""

    try:
        waivers = load_waivers(Path(result.root))
    except InputError:
        waivers = []
    used: dict[tuple[str, str, str], dict[str, Any]] = {}
    for finding in result.findings:
        if finding.suppressed_by != "waiver":
            continue
        # the live waiver apply_waivers chose: its reason text is the suppression reason
        waiver = next((w for w in waivers if w.covers(finding) and finding.suppression_reason
                       == f"{w.reason} ({w.owner}, until {w.expires})"), None)
        entry: dict[str, Any]
        if waiver is None:
            key = (finding.rule, finding.file, finding.pointer)
            entry = {"rule": finding.rule, "file": finding.file, "pointer": finding.pointer,
                     "owner": "", "expires": _expiry_from_reason(finding.suppression_reason),
                     "reason": finding.suppression_reason}
        else:
            key = (waiver.rule, waiver.file, waiver.pointer)
            entry = {"rule": waiver.rule, "file": waiver.file, "pointer": waiver.pointer,
                     "owner": waiver.owner, "expires": waiver.expires.isoformat(),
                     "reason": waiver.reason}
        entry = used.setdefault(key, {**entry, "findings": []})
        entry["findings"].append(finding.fingerprint)
    return [used[k] for k in sorted(used)]


def _expiry_from_reason(reason: str) -> str:
    match = re.search(r"until (\d{4}-\d{2}-\d{2})\)\s*$", reason)
    return match.group(1) if match else ""


def live_config_digests(results: list[GateResult]) -> list[str]:
    """The redacted live config digests drift gates put in `extras["live_config_digest"]`."""
    found = (_normal_digest(r.extras.get("live_config_digest")) for r in results)
    return list(dict.fromkeys(d for d in found if d))


def build_statement(result: GateResult, *, run_key_value: str, when: _dt.datetime,
                    previous: str | None, tool_version: str, git: dict[str, Any] | None,
                    policies: str, subjects: list[dict[str, Any]],
                    live_digests: list[str] | None = None) -> dict[str, Any]:
    """The Statement for one gate run (subjects computed by the caller, so they can be reused)."""

    subject = list(subjects)
    live = live_digests if live_digests is not None else live_config_digests([result])
    for index, digest in enumerate(live):
        name = LIVE_CONFIG_SUBJECT if index == 0 else f"{LIVE_CONFIG_SUBJECT}#{index + 1}"
        subject.append({"name": name, "digest": {"sha256": digest}})
    # Machine-made values (digests, time, run key) are ours and carry no secrets; everything
    # that came from the spine or a finding is redacted.
    predicate = _redact({
        "gate": result.gate,
        "gates": list(result.gates),
        "verdict": {"passed": result.passed, "exitCode": result.exit_code,
                    "summary": result.summary()},
        "findings": [finding_dict(f) for f in result.findings if not f.suppressed],
        "waivers": _waivers_used(result),
        "baselined": sum(1 for f in result.findings if f.suppressed_by == "baseline"),
        "tool": {"name": "spine-gates", "version": tool_version},
        "git": git,
    })
    predicate.update({"runKey": run_key_value, "policyDigest": policies, "time": rfc3339(when),
                      "previous": previous})
    return {"_type": STATEMENT_TYPE, "subject": subject, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}
