"""`gates failover bypass [--cli NAME]`: send agent CLIs straight to a healthy provider while
the router is down. The engine is `failover/bypass.py`; this module reads the flags, gets the
health (fresh probes, or the cached `providers status` with --from-cache), and prints.

Text is a shell script: `export`/`unset` lines and `#` comments (the config change for a CLI
that reads a file is shown as comments), so `eval "$(gates failover bypass --cli X)"` is safe.
Keys appear only as `$NAME`: run it under `infisical run --`, which sets the variable.

Exit codes: 0 printed (every CLI has a direct provider, or needs none); 1 some CLI has no
healthy provider of its own API format; 3 bad input (unknown --cli, no spine, no or stale cache).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spine_gates.commands import emit, root_of
from spine_gates.errors import InputError
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps

if TYPE_CHECKING:
    from spine_gates.failover.bypass import Bypass
    from spine_gates.health.state import Health


def _cached(root: Path) -> tuple[dict[str, Health], str]:
    """The cached `providers status`, refused when older than fresh (`health.cache_ttl_s`,
    SPINE_GATES_HEALTH_TTL), as `failover plan --from-cache` does: an outage seen minutes ago
    may be over."""
    import os

    from spine_gates.failover.plan import states_from_snapshot
    from spine_gates.health.freshness import snapshot_age
    from spine_gates.health.routing_states import read_snapshot

    snapshot = read_snapshot(root)
    if snapshot is None:
        raise InputError("no cached provider state for this spine: run `gates providers "
                         "status` first, or drop --from-cache", str(root))
    stamp, age, ttl = snapshot_age(snapshot, os.environ)
    if age > ttl:
        raise InputError(f"the cached provider health is from {stamp} ({age:.0f} s old; fresh "
                         f"for {ttl:g} s): run `gates providers status` first, or drop "
                         "--from-cache to probe now")
    return states_from_snapshot(snapshot), f"cached at {stamp}, {age:.0f} s old"


def _probed(args: argparse.Namespace, root: Path) -> tuple[dict[str, Health], str]:
    from spine_gates.health.provider_status import collect_status
    from spine_gates.health.render import Progress
    from spine_gates.health.state import iso

    progress = Progress(sys.stderr)
    try:
        report, _keys = collect_status(root, timeout=args.timeout, deadline=args.deadline,
                                       offline=args.offline, deep=args.deep,
                                       overrides=args.api_base_override, progress=progress)
    finally:
        progress.clear()
    how = "offline (breakers and router log only)" if report.offline else "probed"
    return {s.id: s.health for s in report.providers}, f"{how} at {iso(report.checked_at)}"


def _quoted(value: str) -> str:
    """A double-quoted shell word; a lone `$NAME` (a key reference) stays expandable."""
    import re

    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", value):
        return f'"{value}"'
    return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'


def render_text(results: list[Bypass], health: str) -> str:
    from spine_gates.failover.bypass import DIRECT, NOT_PROXIED

    blocks = []
    for item in results:
        if item.status == NOT_PROXIED:
            blocks.append([f"# {item.cli} {item.reason}"])
            continue
        head = f"# {item.cli} ({item.api_format} format, role {item.role}): "
        lines = [head + (f"straight to {item.route}, not through the router"
                         if item.status == DIRECT else item.reason)]
        lines += [f"#   skipped {ref}: {why}" for ref, why in item.skipped]
        for change in item.setup.files:
            lines.append(f"# merge into {change.path}:")
            lines += [f"#   {line}" for line in json.dumps(change.merge, indent=2).splitlines()]
        if item.run:
            lines += ["# run it as:", f"#   {item.run}"]
        lines += [f"export {name}={_quoted(value)}" for name, value in item.setup.env.items()]
        lines += [f"unset {name}" for name in item.setup.unset]
        blocks.append(lines)
    if len(blocks) > 1 or (results and results[0].status != NOT_PROXIED):
        blocks[-1].append(f"# health: {health}")
    return visible_lines([line for i, block in enumerate(blocks)
                          for line in ([""] if i else []) + block])


def cmd_bypass(args: argparse.Namespace) -> int:
    from spine_gates.failover.bypass import NO_DIRECT, bypass
    from spine_gates.model.governance import load_model

    root = root_of(args)
    model = load_model(root)
    clis = model.cli_interfaces
    if args.cli is not None and args.cli not in clis:
        raise InputError(f"unknown CLI {args.cli!r} (CLI_INTERFACE_REGISTRY.yaml: "
                         f"{', '.join(sorted(clis))})", "--cli")
    names = [args.cli] if args.cli else [
        name for name, body in clis.items()
        if isinstance(body, dict) and body.get("proxy_compatible") is True]
    states, health = _cached(root) if args.from_cache else _probed(args, root)
    results = [bypass(model, str(name), states) for name in names]
    code = 1 if any(r.status == NO_DIRECT for r in results) else 0
    if args.format == "json":
        data: dict[str, Any] = {"version": 1, "health": health, "exit_code": code,
                                "clis": [r.to_json() for r in results]}
        emit(dumps(data), None)
    else:
        emit(render_text(results, health), None)
    return code
