"""Failover receipts: a signed record of each `failover apply` and `revert`, in their own chain.

A failover is signed on a workstation, outside CI, so its receipts do not go into the spine's
committed `receipts/` (a second writer there would fork the chain CI extends, and dirty the work
tree by surprise). They live in the user's state dir, one chain per spine:
`$XDG_STATE_HOME/spine-gates/receipts/<spine id>/` (same layout: `index.jsonl`,
`<yyyy>/<mm>/<run-key>.dsse.json`), signed and verified with the spine's own trust anchors.
`gates receipts verify` and `audit` read that chain whenever it exists for the spine.

The Statement is the gate run's (so the verifier and the audit read it unchanged) with predicate
type `failover/v1` and the failover's own fields: the action, the overrides (ids, slot, route,
replaced route, expiry, the redacted health evidence), the routes before and after per slot, the
non-safety findings the action went ahead despite, the plan's warnings (an apply's), and
`actor`: who acted — `user@host` for a person running `gates failover apply|revert` (or
`sync --clear-overrides`), `watcher:<host>:<pid>` for `gates failover watch`. Names only, never a
credential.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates import __version__
from spine_gates.health.state_store import state_dir
from spine_gates.model.spine import bundled_dir, load_config
from spine_gates.receipts import store
from spine_gates.receipts.gitinfo import git_state
from spine_gates.receipts.statement import (
    FAILOVER_PREDICATE_TYPE,
    LIVE_CONFIG_SUBJECT,
    STATEMENT_TYPE,
    _redact,
    governed_files,
    governed_subjects,
    policy_digest,
    rfc3339,
)
from spine_gates.receipts.store import WrittenReceipt
from spine_gates.report.json_format import finding_dict

if TYPE_CHECKING:
    from spine_gates.failover.record import Override
    from spine_gates.finding import Finding
    from spine_gates.receipts.keys import SigningKey

RECEIPTS = "receipts"


def spine_id(root: Path) -> str:
    """A stable folder name for one spine on this machine: its folder name and a hash of its
    resolved path (two checkouts of one spine are two workstations' worth of actions)."""
    resolved = str(root.resolve())
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", root.resolve().name)[:40] or "spine"
    return f"{name}-{hashlib.sha256(resolved.encode()).hexdigest()[:12]}"


def chain_dir(root: Path) -> Path:
    """Where this spine's failover receipts live."""
    return state_dir() / RECEIPTS / spine_id(root)


def person_actor() -> str:
    """`user@host` of the person running this process (login name and host name only)."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (a bare container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def watcher_actor() -> str:
    """`watcher:<host>:<pid>`: which watcher process acted."""
    import os
    import socket

    return f"watcher:{socket.gethostname()}:{os.getpid()}"


def emit_failover_receipt(root: Path, key: SigningKey, *, action: str,
                          overrides: Sequence[Override], before: Mapping[str, str],
                          after: Mapping[str, str], findings: Sequence[Finding],
                          live_digest: str | None, when: _dt.datetime,
                          note: str = "", actor: str | None = None,
                          warnings: Sequence[Mapping[str, Any]] = ()) -> WrittenReceipt:
    """Sign and store one failover action as the head of the spine's failover chain; `actor`
    defaults to the person running this process (`person_actor()`)."""
    config = load_config(root)
    subjects = governed_subjects(root, governed_files(root, config.registries.values(), ()))
    if live_digest:
        subjects.append({"name": LIVE_CONFIG_SUBJECT, "digest": {"sha256": live_digest}})
    policies = policy_digest(bundled_dir("policies"))
    git = git_state(root)
    moment = when.astimezone(_dt.UTC).replace(microsecond=0)
    gate = f"failover.{action}"
    who = actor or person_actor()

    def build(run_key: str, at: _dt.datetime, previous: str | None) -> dict[str, Any]:
        predicate = _redact({
            "gate": gate,
            "gates": [gate],
            "action": action,
            "actor": who,
            "note": note,
            "verdict": {"passed": True, "exitCode": 0,
                        "summary": {"findings": len(findings)}},
            "overrides": [o.to_json() for o in overrides],
            "routes": {"before": dict(before), "after": dict(after)},
            "expires": max((o.to_json()["expires_at"] for o in overrides), default=None),
            "findings": [finding_dict(f) for f in findings],
            # the plan's warnings (fallback.default entries an override can still reach)
            "warnings": [dict(w) for w in warnings],
            "waivers": [],
            "tool": {"name": "spine-gates", "version": __version__},
            "git": git,
        })
        predicate.update({"runKey": run_key, "policyDigest": policies, "time": rfc3339(at),
                          "previous": previous})
        return {"_type": STATEMENT_TYPE, "subject": subjects,
                "predicateType": FAILOVER_PREDICATE_TYPE, "predicate": predicate}

    return store.write_receipt(root, key, gate, build, moment, directory=chain_dir(root))
