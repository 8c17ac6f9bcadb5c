"""Registers the `routing-scenarios` and `routing-resilience` check kinds with the gate runner.

Light on purpose: gates.py imports it whenever it loads a gate; the evaluator, the tokenizer
and the compiler are imported inside the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spine_gates.finding import Finding, Severity
from spine_gates.gates import GateDefinition, RuleMeta, RunContext, register

if TYPE_CHECKING:
    from spine_gates.routing.resilience import SlotResilience

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
    """Single points of failure per slot in the config the SSOT compiles to and, when the run
    names a live router config (`--live PATH`), in that config too: a hand-edited proxy can lose
    its fallbacks or point one at a provider it does not register (ROLE-111), which the SSOT
    cannot show."""
    from spine_gates.model.loader import join_pointer
    from spine_gates.routing.resilience import analyse, role_slots

    _meta(ctx)
    config, fallback, problems = _compiled(ctx, spec)
    findings: list[Finding] = list(problems)
    if config is not None:
        roles_doc = ctx.model.document("roles")
        owner = {slot: role for role, slots in role_slots(ctx.model.roles).items()
                 for slot in slots}
        for slot in analyse(config, fallback):
            role = owner.get(slot.slot, "")
            pointer = join_pointer("/roles", role) + "/ccr_slots" if role else "/roles"
            where = (roles_doc.name, roles_doc.line_of(pointer), pointer)

            def at_role(_entry: str | None, where: tuple[str, int | None, str] = where
                        ) -> tuple[str, int | None, str]:
                return where

            findings += _slot_findings(slot, f"slot {slot.slot} (role {role or '?'})", at_role)
            findings.append(Finding("ROLE-112", Severity.INFO, f"slot {slot.slot} (role "
                                    f"{role or '?'}): unanswered only when all of "
                                    f"{{{', '.join(slot.minimal_failure_set)}}} fail with HTTP "
                                    f"errors; a timeout or connection error on "
                                    f"{slot.network_spof} is final (2.0 does not fall back on "
                                    "it)", *where, title=RULES["ROLE-112"][0]))
    if ctx.options.get("live"):
        findings += _live_findings(ctx, fallback)
    return findings


Where = Callable[[str | None], tuple[str, int | None, str]]


def _slot_findings(slot: SlotResilience, label: str, where: Where) -> list[Finding]:
    """ROLE-110 and ROLE-111 for one analysed slot; `where(entry)` places a finding."""
    findings = []
    if slot.single_point_of_failure:
        lonely = ", ".join(slot.minimal_failure_set) or "(its provider is not registered)"
        findings.append(Finding("ROLE-110", Severity.ERROR, f"{label}: an outage of {lonely} "
                                "alone leaves it unanswered", *where(None),
                                fix=RULES["ROLE-110"][3], title=RULES["ROLE-110"][0]))
    for entry in slot.skipped:
        findings.append(Finding("ROLE-111", Severity.WARNING, f"{label}: fallback {entry} is "
                                "skipped, its provider is not registered", *where(entry),
                                fix=RULES["ROLE-111"][3], title=RULES["ROLE-111"][0]))
    return findings


def _live_findings(ctx: RunContext, fallback: bool) -> list[Finding]:
    from spine_gates.ccr.compile import profile_for
    from spine_gates.ccr.live import live_path, read_live_config
    from spine_gates.ccr.safety import shape_findings
    from spine_gates.model.loader import join_pointer
    from spine_gates.routing.resilience import analyse

    path, _ = live_path(ctx.options.get("live"))
    live = read_live_config(path)
    # A value of the wrong type (a list where `fallback` maps scenarios) would be read as the
    # router reads it, not as this analysis assumes: report it (as proxy-safety does; `all`
    # keeps one copy) instead of judging a shape the router would not route by.
    wrong = shape_findings(live, profile_for(ctx.options.get("profile"), ctx.model, None))
    if wrong:
        from spine_gates.ccr.checks import rule_metas as ccr_rules

        ctx.rules.update({meta.id: meta for meta in ccr_rules()})
        return wrong
    findings: list[Finding] = []
    for slot in analyse(live.data, fallback):
        chain = (live.data.get("fallback") or {}).get(slot.scenario) or []

        def where(entry: str | None, slot: SlotResilience = slot, chain: Any = chain
                  ) -> tuple[str, int | None, str]:
            pointer = join_pointer("/Router", slot.slot)
            if entry is not None and entry in chain:
                pointer = join_pointer("/fallback", slot.scenario) + f"/{chain.index(entry)}"
            return live.name, live.line(pointer), pointer

        findings += _slot_findings(slot, f"live router config, slot {slot.slot}", where)
    return findings
