"""Routing scenarios: given provider states, when a request (or a role, or a slot), then the
expected model, status, rule or role state. `gates run routing-scenarios` runs them as a gate.

Scenario files live in `<spine root>/scenarios/*.yaml` (the repository's own set for the
reference spine). Each file holds `scenarios:`, a list; a file may name `ccr_config:` (a router
config, relative to the file and inside the scenarios directory) to explain instead of the SSOT.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.ccr.live import read_live_config
from spine_gates.checks.interface import rule_meta
from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import Document, load_yaml
from spine_gates.model.role_status import RoleStatus
from spine_gates.model.scope import inside_root
from spine_gates.model.spine import bundled_dir
from spine_gates.routing.explain import explain_request
from spine_gates.routing.fallback import Failures, Outcome, resolve
from spine_gates.routing.resilience import role_slots, role_view, slot_decision
from spine_gates.secrets.detect import register_found

SCENARIO_RULE = "SCEN-001"
_WHEN = ("request", "role", "slot")
_THEN = {"model", "status", "served_by", "rule", "role_state", "error_code", "scenario"}
_FIELDS = {"name", "description", "given", "when", "then"}


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    index: int
    passed: bool
    mismatches: tuple[tuple[str, Any, Any, int | None], ...]  # (field, expected, actual, line)
    actual: dict[str, Any]


def scenario_dir(root: Path) -> Path | None:
    """`<root>/scenarios`, or the bundled set when checking the bundled reference spine.

    The spine's scenarios, the folder and each file, must resolve inside the root (exit 3
    before any is read otherwise)."""
    local = root / "scenarios"
    if local.is_dir():
        inside_root(root, "scenarios")
        for path in sorted(local.glob("*.yaml")):
            inside_root(root, f"scenarios/{path.name}")
        return local
    if local.exists() or local.is_symlink():  # skipping them would pass the gate unchecked
        raise InputError("is not a readable directory of scenario files", "scenarios")
    if root.resolve() == bundled_dir("spine").resolve() and bundled_dir("scenarios").is_dir():
        return bundled_dir("scenarios")
    return None


def _need(cond: bool, message: str, doc: Document, pointer: str) -> None:
    if not cond:
        raise InputError(message, doc.name, doc.line_of(pointer))


def _confined(base: Path, ref: str) -> Path | None:
    """`base/ref` when it stays inside `base` after resolving links; otherwise None.

    Scenario files are data a reviewer may not read closely: a reference that reaches outside the
    scenarios directory (`/home/me/.claude-code-router/config.json`, `../../secrets.json`) would
    make a gate read, and report on, files the spine does not govern."""
    if "\0" in ref or Path(ref).is_absolute():
        return None
    target = base / ref
    try:
        resolved, home = target.resolve(), base.resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop: let the reader report it
        return target
    return target if resolved.is_relative_to(home) else None


def run_file(path: Path, name: str, base_config: dict[str, Any],
             roles: dict[str, list[str]], supports_fallback: bool = True
             ) -> list[ScenarioResult]:
    """Run every scenario of one file against `base_config` (or the file's own ccr_config)."""
    doc = load_yaml(path, name)
    data = doc.data
    _need(isinstance(data, dict) and isinstance(data.get("scenarios"), list),
          "a scenario file needs a 'scenarios:' list", doc, "")
    config = base_config
    if data.get("ccr_config") is not None:
        ref = data["ccr_config"]
        _need(isinstance(ref, str) and bool(ref.strip()), "'ccr_config' must be a path", doc,
              "/ccr_config")
        target = _confined(path.parent, ref)
        if target is None:
            raise InputError(f"'ccr_config' {ref!r} must stay inside the scenarios directory "
                             "(a relative path, no '..' out of it, no link pointing outside)",
                             doc.name, doc.line_of("/ccr_config"))
        config = read_live_config(target, f"{name}: {ref}").data
    results = []
    for index, scenario in enumerate(data["scenarios"]):
        pointer = f"/scenarios/{index}"
        _need(isinstance(scenario, dict), "a scenario must be a mapping", doc, pointer)
        unknown = sorted(set(scenario) - _FIELDS)
        _need(not unknown, f"unknown scenario field {unknown[0]!r}" if unknown else "", doc,
              f"{pointer}/{unknown[0]}" if unknown else pointer)
        results.append(_run_one(scenario, index, doc, config, roles, supports_fallback))
    return results


def _run_one(scenario: dict[str, Any], index: int, doc: Document, config: dict[str, Any],
             roles: dict[str, list[str]], supports_fallback: bool) -> ScenarioResult:
    pointer = f"/scenarios/{index}"
    name = str(scenario.get("name") or f"scenario {index + 1}")
    given = scenario.get("given") or {}
    _need(isinstance(given, dict), "'given' must be a mapping", doc, f"{pointer}/given")
    states = given.get("providers") or {}
    _need(isinstance(states, dict), "'given.providers' maps provider[/model] to a state", doc,
          f"{pointer}/given/providers")
    failures = Failures.from_mapping(states, f"{doc.name}:{doc.line_of(pointer + '/given')}")
    when: Any = scenario.get("when")
    _need(isinstance(when, dict) and sum(k in when for k in _WHEN) == 1,
          "'when' needs exactly one of request, role, slot", doc, f"{pointer}/when")
    then: Any = scenario.get("then")
    _need(isinstance(then, dict) and bool(then), "'then' needs at least one expectation", doc,
          f"{pointer}/then")
    unknown = sorted(set(then) - _THEN)
    _need(not unknown, f"unknown expectation {unknown[0]!r} (known: {', '.join(sorted(_THEN))})"
          if unknown else "", doc, f"{pointer}/then")

    actual: dict[str, Any] = {}
    outcome: Outcome | None = None
    if "request" in when:
        body = when["request"]
        _need(isinstance(body, dict), "'when.request' must be a Messages body", doc,
              f"{pointer}/when/request")
        explanation = explain_request(body, config, failures,
                                      supports_fallback=supports_fallback, exact_tokens=False)
        outcome = explanation.outcome
        actual["rule"] = explanation.decision.rule
        actual["scenario"] = explanation.decision.scenario
    elif "slot" in when:
        decision = slot_decision(str(when["slot"]), config)
        _need(decision is not None, f"slot {when['slot']!r} is not configured", doc,
              f"{pointer}/when/slot")
        assert decision is not None
        outcome = resolve(decision, config, failures, supports_fallback=supports_fallback)
        actual["rule"] = decision.rule
        actual["scenario"] = decision.scenario
    else:
        role = str(when["role"])
        _need(role in roles, f"unknown role {role!r}", doc, f"{pointer}/when/role")
        view = role_view(role, roles[role], config, failures, supports_fallback)
        actual["role_state"] = view.status.value
        actual["slots"] = view.describe()
        outcome = view.slots[0].outcome if view.slots else None
    if outcome is not None:
        actual["model"] = outcome.model_ref
        actual["status"] = outcome.status
        actual["served_by"] = outcome.served_by
        actual["error_code"] = ((outcome.error or {}).get("error") or {}).get("code") \
            if isinstance((outcome.error or {}).get("error"), dict) else None
        if "role_state" not in actual:
            actual["role_state"] = {0: RoleStatus.HEALTHY.value, None: RoleStatus.DOWN.value
                                    }.get(outcome.served_by, RoleStatus.DEGRADED.value)
    mismatches = []
    for key, expected in then.items():
        got = actual.get(key)
        if key == "served_by" and expected == "primary":
            expected = 0
        if got != expected:
            mismatches.append((key, expected, got, doc.line_of(f"{pointer}/then/{key}")))
    return ScenarioResult(doc.name, name, index, not mismatches, tuple(mismatches), actual)


def findings_for(results: list[ScenarioResult]) -> list[Finding]:
    """SCEN-001 per unmet expectation. The message quotes the scenario's name and values, text
    the secrets pack may not have scanned in this run (the scenario gate alone), so any key in
    it is registered for redaction here."""
    out = []
    title = rule_meta(SCENARIO_RULE).title
    for result in results:
        for key, expected, got, line in result.mismatches:
            message = (f"scenario {result.name!r}: expected {key} {expected!r}, "
                       f"the router would give {got!r}")
            register_found(message)
            out.append(Finding(SCENARIO_RULE, Severity.ERROR, message, result.file, line,
                               f"/scenarios/{result.index}/then/{key}",
                               fix="Fix the chain or slot binding, or the expectation if the "
                                   "routing change is intended.", title=title))
    return out


def run_all(directory: Path, config: dict[str, Any], roles_registry: dict[str, Any],
            supports_fallback: bool = True) -> list[ScenarioResult]:
    roles = role_slots(roles_registry)
    results: list[ScenarioResult] = []
    for path in sorted(directory.glob("*.yaml")):
        results.extend(run_file(path, f"scenarios/{path.name}", config, roles,
                                supports_fallback))
    return results
