"""`gates completion bash|zsh|fish`: the shell completion script, generated from the parser.

shtab writes the script from the same argparse parser the CLI runs, so a new command or option is
completed without an edit here. This module is the only one that imports shtab, and the CLI
imports it only when this command runs: the pre-commit path never loads the generator.
"""

from __future__ import annotations

import argparse

import shtab

SHELLS = ("bash", "zsh", "fish")


def cmd_completion(args: argparse.Namespace) -> int:
    # cli.py imports the commands layer only inside main(), so this import makes no cycle.
    from spine_gates.cli import build_parser

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return 0
