"""`gates sync` and `gates adopt`: restore the live proxy config, or adopt its hand edits.

Sync is a deploy: it refuses a broken SSOT first (drift/deploy_guard.py), goes through the proxy
target (`--target`, default ccr), installs the failover router module when the compiled config
names it, and keeps active failover overrides unless told to end them (`--clear-overrides`).
Adopt only proposes a patch to the SSOT, so it is not guarded; it reads claude-code-router
configs only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING

from spine_gates.commands import emit, root_of
from spine_gates.drift.check import ignore_rules, run_drift
from spine_gates.drift.compare import DriftVerdict
from spine_gates.drift.deploy_guard import refuse_broken_ssot, refuse_known_keys
from spine_gates.errors import EXIT_PASS, InputError
from spine_gates.printable import visible, visible_lines

if TYPE_CHECKING:
    from spine_gates.checks.interface import RunContext
    from spine_gates.drift.run import DriftRun
    from spine_gates.receipts.keys import SigningKey

CCR_ONLY = "claude-code-router only: --target ccr"


def ccr_only(command: str, target: str | None) -> None:
    """Refuse another target for a command only claude-code-router has (one line, exit 3)."""
    if target not in (None, "ccr"):
        raise InputError(f"{command} --target {target}: not supported ({command} is for "
                         f"{CCR_ONLY})")


def sync(root: Path, live_option: str | None, profile_name: str | None, dry_run: bool,
         target_name: str | None = None, clear_overrides: bool = False) -> tuple[str, int]:
    """Plan (and unless dry-run, apply) a sync; returns the report text and the exit code."""
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.overridden import keep_rules, read_view
    from spine_gates.targets import get_target

    target = get_target(target_name)
    ctx = prepare(root)
    action = "sync (dry run)" if dry_run else "sync"
    refuse_broken_ssot(ctx, action)
    path, _explicit = target.live_path(live_option)
    name = str(path)
    live = target.read_live(path, required=False)
    rules = ignore_rules(ctx.model, None)
    compiled = target.compile(ctx.model, profile_name, live_path=path)
    refuse_known_keys(compiled.text, action)
    comparison = target.compare(compiled, live) if live is not None else None
    view = read_view(compiled.data, live.data if live is not None else {},
                     comparison.differences if comparison is not None else ())
    # an active override that shows in the live file is kept, like a declared local difference
    kept_overrides = [] if clear_overrides else keep_rules(view)
    plan = target.plan_sync(compiled, comparison, path, [*rules, *kept_overrides], ctx.today)
    lines = []
    if live is None:
        lines.append(f"{name}: does not exist; sync creates it from the SSOT (profile "
                     f"{compiled.profile})")
    for diff in plan.changes:
        tag = "pending" if comparison is not None and any(
            d.unit == diff.unit and d.verdict is DriftVerdict.PENDING
            for d in comparison.differences) else "drift"
        lines.append(f"  {tag:<7} {diff.sentence()}")
    for unit, rule in plan.kept:
        lines.append(f"  keep    /{'/'.join(unit)}: {rule.describe()}")
    if plan.unchanged:
        lines.append(f"{name}: already matches the SSOT (profile {compiled.profile}); nothing to "
                     "write")
    module = view.module
    # a user's own CUSTOM_ROUTER_PATH is chained by the failover module, not replaced
    chained = None
    if module is not None:
        from spine_gates.failover import router_module

        chained = router_module.chain_for(live.data if live is not None else {}, module[0])
        module = (module[0], router_module.expected_digest(chained=chained), module[2])
    module_changed = module is not None and module[2] != module[1]
    active = [o for o in view.recorded if o.active(view.now)]
    if dry_run:
        if not plan.unchanged:
            lines.append(f"dry run: would write {len(plan.text.encode())} bytes to {plan.path} "
                         f"({len(plan.changes)} change(s)); nothing written")
        if module is not None and module_changed:
            lines.append(f"dry run: would install the failover router module {module[0]}")
        if chained is not None and chained != view.chained:
            lines.append(f"dry run: the failover router module would chain the router module "
                         f"{chained}")
        if clear_overrides and view.recorded:
            lines.append(f"dry run: would end {len(view.recorded)} failover override(s)")
        return visible_lines(lines), EXIT_PASS
    # ending overrides is signed like `gates failover revert`: find the key before writing
    key = _clear_key(len(view.recorded), root) if clear_overrides and view.recorded else None
    if module is not None and module_changed:
        # before the config that names it: a router started in between finds the module
        from spine_gates.failover import router_module

        router_module.install(path, chained=chained)
    result = target.apply_sync(plan, str(root))
    reload = target.reload(path).sentence
    if result.wrote:
        backup = f"; backup {result.backup.name}" if result.backup else ""
        lines.append(f"synced {plan.path} ({len(plan.changes)} change(s)){backup}; {reload}")
    for removed in result.removed_backups:
        lines.append(f"  removed old backup {removed.name} (keeping the newest 3)")
    if module is not None and module_changed:
        # the router loads the module once, at start: a new or changed one needs a restart
        again = "the restart above loads it" if result.wrote else reload
        lines.append(f"installed the failover router module {module[0]}; {again}")
    if chained is not None and chained != view.chained:
        lines.append(f"the failover router module chains the router module {chained} (the "
                     "live config's CUSTOM_ROUTER_PATH): requests it does not override go to it")
    if clear_overrides and key is not None:
        lines += _clear_overrides(root, ctx, path, view.now, key)
    elif clear_overrides:
        lines.append("no failover override to end")
    elif active:
        lines.append(f"keeps {len(active)} active failover override(s) "
                     f"({', '.join(o.id for o in active)}); end them with `gates failover "
                     "revert` or `gates sync --clear-overrides`")
    return visible_lines(lines), EXIT_PASS


def _clear_key(count: int, root: Path) -> SigningKey:
    """The signing key for the revert receipt of `--clear-overrides` (exit 3 without one)."""
    from spine_gates.receipts.keys import KEY_ENV, KEY_FILE_ENV, KEY_REF_ENV, load_signing_key

    key = load_signing_key(None, root=root)
    if key is None:
        raise InputError(f"sync --clear-overrides ends {count} failover override(s), signed "
                         f"like `gates failover revert`, and needs a signing key: set "
                         f"{KEY_FILE_ENV}, {KEY_ENV} or {KEY_REF_ENV} (create one with `gates "
                         "receipts keygen`), or end them first with `gates failover revert "
                         "--all --no-receipt`")
    return key


def _clear_overrides(root: Path, ctx: RunContext, path: Path, now: _dt.datetime,
                     key: SigningKey) -> list[str]:
    """End every override (expired ones too) through `failover revert`'s code: the state file
    is left valid and empty, and a revert receipt is signed."""
    from spine_gates.commands.failover import clear_for_sync
    from spine_gates.health.state import iso

    removed, digest = clear_for_sync(root, ctx, path, now, key)
    if not removed:
        return ["no failover override to end"]
    lines = [f"ended failover override {o.id} (Router.{o.slot}: {o.route} back to "
             f"{o.replaces}; {'expired' if not o.active(now) else 'was active until'} "
             f"{iso(o.expires_at)})" for o in removed]
    lines.append(f"receipt {digest[:15]}" if digest else "no receipt")
    return lines


def adopt(root: Path, live_option: str | None, profile_name: str | None,
          target_name: str | None = None) -> tuple[str, int]:
    """The YAML patch that makes the SSOT match hand edits, plus notes for the rest."""
    from spine_gates.ccr.compile import profile_for
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.adopt import propose_adoption
    from spine_gates.targets import get_target

    ccr_only("adopt", target_name)
    target = get_target(target_name)
    ctx = prepare(root)
    profile = profile_for(profile_name, ctx.model)
    path, _explicit = target.live_path(live_option)
    live = target.read_live(path, required=False)
    if live is None:
        raise InputError("no live config to adopt from", str(path))
    from spine_gates.ccr.live import LiveConfig

    assert isinstance(live, LiveConfig)  # the claude-code-router target reads one
    run = run_drift(ctx.model, live, profile, ignore_rules(ctx.model, None))
    run, kept = _without_overrides(run)
    proposal = propose_adoption(ctx.model, run)
    proposal.notes += kept
    parts = []
    if proposal.patch:
        parts.append(proposal.patch)
    parts += [f"# note: {visible(note)}" for note in proposal.notes]
    if not parts:
        parts.append("# nothing to adopt: the live config has no hand edits")
    return "\n".join(p.rstrip("\n") for p in parts) + "\n", EXIT_PASS


def _without_overrides(run: DriftRun) -> tuple[DriftRun, list[str]]:
    """A live slot that is exactly an active, recorded failover override is not a hand edit to
    adopt: it expires, and `gates failover revert` ends it. Drop it from the run, with a note."""
    import dataclasses

    from spine_gates.drift.overridden import read_view
    from spine_gates.health.state import iso

    view = read_view(run.compiled, run.live.data, run.differences)
    if not view.covered:
        return run, []
    notes = [f"/{'/'.join(unit)}: failover override {o.id} until {iso(o.expires_at)}, not a "
             "hand edit; not adopted (`gates failover revert` ends it)"
             for unit, o in view.covered.items()]
    kept = tuple(d for d in run.differences if d.unit not in view.covered)
    return dataclasses.replace(run, differences=kept), notes


def cmd_sync(args: argparse.Namespace) -> int:
    text, code = sync(root_of(args, "sync"), args.live, args.profile, args.dry_run, args.target,
                      args.clear_overrides)
    emit(text, None)
    return code


def cmd_adopt(args: argparse.Namespace) -> int:
    ccr_only("adopt", args.target)  # before the spine is looked for: the target is the mistake
    text, code = adopt(root_of(args, "adopt"), args.live, args.profile, args.target)
    emit(text, None)
    return code
