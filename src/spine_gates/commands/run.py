"""`gates run <gate>|all`: run gates on a spine, sign a receipt, render the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from spine_gates.commands import emit, gate_report, root_of, skipped
from spine_gates.errors import InputError


def signing_key(args: argparse.Namespace, spine: Path) -> tuple[Any, str | None]:
    """The receipt signing key (None when no receipt is wanted; cryptography stays unloaded) and
    the warning to print after the run when CI wants a receipt but no key is configured."""
    wanted = args.receipt
    if wanted is None:  # on by default in CI
        wanted = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
    if not wanted:
        return None, None
    from spine_gates.receipts.emit import signing_key_for_run

    return signing_key_for_run(args.signing_key, explicit=args.receipt is True, root=spine)


def cmd_run(args: argparse.Namespace) -> int:
    spine = root_of(args) if args.files else None
    if spine is not None:  # the hooks pass changed files: decide before importing the engine
        from spine_gates.changed_files import gate_skip_note

        if skipped(gate_skip_note(spine, args.files, args.gate), args.format, args.quiet):
            return 0
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import combine, run_gate

    gates = load_gates()
    if args.gate != "all" and args.gate not in gates:
        raise InputError(f"unknown gate {args.gate!r} (known: {', '.join(gates)}, all)")
    spine = spine or root_of(args)
    if args.reference:  # a receipt is written into the spine: never into the bundled one
        if args.receipt:
            raise InputError("--receipt writes into the spine's receipts/, and nothing writes "
                             "into the bundled reference spine: pass --root DIR naming your spine")
        args.receipt = False
    key, no_key_warning = signing_key(args, spine)
    ctx = prepare(spine, {"live": args.live, "target": args.target, "live_url": args.live_url,
                          "no_baseline": args.no_baseline})
    selected = list(gates.values()) if args.gate == "all" else [gates[args.gate]]
    results = [run_gate(gate, ctx) for gate in selected]
    result = results[0] if args.gate != "all" else combine(results)
    if no_key_warning:  # the gate ran, so a receipt would have been written: say why there is none
        print(no_key_warning, file=sys.stderr)
    if key is not None:
        from spine_gates.receipts.emit import attach_receipt

        result = attach_receipt(result, key, tuple(results))
        receipt = result.extras["receipt"]
        if not args.quiet:
            print(f"gates: receipt {receipt['path']} ({receipt['digest'][:15]})",
                  file=sys.stderr)
    text = gate_report(args, result)
    if args.format == "spine" and not args.output:
        for line in text.splitlines(keepends=True):  # the spine: PASS on stdout, FAIL on stderr
            emit(line, None, sys.stderr if " FAIL: " in line else sys.stdout)
    else:
        emit(text, args.output)
    return result.exit_code
