"""Turn a finished gate run into a signed receipt at the head of the chain."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates import __version__
from spine_gates.checks.table import load_gates
from spine_gates.errors import InputError
from spine_gates.model.spine import bundled_dir
from spine_gates.receipts.gitinfo import git_state
from spine_gates.receipts.keys import (
    KEY_ENV,
    KEY_FILE_ENV,
    KEY_REF_ENV,
    SigningKey,
    load_signing_key,
)
from spine_gates.receipts.statement import (
    build_statement,
    governed_files,
    governed_subjects,
    live_config_digests,
    policy_digest,
    utc_now,
)
from spine_gates.receipts.store import WrittenReceipt, write_receipt

if TYPE_CHECKING:
    from spine_gates.checks.interface import GateResult


def emit_receipt(result: GateResult, key: SigningKey, when: _dt.datetime | None = None,
                 git: dict[str, Any] | None | bool = True,
                 parts: tuple[GateResult, ...] = ()) -> WrittenReceipt:
    """Write the receipt for `result` under `<root>/receipts/`.

    Subjects and git state are read before taking the lock; only chaining and writing hold it.
    `git=True` reads the spine root's git state; a dict (or None) is used as given.
    """

    root = Path(result.root)
    subjects = governed_subjects(root, governed_files(root, result.files, gate_reads(result)))
    policies = policy_digest(bundled_dir("policies"))
    if git is True:
        git = git_state(root)
    state = git if isinstance(git, dict) else None
    moment = when or utc_now()
    live = live_config_digests([result, *parts])

    def build(run_key: str, at: _dt.datetime, previous: str | None) -> dict[str, Any]:
        return build_statement(result, run_key_value=run_key, when=at, previous=previous,
                               tool_version=__version__, git=state, policies=policies,
                               subjects=subjects, live_digests=live)

    return write_receipt(root, key, result.gate, build, moment)


def gate_reads(result: GateResult) -> frozenset[str]:
    """The optional spine folders the gate (every gate, for `all`) behind `result` read."""

    gates = load_gates()
    names = [member.gate for member in result.members] or [result.gate]
    return frozenset().union(*(gates[n].reads for n in names if n in gates))


def signing_key_for_run(path: str | None, explicit: bool,
                        root: Path | None = None) -> tuple[SigningKey | None, str | None]:
    """The key for this run and, when there is none, the warning to print once the gate has run.

    Given the spine `root`, a key `gates receipts keygen` wrote to its default place for one of
    the spine's public keys is found with no flag. Asking with `--receipt` and no key is bad
    input (exit 3); the CI default without a key runs without a receipt and warns. The warning is
    returned rather than printed so that a run that stops on bad input prints its one error line
    and nothing else."""

    key = load_signing_key(path, root=root)
    if key is not None:
        return key, None
    hint = (f"pass --signing-key PATH or set {KEY_FILE_ENV}, {KEY_ENV} or {KEY_REF_ENV} "
            "(create one with `gates receipts keygen`)")
    if explicit:
        raise InputError(f"--receipt needs a signing key: {hint}")
    return None, (f"gates: warning: CI is set but no signing key is configured, so no receipt "
                  f"is written; {hint}, or pass --no-receipt")


def attach_receipt(result: GateResult, key: SigningKey,
                   parts: tuple[GateResult, ...] = ()) -> GateResult:
    """Write the receipt and return the result with `extras["receipt"]` for the reports.

    `parts` are the single-gate results behind `gates run all` (their live config digests)."""
    import dataclasses
    import os

    written = emit_receipt(result, key, parts=parts)
    try:
        shown = os.path.relpath(written.path)
    except ValueError:
        shown = str(written.path)
    if shown.startswith(".."):
        shown = str(written.path)
    receipt = {"path": shown, "digest": written.digest, "runKey": written.run_key,
               "seq": written.seq}
    return dataclasses.replace(result, extras={**result.extras, "receipt": receipt})
