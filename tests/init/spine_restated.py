"""Restatements of the spine's own gates that anything spine-gates adds must pass.

The spine's scripts (`surfaces/verify/d63-capabilities-metadata-lock.sh`,
`d67-capability-map-lock.sh`, read from its public repository, 2026-03-05) need its checkout and
`yq`, so they cannot run here. These functions state the same checks over the parsed files; each
returns the failures as `D<N> FAIL: <what>` strings, empty when the gate would pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# D63's own enums; `plane` comes from the file's `schema.enums` when it has one.
SAFETY = ("read-only", "mutating", "destructive")
APPROVAL = ("auto", "manual", "operator")
ARG_PROTOCOL = ("passthrough", "argparse", "positional", "none")
PLANE = ("fabric", "domain_external")
SECRETS_PRECONDITIONS = ("secrets.binding", "secrets.auth.status")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _enums(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The file's `schema.enums` (the real spine's file has one), else D63's defaults."""
    enums: dict[str, tuple[str, ...]] = {"safety": SAFETY, "approval": APPROVAL,
                                         "arg_protocol": ARG_PROTOCOL, "plane": PLANE}
    schema = data.get("schema")
    declared = schema.get("enums") if isinstance(schema, dict) else None
    if isinstance(declared, dict):
        for name, values in declared.items():
            if isinstance(values, list):
                enums[name] = tuple(str(v) for v in values)
    return enums


def d63(path: Path, root: Path | None = None) -> list[str]:
    """D63 capabilities-metadata-lock over `path` (commands `./x` resolved against `root`)."""
    data = _load(path)
    if not isinstance(data, dict):
        return ["D63 FAIL: not a mapping"]
    fails = []
    if not data.get("version"):
        fails.append("D63 FAIL: missing .version")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(data.get("updated") or "")):
        fails.append(f"D63 FAIL: missing/invalid .updated (YYYY-MM-DD): {data.get('updated')!r}")
    caps = data.get("capabilities")
    if not isinstance(caps, dict) or not caps:
        return [*fails, "D63 FAIL: no capabilities found under .capabilities"]
    enums = _enums(data)
    for name, cap in caps.items():
        if not isinstance(cap, dict):
            fails.append(f"D63 FAIL: {name} is not a mapping")
            continue
        for field in ("description", "command", "safety", "approval"):
            if not cap.get(field):
                fails.append(f"D63 FAIL: {name} missing required field: {field}")
        for field in ("safety", "approval", "arg_protocol", "plane"):
            if field in cap and str(cap[field]) not in enums[field]:
                fails.append(f"D63 FAIL: {name} invalid {field}: {cap[field]!r} "
                             f"(expected {'|'.join(enums[field])})")
        if "arg_protocol" not in cap:  # required for new or changed entries
            fails.append(f"D63 FAIL: {name} missing required field: arg_protocol")
        outputs = cap.get("outputs")
        if not isinstance(outputs, list) or not outputs:
            fails.append(f"D63 FAIL: {name} missing/empty required field: outputs")
        requires = cap.get("requires") or []
        for required in requires:
            if required not in caps:
                fails.append(f"D63 FAIL: {name} requires unknown capability: {required}")
        if cap.get("touches_api") is True and not set(SECRETS_PRECONDITIONS) <= set(requires):
            fails.append(f"D63 FAIL: {name} touches_api=true but missing requires: "
                         "secrets.binding + secrets.auth.status")
        first = str(cap.get("command") or "").split(" ")[0]
        if first.startswith("./") and root is not None:
            target = root / first[2:]
            if not target.is_file():
                fails.append(f"D63 FAIL: {name} command target missing: {first}")
    return fails


def d67(capabilities: Path, capability_map: Path) -> list[str]:
    """D67 capability-map-lock: the map names every capability, and nothing else."""
    source = set((_load(capabilities) or {}).get("capabilities") or {})
    mapped = set((_load(capability_map) or {}).get("capabilities") or {})
    if not source:
        return ["D67 FAIL: no capabilities found in source"]
    if not mapped:
        return ["D67 FAIL: no capabilities found in map"]
    missing, phantom = sorted(source - mapped), sorted(mapped - source)
    if missing or phantom:
        return [f"D67 FAIL: map drift: missing {missing}, phantom {phantom}"]
    return []
