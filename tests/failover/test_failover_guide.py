"""docs/guides/failover.md: the command block runs, in order, with the exit codes it states."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.failover.cli_setup import arm
from tests.health.fakes import KEYS, FakeProviders, closed_port
from tests.helpers import REPO, run_gates

GUIDE = REPO / "docs" / "guides" / "failover.md"


def guide_commands() -> list[tuple[list[str], int]]:
    text = GUIDE.read_text()
    block = text.split("<!-- failover-commands:start -->\n", 1)[1].split(
        "<!-- failover-commands:end -->", 1)[0]
    out = []
    for line in block.splitlines():
        if not line.startswith("gates "):
            continue
        command, _, comment = line.partition("#")
        expected = re.search(r"\bexit (\d)", comment)
        out.append((shlex.split(command)[1:], int(expected.group(1)) if expected else 0))
    return out


def test_the_guide_lists_the_failover_commands() -> None:
    verbs = {args[1] for args, _ in guide_commands() if args[0] == "failover"}
    assert verbs == {"plan", "apply", "status", "revert"}


def test_the_guides_commands_run_with_the_exit_codes_it_states(tmp_path: Path) -> None:
    armed = arm(tmp_path)
    (armed.spine / "request.json").write_text(json.dumps(
        {"model": "claude-sonnet-4-5", "max_tokens": 16,
         "messages": [{"role": "user", "content": "hi"}]}))
    with FakeProviders() as fake:
        fake.all_healthy()
        env = {**armed.env, **armed.signed(), **KEYS, "SPINE_GATES_API_BASE_OVERRIDES":
               fake.overrides(openai=f"http://127.0.0.1:{closed_port()}/v1")}
        for args, expected in guide_commands():
            proc = run_gates(*args, cwd=armed.spine, env=env)
            assert proc.returncode == expected, (args, proc.stdout, proc.stderr)
            if args[:2] == ["route", "explain"]:
                assert "openrouter,anthropic/claude-sonnet-4-5 answered" in proc.stdout
            if args[:2] == ["receipts", "verify"]:
                assert "failover receipts" in proc.stdout
    assert "none" in run_gates("failover", "status", env=env).stdout
