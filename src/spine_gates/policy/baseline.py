"""Baselines: accept today's findings when adopting the tool, flag only new ones.

Keyed by finding fingerprints (rule, file, pointer, message), which do not change when lines move.
A leaked key is never accepted: it is already out (in the history, in clones), so the only fix is
to remove and rotate it. `baseline create` refuses while one is found, and an entry that covers
one (written by hand or by an older version) does not suppress it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from spine_gates.errors import EXIT_VIOLATIONS, GatesError, InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import read_json
from spine_gates.model.scope import inside_root
from spine_gates.secrets.redact import redact_text
from spine_gates.spine_files import BASELINE_FILE as BASELINE_FILE  # re-exported

# The findings that mean a key is in the spine (a literal, a key format, URL credentials, a
# random-looking credential value); SEC-004/005/006 are about references and can be accepted.
LEAKED_KEY_RULES = frozenset({"SEC-001", "SEC-002", "SEC-003", "SEC-007"})


def is_leaked_key(finding: Finding) -> bool:
    return finding.rule in LEAKED_KEY_RULES


def not_accepted(finding: Finding, by: str) -> Finding:
    """A leaked-key finding an acceptance (`by`: a baseline or waiver) would have covered: it stays
    active and says why. The fingerprint is kept, so reports and receipts still match it."""
    if "; rotate it: " in finding.message:  # a waiver said so already
        return finding
    return replace(finding, message=f"{finding.message}; rotate it: {by} cannot accept a leaked "
                                    "key, it is out already")


class LeakedKeyRefused(GatesError):
    """`baseline create` with leaked keys found: exit 1, like a failed gate; nothing written."""

    exit_code = EXIT_VIOLATIONS


def load_baseline(root: Path, name: str = BASELINE_FILE) -> dict[str, str]:
    path = root / name
    if not path.exists():
        return {}
    data = read_json(inside_root(root, name), name)
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError("expected {\"findings\": [...]}", name, 1)
    out = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise InputError("each baseline entry needs a 'fingerprint'", name)
        out[entry["fingerprint"]] = str(entry.get("rule", ""))
    return out


def apply_baseline(findings: list[Finding], baseline: dict[str, str],
                   name: str = BASELINE_FILE) -> list[Finding]:
    out = []
    for f in findings:
        if f.suppressed or f.fingerprint not in baseline:
            out.append(f)
        elif is_leaked_key(f):
            out.append(not_accepted(f, f"the entry {f.fingerprint} in {name}"))
        else:
            out.append(f.suppress("baseline", "accepted in the baseline"))
    return out


def baseline_entries(findings: list[Finding]) -> list[dict[str, str]]:
    """What a baseline accepts: active errors and warnings (info never fails a gate, and is
    often about this machine, like a missing live proxy config), one entry per fingerprint."""
    # The file is committed: a pointer or path naming a key (a mapping key, `~1`-escaped or not)
    # is written as the reports write it, through redaction.
    unique = {
        f.fingerprint: {"fingerprint": f.fingerprint, "rule": f.rule,
                        "file": redact_text(f.file), "pointer": redact_text(f.pointer)}
        for f in findings
        if not f.suppressed and f.severity is not Severity.INFO
    }
    return sorted(unique.values(),
                  key=lambda e: (e["file"], e["pointer"], e["rule"], e["fingerprint"]))


def write_baseline(root: Path, findings: list[Finding], name: str = BASELINE_FILE) -> int:
    """Write the baseline atomically (sorted, so the file diffs cleanly); return its size."""
    # The hook imports this module for a spine with waivers or a baseline; only `baseline create`
    # writes one (tempfile and its archive modules are not worth loading there).
    from spine_gates.atomic import write_atomic

    leaked = [f for f in findings if is_leaked_key(f) and not f.suppressed]
    if leaked:
        where = sorted({f"{f.location() or '-'} ({f.rule})" for f in leaked})
        raise LeakedKeyRefused(
            f"refusing to write {name}: {len(where)} leaked key(s) found; a baseline cannot "
            "accept a key that is out already; remove each key from the spine and rotate it "
            "(`gates run secret-refs` shows fingerprints and fixes), then create the baseline. "
            "Leaked keys at: " + ", ".join(where))
    entries = baseline_entries(findings)
    payload = json.dumps({"version": 1, "findings": entries}, indent=2) + "\n"
    target = inside_root(root, name)
    if target.is_dir():
        raise InputError("is a directory, expected a file; nothing written", name)
    try:
        write_atomic(target, payload)
    except OSError as exc:
        raise InputError(f"cannot write the baseline: {exc.strerror or exc}", name) from None
    return len(entries)
