"""`gates init [DIR] [--yes]`: a minimal spine the user edits, or what an existing spine lacks.

Nothing of the user's is overwritten: a file init would write that exists with other content is
listed and the run stops (exit 3) before anything is written, except the files init merges into
(the SSOT registry, the capability files, the pre-commit config, `.claude/settings.json`), where
it only adds entries, after a prompt (`--yes` skips it; without a terminal it is required).
A DIR that is not in a git repository becomes one (`git init`), as `cargo new` or `uv init` do:
the hooks and the receipts' trust anchors need git.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from spine_gates.clock import today
from spine_gates.errors import InputError

if TYPE_CHECKING:
    from spine_gates.init.plan import Change


def cmd_init(args: argparse.Namespace) -> int:
    from spine_gates.init.plan import Action, plan_init
    from spine_gates.init.templates import Values, slug

    given = args.dir or "."
    root = Path(given)
    _check_dir(root, given)
    values = Values(today().isoformat(), "@" + slug(_login(), "owner"),
                    slug(root.absolute().name, "my-spine"))
    changes = plan_init(root, values)
    conflicts = [c.path for c in changes if c.action is Action.CONFLICT]
    if conflicts:
        raise InputError(f"{len(conflicts)} file(s) exist with other content, and init never "
                         f"overwrites: {', '.join(conflicts)}; move them away and run it again, "
                         "or add what they lack by hand (docs/guides/getting-started.md); "
                         "nothing written", given)
    write_changes(root, given, changes, args.yes, "init")
    for change in changes:
        note = f" ({change.note})" if change.note else ""
        print(f"{change.action.value:<9} {change.path}{note}")
    _git_init(root)
    where = "" if given == "." else f" --root {given}"
    print(f"next:     gates run all{where}   # passes as written; then edit the registries, "
          "git add -A && git commit, pre-commit install")
    return 0


def write_changes(root: Path, given: str, changes: list[Change], yes: bool, verb: str) -> None:
    """Ask before adding to existing files (unless --yes), make DIR, write every change; on any
    failure remove the folders it made, so nothing is half-written (init and import ccr)."""
    from spine_gates.init.apply import apply_plan
    from spine_gates.init.plan import Action

    merges = [c for c in changes if c.action is Action.MERGE]
    if merges and not yes and not _confirmed(merges):
        raise InputError(f"{verb} adds entries to {len(merges)} existing file(s) "
                         f"({', '.join(c.path for c in merges)}): pass --yes to let it "
                         "(nothing else in them changes); nothing written", given)
    made = _make_dir(root, given)
    try:
        apply_plan(root, changes)
    except BaseException:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise


def _check_dir(root: Path, given: str) -> None:
    """DIR is a directory or does not exist yet; anything else is bad input."""
    try:
        if (root.exists() or root.is_symlink()) and not root.is_dir():
            raise InputError("is not a directory", given)
    except OSError as exc:  # a parent that cannot be searched
        raise InputError(f"cannot be read ({exc.strerror or exc})", given) from None


def _make_dir(root: Path, given: str) -> Path | None:
    """Make DIR and its missing parents; returns the outermost folder made (removing it undoes
    all of them), None when DIR existed. A DIR that cannot be made (under a file or a FIFO, no
    permission, a read-only file system) is bad input, with nothing left behind."""
    made: list[Path] = []
    try:
        missing = [p for p in (root, *root.parents) if not p.exists() and not p.is_symlink()]
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except OSError as exc:
        if made:
            shutil.rmtree(made[0], ignore_errors=True)
        raise InputError(f"cannot make the directory ({exc.strerror or exc}); nothing written",
                         given) from None
    return made[0] if made else None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "owner"


def _confirmed(merges: list[Change]) -> bool:
    """Ask on a terminal before adding to the user's files; without one, --yes is required."""
    if not sys.stdin.isatty():
        return False
    for change in merges:
        print(f"will add to {change.path}: {change.note}")
    try:
        answer = input("Add these entries? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _git_init(root: Path) -> None:
    """`git init` a DIR that is in no repository; say so, or say why not (never fatal: the files
    are written and complete)."""
    git = shutil.which("git")
    if git is None:
        print("gates: warning: git not found: run `git init` in the spine before `pre-commit "
              "install`", file=sys.stderr)
        return
    inside = subprocess.run([git, "rev-parse", "--is-inside-work-tree"], cwd=root,
                            capture_output=True, text=True)
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return
    made = subprocess.run([git, "init", "-q"], cwd=root, capture_output=True, text=True)
    if made.returncode != 0:
        print(f"gates: warning: git init failed: {made.stderr.strip()}", file=sys.stderr)
        return
    print("created   .git (git init)")
