"""`gates compile ccr`: the SSOT compiled to claude-code-router's config.json (byte-stable).

Compiling is a deploy step: it refuses a broken SSOT first (drift/deploy_guard.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spine_gates.commands import emit, root_of


def compile_text(spine: Path, profile: str | None) -> str:
    """The compiled config.json text (byte-stable)."""
    from spine_gates.ccr.compile import compile_ccr_config, profile_for, render_config
    from spine_gates.checks.interface import prepare
    from spine_gates.drift.deploy_guard import refuse_broken_ssot, refuse_known_keys

    ctx = prepare(spine)
    refuse_broken_ssot(ctx, "compile")
    text = render_config(compile_ccr_config(ctx.model, profile_for(profile, ctx.model)))
    refuse_known_keys(text, "compile")
    return text


def cmd_ccr(args: argparse.Namespace) -> int:
    emit(compile_text(root_of(args), args.profile), args.output)
    return 0
