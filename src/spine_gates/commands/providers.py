"""`gates providers status` as a command: progress, report, output, exit code.

The command is a short-lived process whose run time is the probes' timeout plus its own
start-up and exit, so it also manages the cyclic garbage collector for the whole run (see
`_short_lived`). The work itself is `status.collect_status`; the views are in `render`.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from spine_gates.commands import emit, root_of
from spine_gates.errors import GatesError


class StatusArgs(Protocol):
    """The parsed `providers status` flags this command reads."""

    format: str
    output: str | None
    timeout: float | None
    deadline: float | None
    offline: bool
    deep: bool
    api_base_override: list[str] | None
    session_refresh: bool
    live: str | None


@contextmanager
def _short_lived() -> Iterator[None]:
    """No cyclic collections during the run, and none of its objects left for the exit's.

    The run allocates mostly long-lived objects (modules, classes, the parsed registries), so
    the collector's passes only cost time: with it running, they add ~6 ms before the probes
    leave, and at exit the interpreter's final collections walk every one of those objects
    (~30 ms on a 2-CPU machine). Freezing them after the output is written moves them out of
    the collector's reach; the process ends right after. Called in-process (tests), the frozen
    objects simply stay, which costs memory only.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def providers_status(args: StatusArgs, root: Path) -> int:
    """Run the probes, print the report (scrubbed of every key seen), return 0/1/2 by roles."""
    with _short_lived():
        from spine_gates.health.provider_status import collect_status
        from spine_gates.health.render import Progress

        progress = Progress(sys.stderr)
        try:
            report, keys = collect_status(root, timeout=args.timeout, deadline=args.deadline,
                                          offline=args.offline, deep=args.deep,
                                          overrides=args.api_base_override, progress=progress,
                                          live=Path(args.live).expanduser() if args.live
                                          else None)
        except GatesError as exc:
            if args.session_refresh:
                from spine_gates.health.session_brief import record_refresh

                record_refresh(root, str(exc))
            raise
        finally:
            progress.clear()
        if args.session_refresh:
            from spine_gates.health.session_brief import record_refresh

            record_refresh(root, None)
        from spine_gates.health.render import render_json, render_text, scrub

        text = render_json(report) if args.format == "json" else render_text(report)
        emit(scrub(text, keys), args.output)
        return report.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    return providers_status(args, root_of(args))
