"""`gates proxy check`: the proxy-safety gate on the live router config, plus `ccr activate`."""

from __future__ import annotations

import argparse
import sys

from spine_gates.commands import colour, emit, root_of


def cmd_check(args: argparse.Namespace) -> int:
    from spine_gates.gates import load_gates, prepare, run_gate
    from spine_gates.report import renderer

    options = {"live": args.live, "profile": args.profile, "ccr": args.ccr,
               "activate": not args.no_activate, "activate_output": args.activate_output,
               "no_baseline": True}
    result = run_gate(load_gates()["proxy-safety"], prepare(root_of(args), options))
    emit(renderer(args.format)(result, colour(args, sys.stdout) and not args.output),
         args.output)
    return result.exit_code
