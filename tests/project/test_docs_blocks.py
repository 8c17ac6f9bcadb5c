"""Docs that cannot rot: every ```sh (```bash, ```shell) block of README.md and docs/guides/*.md
runs, and each command exits as the text says.

How a block runs: in a fresh temporary copy of the reference spine (a git repository with one
commit, `request.json` beside the registries), with a temporary HOME and XDG directories whose
live router config is what `gates sync` writes (and stand-in values for the keys it names, as
under `infisical run`), `gates` on PATH as this checkout's CLI, today pinned and no network.
Each command line runs on its own in `bash` (a line ending in `\\` continues on the next), in
order, in the same directory; comment-only lines are skipped.

Markers, for guide authors:
- A command that should fail states it in its comment, which begins with `exit N`:
  `gates failover plan   # exit 1: changes proposed`. Any other line must exit 0.
- A block that cannot run here (real providers, a running router, `infisical run`, an install
  from the network) is preceded by `<!-- docs-test: exempt: <reason> -->` (other HTML comments
  may sit between the marker and the fence). Exemptions are pinned in EXEMPTIONS below, so adding
  one is a reviewed change.
- A block that needs more than the common set-up names its set-up in SETUPS below.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_reference_spine, gates_env

DOCS = [REPO / "README.md", *sorted((REPO / "docs" / "guides").glob("*.md"))]
RUNNABLE = {"sh", "bash", "shell"}
FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
HTML_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
EXPECTED_EXIT = re.compile(r"\s#\s*exit\s+(\d+)\b")

# (file, the block's first command line) -> why it cannot run here. A block that cannot run is
# marked in the docs AND listed here; the test fails when the two disagree.
EXEMPTIONS: dict[tuple[str, str], str] = {
    ("README.md", "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/gates run all"):
        "installs from the package index; tests/project/test_install_lines.py runs it offline",
    ("README.md", "./scripts/test.sh"):
        "runs the whole suite; .ci/run runs it",
    ("README.md", 'python3 -m pip install "git+https://github.com/<org>/spine-gates@<commit>"'):
        "installs from the network; tests/project/test_install_lines.py runs it with a git+file "
        "URL",
    ("README.md", "python3 -m pip wheel --no-deps -w dist ."):
        "needs a spine-gates checkout; tests/project/test_install_lines.py builds and installs the "
        "wheel in a fresh venv",
    ("README.md", "gates compile ccr [--profile 2.0|1.0] [--out FILE]"):
        "synopsis ([optional] arguments) and a restart of the real router",
    ("README.md", "gates route explain request.json [--fail anthropic=http_429 ...] [--live-state] "
                  "[--ccr-config PATH]"):
        "synopsis ([optional] arguments)",
    ("README.md", "gates providers status [--format json] [--timeout S] [--deadline S] [--offline] "
                  "[--deep]"):
        "synopsis ([optional] arguments); probes real providers",
    ("README.md", "gates failover plan [--from-cache] [--format json]"):
        "synopsis ([optional] arguments)",
    ("README.md", "gates receipts keygen --name ci"):
        "synopsis ([optional] arguments)",
    ("claude-code-router.md", "npm install --save-exact @musistudio/claude-code-router@2.0.0"):
        "installs from the npm registry; package.json pins it for the tests",
    ("claude-code-router.md", "infisical run --env=prod --path=/spine/ai/providers -- ccr start"):
        "infisical run and a real router",
    ("claude-code-router.md", "gates sync --dry-run"):
        "restarts the real router (tests/ccr run the real router)",
    ("claude-code-router.md", 'eval "$(ccr activate)"'):
        "needs the router's CLI and a live router config (tests/ccr/ run `gates proxy check`)",
    ("failover.md", "gates sync && ccr restart"):
        "edits spine-gates.yaml by hand and restarts the real router",
    ("failover.md", "gates providers status"):
        "tests/failover/test_failover_guide.py runs it in order against fake providers",
    ("receipts.md", "infisical run --path /spine/ci -- env SPINE_GATES_SIGNING_KEY_REF="
                    "env:GATES_SIGNING_KEY gates run all"):
        "infisical run",
    ("failover.md", "gates failover bypass"):
        "needs provider keys from Infisical and cached or probed provider health "
        "(tests/failover/test_bypass_claude.py runs it against a fake provider)",
    ("failover.md", "gates failover watch --once"):
        "needs a deployed router config, a signing key and provider keys "
        "(tests/failover/test_watch_guide.py runs it against fake providers)",
    ("failover.md", "systemctl --user daemon-reload"):
        "needs systemd's user manager",
    ("getting-started.md", 'python3 -m venv .venv && .venv/bin/pip install '
                           '"git+https://github.com/<org>/spine-gates@<commit>"'):
        "installs spine-gates from the network (tests/project/test_install_lines.py installs "
        "from a git+file URL)",
    ("getting-started.md", 'cd my-spine && pre-commit install && git add -A && git commit -m '
                           '"spine from gates init"'):
        "needs your git identity (tests/init/ commit with a test identity)",
    ("getting-started.md", "cd ~/code/agentic-spine"):
        "needs your existing spine checkout (tests/init/test_init_existing_spine.py uses a "
        "fixture of its shape)",
}


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    expected: int


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # the opening fence's line
    lang: str
    commands: tuple[Command, ...]
    markers: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def key(self) -> tuple[str, str]:
        first = self.commands[0].text if self.commands else ""
        return self.path.name, first.split("  #")[0].strip()

    @property
    def exempt(self) -> str | None:
        for marker in self.markers:
            if marker.startswith("exempt:"):
                return marker.removeprefix("exempt:").strip()
        return None


def _commands(lines: list[str], first_line: int) -> tuple[Command, ...]:
    out: list[Command] = []
    pending: list[str] = []
    start = first_line
    for number, raw in enumerate(lines, first_line):
        text = raw.rstrip()
        if not pending:
            start = number
            if not text.strip() or text.lstrip().startswith("#"):
                continue
        if text.endswith("\\"):
            pending.append(text[:-1])
            continue
        whole = " ".join([*pending, text]).strip()
        pending = []
        expected = EXPECTED_EXIT.search(whole)
        out.append(Command(start, whole, int(expected.group(1)) if expected else 0))
    return tuple(out)


def parse(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, with the docs-test markers just above each."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if not opened:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        markers: list[str] = []
        above = index - 1
        while above >= 0 and HTML_COMMENT.match(lines[above]):
            marker = MARKER.match(lines[above])
            if marker:
                markers.append(marker.group(1))
            above -= 1
        blocks.append(Block(path, index + 1, opened.group(1), _commands(
            lines[index + 1:end], index + 2), tuple(markers)))
        index = end + 1
    return blocks


ALL_BLOCKS = [block for doc in DOCS for block in parse(doc)]
RUN_BLOCKS = [b for b in ALL_BLOCKS if b.lang in RUNNABLE and b.exempt is None]


def _nested_spine(spine: Path, home: Path) -> None:
    """README's usage block checks `--root path/to/spine`."""
    copy_reference_spine(spine / "path" / "to" / "spine")


def _live_edit(spine: Path, home: Path) -> None:
    """A live router edit made on purpose, for `gates adopt` to turn into a registry patch."""
    live = home / ".claude-code-router" / "config.json"
    text = live.read_text()
    for slot in ("think", "longContext"):  # both of the architect's slots: its primary moved
        text = text.replace(f'"{slot}": "anthropic,claude-opus-4-5"',
                            f'"{slot}": "openrouter,anthropic/claude-opus-4-5"')
    live.write_text(text)


def _hand_written_config(spine: Path, home: Path) -> None:
    """importing.md starts from a hand-written router config with literal keys."""
    fixture = REPO / "tests" / "importing" / "fixtures" / "deepseek-openrouter-ollama.json5"
    shutil.copyfile(fixture, home / ".claude-code-router" / "config.json")


# (file, first command line) -> extra set-up on top of the common one.
SETUPS: dict[tuple[str, str], Callable[[Path, Path], None]] = {
    ("README.md", "gates list"): _nested_spine,
    ("claude-code-router.md", "gates adopt > adopt.patch && git apply adopt.patch"): _live_edit,
    ("importing.md", "gates import ccr ~/.claude-code-router/config.json --into governed"):
        _hand_written_config,
}

REQUEST = ('{"model": "claude-sonnet-4-5", "max_tokens": 16,'
           ' "messages": [{"role": "user", "content": "hi"}]}\n')


def _environment(tmp: Path, spine: Path) -> dict[str, str]:
    home = tmp / "home"
    shims = tmp / "bin"
    shims.mkdir()
    gates = shims / "gates"
    gates.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m spine_gates "$@"\n')
    gates.chmod(0o755)
    env = gates_env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                    XDG_STATE_HOME=str(home / ".local" / "state"),
                    XDG_CACHE_HOME=str(home / ".cache"),
                    XDG_DATA_HOME=str(home / ".local" / "share"),
                    PATH=f"{shims}{os.pathsep}{os.environ.get('PATH', '')}",
                    SPINE_ROOT=str(spine), GIT_CONFIG_NOSYSTEM="1",
                    GIT_AUTHOR_NAME="Docs Test", GIT_AUTHOR_EMAIL="docs@example.invalid",
                    GIT_COMMITTER_NAME="Docs Test", GIT_COMMITTER_EMAIL="docs@example.invalid")
    for name in ("XDG_RUNTIME_DIR", "SPINE_GATES_SIGNING_KEY", "SPINE_GATES_SIGNING_KEY_FILE",
                 "SPINE_GATES_SIGNING_KEY_REF"):
        env.pop(name, None)
    for folder in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        Path(env[folder]).mkdir(parents=True, exist_ok=True)
    return env


def _prepare(tmp: Path, block: Block) -> tuple[Path, dict[str, str]]:
    """The common set-up: a committed copy of the reference spine and a synced live config."""
    spine = copy_reference_spine(tmp / "spine")
    (spine / "request.json").write_text(REQUEST)
    env = _environment(tmp, spine)
    for step in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "commit", "-q", "-m", "spine"],
                 [sys.executable, "-m", "spine_gates", "sync"]):
        done = subprocess.run(step, cwd=spine, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    # the router runs with its keys in the environment (`infisical run -- ccr start`): stand-ins
    live = (Path(env["HOME"]) / ".claude-code-router" / "config.json").read_text()
    for name in re.findall(r'"\$([A-Z_][A-Z0-9_]*)"', live):
        env[name] = f"docs-test-stand-in-{name.lower()}"
    setup = SETUPS.get(block.key)
    if setup is not None:
        setup(spine, Path(env["HOME"]))
    return spine, env


def _tail(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[b.name for b in RUN_BLOCKS])
def test_docs_block_runs_with_the_exit_codes_it_states(block: Block, tmp_path: Path) -> None:
    assert block.commands, f"{block.name}: a {block.lang} block with no command"
    spine, env = _prepare(tmp_path, block)
    for command in block.commands:
        done = subprocess.run(["bash", "-c", command.text], cwd=spine, env=env,
                              capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == command.expected, (
            f"{block.path.relative_to(REPO)}:{command.line} (block at line {block.line}): "
            f"`{command.text}` exited {done.returncode}, the docs say {command.expected}\n"
            f"--- stdout\n{_tail(done.stdout)}\n--- stderr\n{_tail(done.stderr)}")


def test_exempt_blocks_are_exactly_the_pinned_list() -> None:
    marked = {b.key: b.exempt for b in ALL_BLOCKS if b.exempt is not None}
    unlisted = {f"{b.name}: {b.key[1]!r}" for b in ALL_BLOCKS
                if b.exempt is not None and b.key not in EXEMPTIONS}
    unmarked = sorted(set(EXEMPTIONS) - set(marked))
    assert not unlisted, f"exempt in the docs but not in EXEMPTIONS: {sorted(unlisted)}"
    assert not unmarked, f"in EXEMPTIONS but no longer marked exempt in the docs: {unmarked}"
    changed = sorted(f"{key}: docs say {marked[key]!r}, EXEMPTIONS {reason!r}"
                     for key, reason in EXEMPTIONS.items() if marked[key] != reason)
    assert not changed, f"an exemption's reason differs: {changed}"
    empty = [b.name for b in ALL_BLOCKS if b.exempt == ""]
    assert not empty, f"an exemption needs a reason: {empty}"


def test_every_docs_test_marker_is_understood() -> None:
    problems = [f"{b.name}: {marker!r}" for b in ALL_BLOCKS for marker in b.markers
                if not marker.startswith("exempt:")]
    problems += [f"{b.name}: exempt marker on a ```{b.lang or 'plain'} block, which never runs"
                 for b in ALL_BLOCKS if b.exempt is not None and b.lang not in RUNNABLE]
    for doc in DOCS:  # a marker that precedes no fence is a typo that would exempt nothing
        lines = doc.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if "docs-test:" in line and not MARKER.match(line):
                problems.append(f"{doc.relative_to(REPO)}:{number}: malformed marker {line!r}")
    assert not problems, problems


def test_every_setup_names_a_block_that_runs() -> None:
    keys = {b.key for b in RUN_BLOCKS}
    assert set(SETUPS) <= keys, sorted(set(SETUPS) - keys)


def test_the_docs_have_blocks_that_run() -> None:
    # a parser that found nothing would pass every docs block vacuously
    assert len(RUN_BLOCKS) >= 8, [b.name for b in RUN_BLOCKS]
    assert shutil.which("bash")
