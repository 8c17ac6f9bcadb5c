"""Registers the `routing-scenarios` and `routing-resilience` check kinds with the gate runner.

Light on purpose: gates.py imports it whenever it loads a gate; the evaluator, the tokenizer
and the compiler are imported inside the checks.
"""

from __future__ import annotations

from typing import Any

from spine_gates.finding import Finding, Severity
from spine_gates.gates import GateDefinition, RuleMeta, RunContext, register

RULES = {
    "SCEN-001": ("A routing scenario's expectation does not hold", Severity.ERROR,
                 "A scenario states which model answers (or what the client sees) under given "
                 "provider states; the router, as the evaluator models it, would do otherwise.",
                 "Fix the chain or slot binding, or the expectation if the change is intended."),
    "SCEN-002": ("Routing not evaluated: the SSOT does not compile", Severity.INFO,
                 "Scenarios and resilience need the router config the SSOT compiles to.",
                 "Fix the registry findings (unknown providers, malformed refs) first."),
    "SCEN-000": ("Routing scenarios run", Severity.INFO,
                 "How many scenarios ran and passed.", ""),
    "ROLE-110": ("A proxy slot has a single point of failure", Severity.ERROR,
                 "One provider's outage leaves the slot unanswered: no fallback list for its "
                 "scenario, or every fallback on the same provider.",
                 "Add a fallback on another provider to the role bound to the slot."),
    "ROLE-111": ("A fallback entry names a provider the router does not register",
                 Severity.WARNING,
                 "The router skips a fallback whose provider is unknown or has no api_key, "
                 "silently.", "Register the provider or remove the entry."),
    "ROLE-112": ("Where fallback cannot help", Severity.INFO,
                 "Per slot: the providers that must all fail for it to go unanswered, and the "
                 "primary whose timeout or connection error is final in 2.0.", ""),
}


def rule_metas() -> list[RuleMeta]:
    """The rules these checks report, for SARIF and the rule catalogue."""
    return [RuleMeta(rule_id, title, severity, help_text, fix)
            for rule_id, (title, severity, help_text, fix) in RULES.items()]


def _meta(ctx: RunContext) -> None:
    ctx.rules.update({meta.id: meta for meta in rule_metas()})


def _compiled(ctx: RunContext, spec: dict[str, Any]
              ) -> tuple[dict[str, Any] | None, bool, list[Finding]]:
    """The compiled router config, or None and a finding when the SSOT does not compile (the
    registry rules report why; routing is then not evaluated rather than the run aborted)."""
    from spine_gates.ccr.compile import compile_ccr_config
    from spine_gates.ccr.profiles import get_profile
    from spine_gates.errors import InputError

    profile = get_profile(ctx.options.get("profile") or spec.get("profile"))
    try:
        return compile_ccr_config(ctx.model, profile), profile.supports_fallback, []
    except InputError as exc:
        # The registry rules report a registry's own faults; nothing else checks the spine's
        # settings (spine-gates.yaml `ccr:`), so a fault there fails the gate here.
        registries = {document.name for document in ctx.model.documents.values()}
        in_registry = exc.file in registries
        fix = RULES["SCEN-002"][3] if in_registry else \
            f"Fix the setting the message names in {exc.file or 'the spine settings'}."
        return None, profile.supports_fallback, [Finding(
            "SCEN-002", Severity.INFO if in_registry else Severity.ERROR,
            f"routing not evaluated: the SSOT does not compile to a router config "
            f"({exc.message})", exc.file or "", exc.line, title=RULES["SCEN-002"][0], fix=fix)]


@register("routing-scenarios")
def _scenarios(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.routing.scenarios import findings_for, run_all, scenario_dir

    _meta(ctx)
    directory = scenario_dir(ctx.root)
    if directory is None:  # a spine without scenarios: nothing to check, nothing to report
        return []
    config, fallback, problems = _compiled(ctx, spec)
    if config is None:
        return problems
    results = run_all(directory, config, ctx.model.roles, fallback)
    passed = sum(r.passed for r in results)
    summary = Finding("SCEN-000", Severity.INFO, f"{passed}/{len(results)} routing scenarios "
                      "hold", "scenarios/", title=RULES["SCEN-000"][0])
    return [summary, *findings_for(results)]


@register("routing-resilience")
def _resilience(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    from spine_gates.model.loader import join_pointer
    from spine_gates.routing.resilience import analyse, role_slots

    _meta(ctx)
    config, fallback, problems = _compiled(ctx, spec)
    if config is None:
        return problems
    roles_doc = ctx.model.document("roles")
    owner = {slot: role for role, slots in role_slots(ctx.model.roles).items()
             for slot in slots}
    findings: list[Finding] = []
    for slot in analyse(config, fallback):
        role = owner.get(slot.slot, "")
        pointer = join_pointer("/roles", role) + "/ccr_slots" if role else "/roles"
        where = (roles_doc.name, roles_doc.line_of(pointer), pointer)
        if slot.single_point_of_failure:
            lonely = ", ".join(slot.minimal_failure_set) or "(its provider is not registered)"
            findings.append(Finding("ROLE-110", Severity.ERROR, f"slot {slot.slot} (role "
                                    f"{role or '?'}): an outage of {lonely} alone leaves it "
                                    "unanswered", *where, fix=RULES["ROLE-110"][3],
                                    title=RULES["ROLE-110"][0]))
        for entry in slot.skipped:
            findings.append(Finding("ROLE-111", Severity.WARNING, f"slot {slot.slot}: fallback "
                                    f"{entry} is skipped, its provider is not registered",
                                    *where, fix=RULES["ROLE-111"][3],
                                    title=RULES["ROLE-111"][0]))
        findings.append(Finding("ROLE-112", Severity.INFO, f"slot {slot.slot} (role "
                                f"{role or '?'}): unanswered only when all of "
                                f"{{{', '.join(slot.minimal_failure_set)}}} fail with HTTP "
                                f"errors; a timeout or connection error on {slot.network_spof} "
                                "is final (2.0 does not fall back on it)", *where,
                                title=RULES["ROLE-112"][0]))
    return findings
