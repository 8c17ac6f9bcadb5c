"""`gates sync` and `gates adopt`: restore the live router config, or adopt its hand edits.

Sync is a deploy: it refuses a broken SSOT first (drift/deploy_guard.py). Adopt only proposes
a patch to the SSOT, so it is not guarded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spine_gates.ccr.compile import compile_ccr_config, profile_for, render_config
from spine_gates.ccr.live import live_path
from spine_gates.commands import emit, root_of
from spine_gates.drift.check import ignore_rules, live_for, run_drift
from spine_gates.drift.compare import DriftVerdict
from spine_gates.drift.deploy_guard import refuse_broken_ssot, refuse_known_keys
from spine_gates.errors import EXIT_PASS
from spine_gates.printable import visible, visible_lines


def sync(root: Path, live_option: str | None, profile_name: str | None,
         dry_run: bool) -> tuple[str, int]:
    """Plan (and unless dry-run, apply) a sync; returns the report text and the exit code."""
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.sync import apply_sync, plan_sync

    ctx = prepare(root)
    refuse_broken_ssot(ctx, "sync (dry run)" if dry_run else "sync")
    profile = profile_for(profile_name, ctx.model)
    path, _explicit = live_path(live_option)
    name = str(path)
    live = live_for(live_option)
    rules = ignore_rules(ctx.model, None)
    run = run_drift(ctx.model, live, profile, rules) if live is not None else None
    compiled = run.compiled if run is not None else compile_ccr_config(ctx.model, profile)
    refuse_known_keys(render_config(compiled), "sync (dry run)" if dry_run else "sync")
    plan = plan_sync(run, compiled, path, name, profile.name, ctx.today)
    lines = []
    if live is None:
        lines.append(f"{name}: does not exist; sync creates it from the SSOT (profile "
                     f"{profile.name})")
    for diff in plan.changes:
        tag = "pending" if run is not None and any(
            d.unit == diff.unit and d.verdict is DriftVerdict.PENDING for d in run.differences) \
            else "drift"
        lines.append(f"  {tag:<7} {diff.sentence()}")
    for unit, rule in plan.kept:
        lines.append(f"  keep    /{'/'.join(unit)}: {rule.describe()}")
    if plan.unchanged:
        lines.append(f"{name}: already matches the SSOT (profile {profile.name}); nothing to "
                     "write")
    if dry_run:
        if not plan.unchanged:
            lines.append(f"dry run: would write {len(plan.text.encode())} bytes to {plan.path} "
                         f"({len(plan.changes)} change(s)); nothing written")
        return visible_lines(lines), EXIT_PASS
    result = apply_sync(plan, str(root))
    if result.wrote:
        backup = f"; backup {result.backup.name}" if result.backup else ""
        lines.append(f"synced {plan.path} ({len(plan.changes)} change(s)){backup}; restart the "
                     "router to load it: ccr restart")
    for removed in result.removed_backups:
        lines.append(f"  removed old backup {removed.name} (keeping the newest 3)")
    return visible_lines(lines), EXIT_PASS


def adopt(root: Path, live_option: str | None, profile_name: str | None) -> tuple[str, int]:
    """The YAML patch that makes the SSOT match hand edits, plus notes for the rest."""
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.adopt import propose_adoption
    from spine_gates.errors import InputError

    ctx = prepare(root)
    profile = profile_for(profile_name, ctx.model)
    live = live_for(live_option)
    if live is None:
        raise InputError("no live config to adopt from", str(live_path(live_option)[0]))
    run = run_drift(ctx.model, live, profile, ignore_rules(ctx.model, None))
    proposal = propose_adoption(ctx.model, run)
    parts = []
    if proposal.patch:
        parts.append(proposal.patch)
    parts += [f"# note: {visible(note)}" for note in proposal.notes]
    if not parts:
        parts.append("# nothing to adopt: the live config has no hand edits")
    return "\n".join(p.rstrip("\n") for p in parts) + "\n", EXIT_PASS


def cmd_sync(args: argparse.Namespace) -> int:
    text, code = sync(root_of(args, "sync"), args.live, args.profile, args.dry_run)
    emit(text, None)
    return code


def cmd_adopt(args: argparse.Namespace) -> int:
    text, code = adopt(root_of(args, "adopt"), args.live, args.profile)
    emit(text, None)
    return code
