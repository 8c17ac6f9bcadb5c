"""`gates baseline create`: accept the current findings when adopting spine-gates."""

from __future__ import annotations

import argparse

from spine_gates.commands import root_of


def cmd_create(args: argparse.Namespace) -> int:
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate
    from spine_gates.policy.baseline import BASELINE_FILE, write_baseline

    ctx = prepare(root_of(args, "baseline create"), {"no_baseline": True, "keep_cascades": True})
    findings = [f for gate in load_gates().values() for f in run_gate(gate, ctx).findings]
    count = write_baseline(ctx.root, findings)
    print(f"wrote {ctx.root / BASELINE_FILE} with {count} finding(s) (errors and warnings)")
    return 0
