"""Baselines: accept today's findings when adopting the tool, flag only new ones.

Keyed by finding fingerprints (rule, file, pointer, message), which do not change when lines move.
"""

from __future__ import annotations

from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import read_json
from spine_gates.model.scope import inside_root
from spine_gates.spine_files import BASELINE_FILE as BASELINE_FILE  # re-exported


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


def apply_baseline(findings: list[Finding], baseline: dict[str, str]) -> list[Finding]:
    return [
        f.suppress("baseline", "accepted in the baseline")
        if not f.suppressed and f.fingerprint in baseline
        else f
        for f in findings
    ]


def baseline_entries(findings: list[Finding]) -> list[dict[str, str]]:
    """What a baseline accepts: active errors and warnings (info never fails a gate, and is
    often about this machine, like a missing live proxy config), one entry per fingerprint."""
    unique = {
        f.fingerprint: {"fingerprint": f.fingerprint, "rule": f.rule, "file": f.file,
                        "pointer": f.pointer}
        for f in findings
        if not f.suppressed and f.severity is not Severity.INFO
    }
    return sorted(unique.values(),
                  key=lambda e: (e["file"], e["pointer"], e["rule"], e["fingerprint"]))


def write_baseline(root: Path, findings: list[Finding], name: str = BASELINE_FILE) -> int:
    """Write the baseline atomically (sorted, so the file diffs cleanly); return its size."""
    import json

    from spine_gates.atomic import write_atomic

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
