"""`gates receipts keygen|verify|audit`: signing keys, the receipt chain, the audit review."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.commands import emit, root_of

if TYPE_CHECKING:
    from spine_gates.receipts.verify import ChainReport, Problem


def cmd_keygen(args: argparse.Namespace) -> int:
    from spine_gates.receipts.keys import (
        KEY_FILE_ENV,
        commit_hint,
        default_keys_dir,
        short_id,
        write_keypair,
    )

    private, public, key = write_keypair(root_of(args, "receipts keygen"), args.out, args.name)
    print(f"private key: {private} (mode 0600; keep it out of the repository)")
    print(f"public key:  {public}")
    print(f"key id:      {short_id(key.keyid)}")
    if private.parent == default_keys_dir().absolute():
        print("signing:     `gates run … --receipt` finds this key here by itself")
    else:
        print(f"signing:     pass --signing-key {private} (or set {KEY_FILE_ENV})")
    print(f"next step:   {commit_hint(key, public)}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from spine_gates.receipts.verify import check_worktree, render_verify, verify_chain

    spine = root_of(args)
    report = verify_chain(spine)
    problems = list(report.problems)
    if args.against_worktree:
        problems += check_worktree(spine, report)
    for warning in report.warnings:
        print(f"gates: warning: {warning}", file=sys.stderr)
    failover = _failover_chain(spine)
    if failover is None:
        print(render_verify(report, problems, args.format), end="")
    elif args.format == "json":
        print(render_verify(report, problems, "json", {"failover": _failover_verdict(failover)}),
              end="")
    else:
        directory, chain = failover
        own = render_verify(chain, _failover_problems(failover), args.format)
        print(f"{render_verify(report, problems, args.format)}failover receipts ({directory}): "
              f"{own}", end="")
    return 1 if problems or (failover is not None and failover[1].problems) else 0


def _failover_chain(spine: Path) -> tuple[Path, ChainReport] | None:
    """The spine's failover receipts (signed by `gates failover apply|revert` in the user's
    state dir), verified with the spine's trust anchors; None when there are none."""
    from spine_gates.failover.receipt import chain_dir
    from spine_gates.receipts.verify import verify_chain

    directory = chain_dir(spine)
    if not directory.is_dir():
        return None
    return directory, verify_chain(spine, directory)


def _failover_problems(failover: tuple[Path, ChainReport]) -> list[Problem]:
    """The failover chain's problems, each naming its receipt by its full path (the chain lives
    in the user's state dir, not in the spine)."""
    from spine_gates.receipts.store import RECEIPTS_DIR
    from spine_gates.receipts.verify import Problem

    directory, report = failover
    return [Problem(str(directory / p.receipt.removeprefix(f"{RECEIPTS_DIR}/")), p.reason)
            if p.receipt.startswith(f"{RECEIPTS_DIR}/") else p for p in report.problems]


def _failover_verdict(failover: tuple[Path, ChainReport]) -> dict[str, Any]:
    """The failover chain's verdict, a section of the JSON report."""
    from spine_gates.receipts.verify import verify_dict

    directory, report = failover
    return {"directory": str(directory), **verify_dict(report, _failover_problems(failover))}


def cmd_audit(args: argparse.Namespace) -> int:
    from spine_gates.clock import today
    from spine_gates.receipts.audit import build_audit, exit_status
    from spine_gates.receipts.audit_report import RENDERERS

    spine = root_of(args)
    failover = _failover_chain(spine)
    audit = build_audit(spine, today(), failover[0] if failover else None)
    emit(RENDERERS[args.format](audit), args.output)
    for warning in audit["chain"]["warnings"]:
        print(f"gates: warning: {warning}", file=sys.stderr)
    code, broken = exit_status(audit)
    if failover is not None and failover[1].problems and not code:
        code, broken = 1, (f"gates: the failover receipts in {failover[0]} do not verify "
                           "(see the Failover actions section)")
    if broken:
        print(broken, file=sys.stderr)
    return code
