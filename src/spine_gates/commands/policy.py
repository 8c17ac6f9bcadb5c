"""`gates policy test|rules`: the rule packs' fixture tests and the rule catalogue."""

from __future__ import annotations

import argparse
import sys

from spine_gates.commands import root_if_any, skipped


def cmd_test(args: argparse.Namespace) -> int:
    from spine_gates.policy.fixture_tests import render_results, run_policy_tests

    spine = root_if_any(args)
    if spine is None:
        print("gates: no spine here; testing the shipped rule packs (--root DIR tests a "
              "spine's own packs)", file=sys.stderr)
    elif args.files:
        from spine_gates.changed_files import policy_test_skip_note

        if skipped(policy_test_skip_note(spine, args.files), args.format):
            return 0
    report = run_policy_tests(spine)
    print(render_results(report, args.format), end="")
    if not report.passed:
        return 1
    if args.require_coverage and report.uncovered:
        return 1
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from spine_gates.policy.catalogue import render_catalogue

    print(render_catalogue(args.format, root_if_any(args)), end="")  # no spine: the shipped ones
    return 0
