"""`gates compile <target>`: the SSOT compiled to a proxy's config (byte-stable).

The target is compile's word (`gates compile ccr`) or `--target` (as on every proxy command);
given both, they must agree. Compiling is a deploy step: it refuses a broken SSOT first
(drift/deploy_guard.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spine_gates.commands import emit, root_of
from spine_gates.errors import InputError


def compile_text(spine: Path, profile: str | None, target: str | None = None) -> str:
    """The compiled config text (byte-stable) for `target` (default ccr)."""
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.deploy_guard import refuse_broken_ssot, refuse_known_keys
    from spine_gates.targets import get_target

    proxy = get_target(target)
    ctx = prepare(spine)
    refuse_broken_ssot(ctx, "compile")
    text = proxy.compile(ctx.model, profile).text
    refuse_known_keys(text, "compile")
    return text


def target_of(name: str | None, option: str | None) -> str | None:
    """`compile NAME` and `--target NAME` say the same thing; both given, they must agree."""
    if name and option and name != option:
        raise InputError(f"compile {name} --target {option}: two different targets; name one")
    return name or option


def cmd_compile(args: argparse.Namespace) -> int:
    emit(compile_text(root_of(args), args.profile, target_of(args.name, args.target)),
         args.output)
    return 0
