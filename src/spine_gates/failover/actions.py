"""Apply, renew and revert overrides, receipted: the one code path `gates failover apply|revert`,
`gates sync --clear-overrides` and `gates failover watch` share.

Each action writes the override file (under its lock, atomically) and then signs a receipt into
the spine's failover chain naming who acted (`actor`). The findings an action goes ahead despite
are the caller's to compute (the commands run the `registry-policy` gate; a feature package
never runs the gate runner) and are handed in.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.ccr.live import LiveConfig, is_missing, live_path, read_live_config
from spine_gates.checks.interface import RunContext, prepare
from spine_gates.clock import now
from spine_gates.errors import InputError
from spine_gates.failover import overrides, router_module
from spine_gates.failover.plan import Change
from spine_gates.failover.receipt import emit_failover_receipt
from spine_gates.failover.router_probe import router_port, router_running
from spine_gates.failover.settings import FailoverSettings, failover_settings
from spine_gates.health.state_config import state_config
from spine_gates.health.state_redis import connect
from spine_gates.receipts.emit import signing_key_for_run
from spine_gates.secrets.redact import redact_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spine_gates.failover.plan import Plan
    from spine_gates.failover.record import Override
    from spine_gates.finding import Finding
    from spine_gates.health.state_redis import RedisState
    from spine_gates.receipts.keys import SigningKey

MODULE_MISSING = ("the failover router module is not {what}: set `failover.router_module: true` "
                  "in spine-gates.yaml and run `gates sync`, then restart the router once "
                  "(ccr restart) so it loads the module")
INTERRUPTED_NOTE = "completes an apply interrupted before its receipt"


@dataclass(frozen=True)
class Inputs:
    """What every action reads: the spine, its failover settings, the live config, the time."""

    root: Path
    ctx: RunContext
    settings: FailoverSettings
    live: LiveConfig
    now: _dt.datetime
    shared: RedisState | None = None  # the team's store (`state: {backend: redis}`), or None


def load_inputs(root: Path, live_option: str | None, ctx: RunContext | None = None,
                moment: _dt.datetime | None = None) -> Inputs:
    """The spine at `root` (already resolved by the caller) and the live config; exit 3 when
    there is no live config to override."""
    ctx = ctx or prepare(root)
    settings = failover_settings(ctx.config)
    path, _ = live_path(live_option)
    if is_missing(path):
        raise InputError("no live router config: a failover overrides a running router's "
                         "slots; write it with `gates sync` (or pass --live PATH)", str(path))
    live = read_live_config(path)
    return Inputs(root, ctx, settings, live, moment or now(), shared_state(ctx))


def shared_state(ctx: RunContext) -> RedisState | None:
    """The team's store when the spine names one (connected, and its overrides mirrored into
    this machine's file, so what follows reads the team's state); exit 3 when it is down."""
    config = state_config(ctx.config)
    if not config.shared:
        return None
    shared = connect(config)
    overrides.mirror(shared)
    return shared


@contextmanager
def team_round(inputs: Inputs) -> Iterator[None]:
    """One watcher round at a time across the team (the `<prefix>:lock:watch` lease): the
    second watcher waits, then mirrors what the first applied and plans on it, so one change is
    applied once. On this machine's file store there is nothing to share: no lock."""
    if inputs.shared is None:
        yield
        return
    with inputs.shared.lease("watch", inputs.shared.config.lock_lease_s):
        overrides.mirror(inputs.shared)
        yield


def require_module(inputs: Inputs) -> None:
    """The override only acts through the router module the live config names."""
    expected = router_module.module_path(inputs.live.path)
    named = inputs.live.data.get("CUSTOM_ROUTER_PATH")
    if not inputs.settings.router_module or named != str(expected):
        raise InputError(MODULE_MISSING.format(what="named by the live config"),
                         str(inputs.live.path))
    installed = router_module.installed_digest(expected)
    if installed is None:
        raise InputError(MODULE_MISSING.format(what="installed"), str(expected))
    if installed != router_module.expected_digest(expected):
        raise InputError(MODULE_MISSING.format(what="current (the installed one differs from "
                                                    "what this version renders)"),
                         str(expected))


def signing_key(wanted: bool, path: str | None, root: Path | None = None) -> SigningKey | None:
    """The key `apply` and `revert` sign with (--signing-key, else the environment's); None
    with --no-receipt. No key is exit 3 before anything is written."""
    if not wanted:
        return None

    key, _ = signing_key_for_run(path, explicit=True, root=root)
    return key


def live_digest(inputs: Inputs) -> str:
    """The sha256 (hex) of the live config as every report shows it: redacted."""
    text = redact_text(inputs.live.raw.decode("utf-8", "replace"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def routes(live: dict[str, Any], active: Sequence[Override]) -> dict[str, str]:
    """Slot -> the route serving it: the live Router, with the active overrides on top."""
    router = live.get("Router") if isinstance(live.get("Router"), dict) else {}
    assert isinstance(router, dict)
    out = {str(k): v for k, v in router.items() if isinstance(v, str) and "," in v}
    out.update({o.slot: o.route for o in active})
    return out


def sign(inputs: Inputs, key: SigningKey | None, action: str, entries: Sequence[Override],
         before: dict[str, str], findings: Sequence[Finding], *, note: str = "",
         actor: str | None = None,
         warnings: Sequence[dict[str, Any]] = ()) -> str | None:
    """Sign one action into the failover chain; its digest, or None without a key."""
    if key is None:
        return None

    after = routes(inputs.live.data, overrides.active(inputs.now))
    written = emit_failover_receipt(inputs.root, key, action=action, overrides=entries,
                                    before=before, after=after, findings=findings,
                                    live_digest=live_digest(inputs), when=inputs.now,
                                    note=note, actor=actor, warnings=warnings)
    return written.digest


def sign_unreceipted(inputs: Inputs, key: SigningKey | None, findings: Sequence[Finding],
                     actor: str | None = None) -> tuple[list[Override], str | None]:
    """An apply killed after writing the override and before signing left it unreceipted:
    sign for it now (so a rerun converges). Returns what was signed and the digest."""
    if key is None:
        return [], None
    in_force = overrides.active(inputs.now)
    unsigned = [o for o in in_force if o.receipt is None]
    if not unsigned:
        return [], None
    before = routes(inputs.live.data, [o for o in in_force if o.receipt is not None])
    digest = sign(inputs, key, "apply", unsigned, before, findings, note=INTERRUPTED_NOTE,
                  actor=actor)
    if digest:
        overrides.set_receipt([o.id for o in unsigned], digest, inputs.shared)
    return unsigned, digest


@dataclass(frozen=True)
class Applied:
    added: list[Override]
    reverted: list[Override]
    digest: str | None


def apply_plan(inputs: Inputs, key: SigningKey | None, proposed: Plan, ttl: _dt.timedelta,
               findings: Sequence[Finding], *, actor: str | None = None,
               note: str = "", max_ttl: _dt.timedelta | None = None) -> Applied:
    """Record the plan's changes (and end its reverts), then sign one `apply` receipt.
    `max_ttl` defaults to the spine's `failover.max_ttl`."""
    before = routes(inputs.live.data, overrides.active(inputs.now))
    reverted = overrides.revert([o.id for o in proposed.reverts], inputs.now, inputs.shared) \
        if proposed.reverts else []
    added = overrides.apply(proposed, ttl, inputs.now,
                            max_ttl=max_ttl or inputs.settings.max_ttl,
                            live_path=inputs.live.path, shared=inputs.shared)
    # the plan's warnings (fallback.default entries an override can still reach) are signed too
    digest = sign(inputs, key, "apply", [*added, *reverted], before, findings, note=note,
                  actor=actor, warnings=[w.to_json() for w in proposed.warnings])
    if digest and added:
        overrides.set_receipt([o.id for o in added], digest, inputs.shared)
    return Applied(added, reverted, digest)


def renewal(entry: Override, role: str, change_reason: str, evidence: dict[str, Any],
            state: Any) -> Change:
    """The change that re-applies `entry` unchanged (same slot, route and replaced route): an
    apply of it gives the slot a new override with a new expiry."""
    return Change(entry.slot, role, entry.replaces, entry.route, state, change_reason, None,
                  evidence)


def end_overrides(inputs: Inputs, ids: list[str] | None, key: SigningKey | None,
                  findings: Sequence[Finding], *, actor: str | None = None,
                  note: str = "") -> tuple[list[Override], str | None]:
    """Remove overrides (`ids`, or every one) and sign the revert receipt: `failover revert`,
    `sync --clear-overrides` and the watcher all end overrides here. Returns what was removed
    and the receipt's digest (None without a key or when nothing was removed)."""
    before = routes(inputs.live.data, overrides.active(inputs.now))
    removed = overrides.revert(ids, inputs.now, inputs.shared)
    if not removed:
        return [], None
    return removed, sign(inputs, key, "revert", removed, before, findings, note=note,
                         actor=actor)


def router_note(inputs: Inputs) -> str:
    """What happens next: the running router's module reads the override on its next request;
    a stopped router answers nothing until it is started (the override is recorded either way)."""
    port = router_port(inputs.live.data)
    if router_running(port):
        return "the router module reads the override on the next request; no restart"
    return (f"the router is not running (nothing answers on 127.0.0.1:{port}): start it with "
            "`ccr start`; its module reads the override from the first request")
