"""The commands layer: one module per command group (`gates <group> …`), above the gate runner.

`cli.py` parses the arguments and imports a group's module only when one of its commands runs.
What every group shares lives here: the spine a command acts on, writing its output (every byte
redacted), colour, and the note a hook run prints when it stops at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def redact(text: str) -> str:
    """Every byte the CLI writes passes here: secrets leave only as sha256 fingerprints."""
    from spine_gates.secrets.redact import redact_text

    return redact_text(text)


def emit(text: str, output: str | None, stream: Any = None) -> None:
    """Write a report to --output FILE, else to `stream` (stdout)."""
    text = redact(text)
    if output and output != "-":
        from spine_gates.output import write_output

        write_output(output, text)
        return
    (stream or sys.stdout).write(text)


def colour(args: argparse.Namespace, stream: Any) -> bool:
    """--color never/always decide; else FORCE_COLOR (set, non-empty) forces colour on; else
    colour on a terminal unless NO_COLOR is set."""
    choice = getattr(args, "color", None) or "auto"
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def gate_report(args: argparse.Namespace, result: Any) -> str:
    """A gate result in --format, listing what --severity and --quiet leave (commands/display.py);
    the result itself, its exit code and its receipt are the run's."""
    from spine_gates.report import renderer

    quiet_text = args.quiet and args.format == "text"
    if args.severity or quiet_text:
        from spine_gates.commands.display import shown

        result = shown(result, args.severity, active_only=quiet_text)
    text = renderer(args.format)(result, colour(args, sys.stdout) and not args.output)
    if quiet_text:
        from spine_gates.commands.display import without_summary

        text = without_summary(text)
    return text


def root_of(args: argparse.Namespace, writer: str | None = None) -> Path:
    """The spine the command acts on; a command that writes names itself as `writer`."""
    from spine_gates.model.discovery import spine_root

    return spine_root(args.root, reference=getattr(args, "reference", False), writer=writer)


def root_if_any(args: argparse.Namespace) -> Path | None:
    """For commands that also work on the shipped packs alone: None when no spine is named and
    the current directory is not one."""
    from spine_gates.model.discovery import here_is_spine

    if args.root is None and not args.reference and not here_is_spine():
        return None
    return root_of(args)


def skipped(note: str | None, fmt: str, quiet: bool = False) -> bool:
    """Print why a hook run stops at once (nothing the command reads changed)."""
    if note is not None and not quiet:
        print(note, file=sys.stdout if fmt == "text" else sys.stderr)
    return note is not None
