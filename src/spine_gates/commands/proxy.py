"""`gates proxy check`: the proxy-safety gate on the live proxy config (`--target`), plus
`ccr activate` for claude-code-router."""

from __future__ import annotations

import argparse

from spine_gates.commands import emit, gate_report, root_of
from spine_gates.errors import InputError


def cmd_check(args: argparse.Namespace) -> int:
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate

    if args.target not in (None, "ccr") and (args.ccr or args.activate_output):
        # `ccr activate` is the router's own command; a gateway has nothing like it
        raise InputError(f"proxy check --target {args.target}: --ccr and --activate-output "
                         "are for --target ccr")
    options = {"live": args.live, "profile": args.profile, "ccr": args.ccr,
               "activate": not args.no_activate, "activate_output": args.activate_output,
               "target": args.target, "proxy_check": True, "no_baseline": True}
    result = run_gate(load_gates()["proxy-safety"], prepare(root_of(args), options))
    emit(gate_report(args, result), args.output)
    return result.exit_code
