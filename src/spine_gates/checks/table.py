"""The tables of check implementations, and the gate files that name check kinds.

Each table maps a name to `module:function`, imported only when a gate or rule uses it, so
loading a gate imports no check and `gates run registry-policy` imports only the checks it runs.
Adding a check kind or a named check is a module (importing `checks.interface` only) and one line
here; nothing registers itself at import time.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, cast

from spine_gates.checks.interface import CheckKind, GateDefinition, NamedCheck
from spine_gates.errors import InputError
from spine_gates.finding import Severity
from spine_gates.model.loader import load_yaml
from spine_gates.model.spine import bundled_dir

# A gate's `checks: [{kind: ...}]`.
CHECK_KINDS: dict[str, str] = {
    "schema": "spine_gates.policy.gate_kinds:schema",
    "yaml-coercion": "spine_gates.policy.gate_kinds:yaml_coercion",
    "policy": "spine_gates.policy.gate_kinds:policy",
    "ccr-proxy": "spine_gates.ccr.gate_kinds:proxy_safety",
    "litellm-proxy": "spine_gates.targets.litellm_safety:proxy_safety",
    "drift": "spine_gates.drift.gate_kinds:drift",
    "routing-scenarios": "spine_gates.routing.gate_kinds:scenarios",
    "routing-resilience": "spine_gates.routing.gate_kinds:resilience",
    "secret_refs": "spine_gates.secrets.gate_kinds:secret_refs",
}

# A rule's `assertion: check` with `args: {name: ...}`: what the vocabulary cannot express.
NAMED_CHECKS: dict[str, str] = {
    "survives_single_provider_outage":
        "spine_gates.routing.named_checks:survives_single_provider_outage",
    "primary_failure_can_fall_back":
        "spine_gates.routing.named_checks:primary_failure_can_fall_back",
    "image_slot_uses_default_chain":
        "spine_gates.routing.named_checks:image_slot_uses_default_chain",
    "secret_detected": "spine_gates.secrets.named_checks:secret_detected",
    "secret_reference_namespace": "spine_gates.secrets.named_checks:secret_reference_namespace",
}


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def check_kind(kind: str) -> CheckKind:
    """The implementation of a check kind (a name from CHECK_KINDS)."""
    return cast(CheckKind, _resolve(CHECK_KINDS[kind]))


def named_check(name: str) -> NamedCheck:
    """The implementation of a named check (a name from NAMED_CHECKS)."""
    return cast(NamedCheck, _resolve(NAMED_CHECKS[name]))


_GATE_FIELDS = {"name", "description", "checks", "fail_on", "kind", "spine_gate_id", "ring",
                "rule_params"}


def load_gate(path: Path) -> GateDefinition:
    """One gate file; each check must name a kind from CHECK_KINDS (none is imported here)."""
    name = f"gates/{path.name}"
    document = load_yaml(path, name)
    data = document.data
    if not isinstance(data, dict):
        raise InputError("a gate definition must be a mapping", name, 1)
    unknown = set(data) - _GATE_FIELDS
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"unknown gate field {key!r}", name, document.line_of(f"/{key}"))
    checks = data.get("checks")
    if not isinstance(checks, list) or not checks:
        raise InputError("a gate needs a non-empty 'checks' list", name, 1)
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or check.get("kind") not in CHECK_KINDS:
            raise InputError(
                f"check needs a known 'kind' (one of {', '.join(sorted(CHECK_KINDS))})",
                name,
                document.line_of(f"/checks/{index}"),
            )
    try:
        fail_on = Severity.parse(str(data.get("fail_on", "error")))
    except ValueError as exc:
        raise InputError(str(exc), name, document.line_of("/fail_on")) from None
    kind = str(data.get("kind", "policy"))
    if kind not in ("policy", "drift"):
        raise InputError("'kind' must be policy or drift", name, document.line_of("/kind"))
    return GateDefinition(
        name=str(data.get("name") or path.stem),
        description=str(data.get("description", "")).strip(),
        checks=tuple(checks),
        fail_on=fail_on,
        kind=kind,
        spine_gate_id=str(data.get("spine_gate_id", "")),
        ring=str(data.get("ring", "standard")),
        rule_params=dict(data.get("rule_params") or {}),
        source=name,
    )


def load_gates(directory: Path | None = None) -> dict[str, GateDefinition]:
    """The gates in `directory` (default: the shipped `gates/`), by name."""
    directory = directory or bundled_dir("gates")
    gates = {}
    for path in sorted(directory.glob("*.yaml")):
        gate = load_gate(path)
        gates[gate.name] = gate
    return gates
