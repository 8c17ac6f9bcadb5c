"""The `routing-scenarios` and `routing-resilience` check kinds (gates/routing-scenarios.yaml).

The rules they report (SCEN-*, ROLE-110..112) are described in policies/builtin/rules.yaml
(group `routing`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spine_gates.ccr.compile import compile_ccr_config, profile_for
from spine_gates.ccr.live import live_path, read_live_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.ccr.safety import shape_findings
from spine_gates.checks.interface import GateDefinition, RunContext, rule_meta, rule_metas
from spine_gates.errors import InputError
from spine_gates.finding import Finding, Severity
from spine_gates.model.loader import join_pointer
from spine_gates.routing.resilience import SlotResilience, analyse, role_slots
from spine_gates.routing.scenarios import findings_for, run_all, scenario_dir


def _compiled(ctx: RunContext, spec: dict[str, Any]
              ) -> tuple[dict[str, Any] | None, bool, list[Finding]]:
    """The compiled router config, or None and a finding when the SSOT does not compile (the
    registry rules report why; routing is then not evaluated rather than the run aborted)."""
    profile = get_profile(ctx.options.get("profile") or spec.get("profile"))
    try:
        return compile_ccr_config(ctx.model, profile), profile.supports_fallback, []
    except InputError as exc:
        # The registry rules report a registry's own faults; nothing else checks the spine's
        # settings (spine-gates.yaml `ccr:`), so a fault there fails the gate here.
        registries = {document.name for document in ctx.model.documents.values()}
        in_registry = exc.file in registries
        rule = rule_meta("SCEN-002")
        fix = rule.fix if in_registry else \
            f"Fix the setting the message names in {exc.file or 'the spine settings'}."
        return None, profile.supports_fallback, [Finding(
            "SCEN-002", Severity.INFO if in_registry else Severity.ERROR,
            f"routing not evaluated: the SSOT does not compile to a router config "
            f"({exc.message})", exc.file or "", exc.line, title=rule.title, fix=fix)]


def scenarios(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    ctx.rules.update(rule_metas("routing"))
    directory = scenario_dir(ctx.root)
    if directory is None:  # a spine without scenarios: nothing to check, nothing to report
        return []
    config, fallback, problems = _compiled(ctx, spec)
    if config is None:
        return problems
    results = run_all(directory, config, ctx.model.roles, fallback)
    passed = sum(r.passed for r in results)
    summary = Finding("SCEN-000", Severity.INFO, f"{passed}/{len(results)} routing scenarios "
                      "hold", "scenarios/", title=rule_meta("SCEN-000").title)
    return [summary, *findings_for(results)]


def resilience(spec: dict[str, Any], ctx: RunContext, gate: GateDefinition) -> list[Finding]:
    """Single points of failure per slot in the config the SSOT compiles to and, when the run
    names a live router config (`--live PATH`), in that config too: a hand-edited proxy can lose
    its fallbacks or point one at a provider it does not register (ROLE-111), which the SSOT
    cannot show."""
    ctx.rules.update(rule_metas("routing"))
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
                                    "it)", *where, title=rule_meta("ROLE-112").title))
    if ctx.options.get("live"):
        findings += _live_findings(ctx, fallback)
    return findings


Where = Callable[[str | None], tuple[str, int | None, str]]


def _slot_findings(slot: SlotResilience, label: str, where: Where) -> list[Finding]:
    """ROLE-110 and ROLE-111 for one analysed slot; `where(entry)` places a finding."""
    findings = []
    spof, skipped = rule_meta("ROLE-110"), rule_meta("ROLE-111")
    if slot.single_point_of_failure:
        lonely = ", ".join(slot.minimal_failure_set) or "(its provider is not registered)"
        findings.append(Finding("ROLE-110", Severity.ERROR, f"{label}: an outage of {lonely} "
                                "alone leaves it unanswered", *where(None),
                                fix=spof.fix, title=spof.title))
    for entry in slot.skipped:
        findings.append(Finding("ROLE-111", Severity.WARNING, f"{label}: fallback {entry} is "
                                "skipped, its provider is not registered", *where(entry),
                                fix=skipped.fix, title=skipped.title))
    return findings


def _live_findings(ctx: RunContext, fallback: bool) -> list[Finding]:
    path, _ = live_path(ctx.options.get("live"))
    live = read_live_config(path)
    # A value of the wrong type (a list where `fallback` maps scenarios) would be read as the
    # router reads it, not as this analysis assumes: report it (as proxy-safety does; `all`
    # keeps one copy) instead of judging a shape the router would not route by.
    wrong = shape_findings(live, profile_for(ctx.options.get("profile"), ctx.model, None))
    if wrong:
        ctx.rules.update(rule_metas("ccr", "drift"))
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
