"""`gates list`: the gates this install knows, as a table or JSON."""

from __future__ import annotations

import argparse


def cmd_list(args: argparse.Namespace) -> int:
    from spine_gates.checks.table import load_gates

    gates = load_gates()
    if args.format == "json":
        from spine_gates.report.envelope import dumps

        # an object, not a bare list: the list sits under "gates", beside the envelope fields
        data = [{"name": g.name, "kind": g.kind, "ring": g.ring, "fail_on": g.fail_on.value,
                 "spine_gate_id": g.spine_gate_id, "checks": [c["kind"] for c in g.checks],
                 "description": g.description} for g in gates.values()]
        print(dumps({"gates": data}), end="")
        return 0
    width = max((len(name) for name in gates), default=4)
    for gate in gates.values():
        checks = ",".join(c["kind"] for c in gate.checks)
        spine = gate.spine_gate_id or "-"
        print(f"{gate.name:<{width}}  {gate.ring:<8} {spine:<5} {checks:<24} "
              f"{gate.description.splitlines()[0] if gate.description else ''}")
    return 0
