"""`gates receipts keygen|verify|audit`: signing keys, the receipt chain, the audit review."""

from __future__ import annotations

import argparse
import sys

from spine_gates.commands import emit, root_of


def cmd_keygen(args: argparse.Namespace) -> int:
    from spine_gates.receipts.keys import commit_hint, short_id, write_keypair

    private, public, key = write_keypair(root_of(args, "receipts keygen"), args.out, args.name)
    print(f"private key: {private} (mode 0600; keep it out of the repository)")
    print(f"public key:  {public}")
    print(f"key id:      {short_id(key.keyid)}")
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
    print(render_verify(report, problems, args.format), end="")
    return 1 if problems else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from spine_gates.clock import today
    from spine_gates.receipts.audit import build_audit, exit_status
    from spine_gates.receipts.audit_report import RENDERERS

    audit = build_audit(root_of(args), today())
    emit(RENDERERS[args.format](audit), args.output)
    for warning in audit["chain"]["warnings"]:
        print(f"gates: warning: {warning}", file=sys.stderr)
    code, broken = exit_status(audit)
    if broken:
        print(broken, file=sys.stderr)
    return code
