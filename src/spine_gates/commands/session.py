"""`gates session check`: the one provider_brief line at session start; never blocks, exit 0."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def cmd_check(args: argparse.Namespace) -> int:
    return session_check_argv((["--root", args.root] if args.root else []) +
                              (["--reference"] if args.reference else []) +
                              (["--live", args.live] if args.live else []))


def session_check_argv(argv: Sequence[str]) -> int:
    """`gates session check` parses its own arguments: bad input must not fail a session."""
    from spine_gates.health.session_brief import session_check

    root, live, reference, ignored = None, None, False, []
    items = list(argv)
    while items:
        item = items.pop(0)
        if item == "--root" and items:
            root = items.pop(0)
        elif item.startswith("--root="):
            root = item.split("=", 1)[1]
        elif item == "--live" and items:
            live = items.pop(0)
        elif item.startswith("--live="):
            live = item.split("=", 1)[1]
        elif item == "--reference":
            reference = True
        else:
            ignored.append(item)
    lines = session_check(root, reference=reference, live=live)
    if ignored:
        lines[0] += f"; ignored unknown argument(s): {' '.join(ignored)}"
    print("\n".join(lines))  # the cache is scrubbed when written; redact costs ~60 ms here
    return 0
