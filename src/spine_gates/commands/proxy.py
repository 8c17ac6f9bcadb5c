"""`gates proxy check`: the proxy-safety gate on the live router config, plus `ccr activate`."""

from __future__ import annotations

import argparse

from spine_gates.commands import emit, gate_report, root_of


def cmd_check(args: argparse.Namespace) -> int:
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.commands.drift import ccr_only
    from spine_gates.gates import run_gate

    ccr_only("proxy check", args.target)  # the CCR-* rules read a claude-code-router config
    options = {"live": args.live, "profile": args.profile, "ccr": args.ccr,
               "activate": not args.no_activate, "activate_output": args.activate_output,
               "no_baseline": True}
    result = run_gate(load_gates()["proxy-safety"], prepare(root_of(args), options))
    emit(gate_report(args, result), args.output)
    return result.exit_code
