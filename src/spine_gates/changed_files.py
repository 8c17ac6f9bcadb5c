"""Whether changed files include anything a gate reads: the pre-commit hooks' file filter.

The hooks pass pre-commit's changed files. A gate (and `policy test`, `secrets check`) runs in full
when one of them is something it reads, and otherwise exits at once. What a gate reads is what its
receipt names (the registries wherever `spine-gates.yaml` puts them, the settings, waivers and
baseline, and the folders of `GateDefinition.reads`), plus the secrets manifest and every file the
settings or registries name (inject files, SSOT paths): rules check that those exist.

Decided before anything heavy is imported. A commit that touches nothing governed costs a few
small files read as text: a name the registries mention appears in their text. YAML is parsed only
to find registries that `spine-gates.yaml` moves, and the gate definitions only when a changed file
lies in a folder that some gates read and others do not.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

import spine_gates
from spine_gates.errors import GatesError
from spine_gates.model.spine import REGISTRY_PATHS, bundled_dir, load_config
from spine_gates.spine_files import (
    BRAIN_DIR,
    CONFIG_FILE,
    POLICIES_DIR,
    SCENARIOS_DIR,
    SECRETS_MANIFEST,
    settings_files,
)

SKIPPED = "nothing it reads changed"


def gate_skip_note(root: Path, changed: Sequence[str], gate: str,
                   reader: str = "") -> str | None:
    """The one line to print instead of running `gate` (a name, or `all`) when none of `changed`
    is something it reads; None when the gate must run (or the name is not a gate: the full path
    reports that)."""
    if gate != "all" and not (bundled_dir("gates") / f"{gate}.yaml").is_file():
        return None
    return skip_note(root, changed, reader or f"gates run {gate}", lambda: _gate_folders(gate))


def policy_test_skip_note(root: Path, changed: Sequence[str]) -> str | None:
    """`gates policy test`: its cases patch the spine's registries and its packs and cases live in
    `policies/`; a spine without that folder has nothing of its own to test until one appears."""
    reader = "gates policy test"
    if (root / POLICIES_DIR).is_dir():
        return skip_note(root, changed, reader, lambda: {POLICIES_DIR})
    if any((_relative(root, name) or "").startswith(f"{POLICIES_DIR}/") for name in changed):
        return None
    return f"{reader}: the spine has no {POLICIES_DIR}/ of its own; not run"


def skip_note(root: Path, changed: Sequence[str], reader: str,
              folders: Callable[[], Collection[str]]) -> str | None:
    """The one line for `reader` when none of `changed` is governed, else None. `folders` (the
    optional folders the reader reads) is asked only if a changed file lies in one."""
    if first_governed(root, changed, folders) is not None:
        return None
    return f"{reader}: {SKIPPED} ({len(changed)} changed file(s) given); not run"


def first_governed(root: Path, changed: Iterable[str],
                   folders: Callable[[], Collection[str]]) -> str | None:
    """The first changed file (root-relative) that is read, else None. Paths are as pre-commit
    passes them: relative to the current directory (the repository's top), or absolute."""
    paths = [rel for rel in (_relative(root, name) for name in changed) if rel is not None]
    removed = _removed_under_pre_commit(root)
    if removed is None:
        return "(git could not say which files this commit deletes)"
    paths += removed
    if not paths:
        return None
    fixed = {*settings_files(), *REGISTRY_PATHS.values(), SECRETS_MANIFEST}
    shipped = _shipped_inside(root)
    in_folders = []
    for rel in paths:
        if rel in fixed or any(rel == top or rel.startswith(f"{top}/") for top in shipped):
            return rel
        if rel.startswith(f"{BRAIN_DIR}/"):  # secret detection scans every file under it
            return rel
        if rel.split("/", 1)[0] in (POLICIES_DIR, SCENARIOS_DIR) and "/" in rel:
            in_folders.append(rel)
    named = _named(root, [rel for rel in paths if rel not in in_folders])
    if named is not None:
        return named
    if in_folders:
        read = folders()
        return next((rel for rel in in_folders if rel.split("/", 1)[0] in read), None)
    return None


def _relative(root: Path, name: str) -> str | None:
    """`name` relative to `root`, one spelling; None when it lies outside the root."""
    full = os.path.normpath(os.path.join(os.getcwd(), name))
    rel = os.path.relpath(full, root)
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return Path(rel).as_posix()


def _removed_under_pre_commit(root: Path) -> list[str] | None:
    """The files this commit deletes (and renames away from), root-relative, when pre-commit runs
    the hook: it never passes them, yet deleting an inject file breaks the spine. None when git
    cannot say (then everything counts as changed); [] outside pre-commit."""
    if not os.environ.get("PRE_COMMIT"):
        return []
    import subprocess  # only pre-commit's runs ask git (a manual or CI run skips its ~5 ms)

    since, until = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    compare = [f"{since}...{until}"] if since and until else ["--cached"]
    try:
        done = subprocess.run(["git", "diff", *compare, "--name-only", "--no-renames",
                               "--diff-filter=D", "--relative", "-z"], cwd=root,
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [os.fsdecode(name) for name in done.stdout.split(b"\0") if name]


def _shipped_inside(root: Path) -> list[str]:
    """The tool's own gates, rule packs and engine, where they lie inside the spine root (this
    project's checkout): every gate reads them."""
    tops = []
    engine = Path(spine_gates.__file__).parent
    for folder in (bundled_dir("gates"), bundled_dir("policies"), engine):
        rel = _relative(root, str(folder))
        if rel is not None:
            tops.append(rel)
    return tops


def _mentioned_in(name: str, text: str | None, paths: list[str]) -> str | None:
    """The first of `paths` that `text` (the file `name`) mentions; `name` itself when the file
    cannot be read, so the gate runs and reports it."""
    return name if text is None else _mentions(text, paths)


def _named(root: Path, paths: list[str]) -> str | None:
    """The first of `paths` whose file name the settings or a registry mention (or a registry
    that cannot be read: the gate must run to report it)."""
    if not paths:
        return None
    config = None
    if (root / CONFIG_FILE).exists() or (root / CONFIG_FILE).is_symlink():
        config = _text(root / CONFIG_FILE)
        hit = _mentioned_in(CONFIG_FILE, config, paths)
        if hit is not None:
            return hit
    registries: Collection[str] = REGISTRY_PATHS.values()
    if config is not None and "registries" in _unescaped(config):
        try:
            registries = load_config(root).registries.values()
        except GatesError:
            return CONFIG_FILE
    for rel in registries:
        hit = _mentioned_in(rel, _text(root / rel), paths)
        if hit is not None:
            return hit
    return None


def _text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def _mentions(text: str, paths: list[str]) -> str | None:
    """A path whose file name occurs in `text`, raw or with YAML's double-quoted escapes undone:
    a value that names the file (`./docs/x.md`, `docs//x.md`, "docs/\\x78.md") holds that name."""
    decoded = _unescaped(text)
    for rel in paths:
        name = posixpath.basename(rel)
        if name and (name in text or name in decoded):
            return rel
    return None


_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|\r?\n[ \t]*|.)", re.S)
_SIMPLE = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f",
           "r": "\r", "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def _unescaped(text: str) -> str:
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] in "xuU" and len(escape) > 1:
            code = int(escape[1:], 16)
            return chr(code) if code <= 0x10FFFF else match.group(0)
        if escape[0] in "\r\n":  # an escaped line break joins the lines
            return ""
        return _SIMPLE.get(escape, escape)

    return _ESCAPE.sub(one, text)


def _gate_folders(gate: str) -> frozenset[str]:
    # the check table and gate files only when a changed file lies in a folder some gates read
    from spine_gates.checks.table import load_gates

    gates = load_gates()
    chosen = list(gates.values()) if gate == "all" else [gates[gate]] if gate in gates else []
    if not chosen:  # a name the definitions do not know: whatever the folder, run (and report)
        return frozenset((POLICIES_DIR, SCENARIOS_DIR))
    folders: set[str] = set().union(*(definition.reads for definition in chosen))
    for definition in chosen:  # secret detection scans the text of policies/ and scenarios/ too
        if any(check.get("kind") == "policy" and "secrets" in (check.get("packs") or ())
               for check in definition.checks):
            folders.update((POLICIES_DIR, SCENARIOS_DIR))
    return frozenset(folders)
