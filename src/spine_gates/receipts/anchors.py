"""Trust anchors: the `receipts/keys/*.pub` committed at HEAD.

The keyring that verifies receipts is read from HEAD's blobs, never from the worktree, so a key
dropped into, staged in or edited in `receipts/keys/` adds no trust; each such difference is a
problem with its fix. Revocations are HEAD's `revoked.yaml` together with the worktree's (earliest
date per key), so a worktree edit can add a revocation, never drop one. The store files HEAD
tracks (index, envelopes, keys, revocations) may not vanish from the worktree.

Outside git, or before the first commit, nothing can be pinned: the worktree's keys are the
keyring and it is reported unpinned. Either way every key file must resolve inside the spine root
and be a small regular file, so a FIFO or a link to `/dev/zero` is a problem, never a hang.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.model.loader import read_text
from spine_gates.model.scope import inside_root
from spine_gates.receipts.files import NotRegular, TooLarge, read_regular
from spine_gates.receipts.gitinfo import open_repo, worktree_of
from spine_gates.receipts.keys import (
    KEY_LIMIT,
    KEYS_DIR,
    REVOKED_FILE,
    PublicKey,
    Revocation,
    parse_revocations,
    public_key_from_bytes,
)

REVOKED_LIMIT = 1 << 20
_FILE_MODES = ("100644", "100755")  # git's modes for a regular file (not a link, not a submodule)
_RECEIPTS = "receipts"
_KEYS = "keys/"  # KEYS_DIR relative to the receipts folder
_INDEX = "index.jsonl"
_ENVELOPE_PARTS = 3  # <yyyy>/<mm>/<run-key>.dsse.json


@dataclass
class Keyring:
    """The keys receipts may be signed by, their revocations, and what is wrong around them."""

    keys: list[PublicKey] = field(default_factory=list)
    revocations: dict[str, Revocation] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (spine path, reason)
    pinned: bool = False
    warning: str = ""  # why the keyring is unpinned
    committed: frozenset[str] = frozenset()  # store files HEAD tracks, relative to receipts/


@dataclass(frozen=True)
class _Found:
    """A `.pub` in the worktree: its bytes, or why it cannot be a key."""

    data: bytes = b""
    link: bool = False
    problem: str = ""


@dataclass(frozen=True)
class _Head:
    """HEAD's view of the receipts folder: {path relative to receipts/: (mode, blob id)}."""

    repo: Any
    prefix: str  # the receipts folder relative to the repository's top, for git commands
    entries: dict[str, tuple[str, str]]

    def blob(self, rel: str, limit: int, display: str) -> bytes:
        sha = bytes.fromhex(self.entries[rel][1])
        if self.repo.odb.info(sha).size > limit:
            raise InputError(f"is over {limit} bytes at HEAD; not a key file", display)
        return bytes(self.repo.odb.stream(sha).read())


def load_keyring(root: Path) -> Keyring:
    """The keyring for `root`; a key file that leaves the spine root, or a malformed key or
    revocation list, is an InputError (exit 3)."""
    inside_root(root, KEYS_DIR)
    found = _worktree_keys(root)
    head = _head(root)
    if isinstance(head, str):
        return _unpinned(root, found, head)
    return _pinned(root, found, head)


def _restore(display: str) -> str:
    return f"restore it: git checkout HEAD -- {display}"


def _worktree_keys(root: Path) -> dict[str, _Found]:
    """Every `*.pub` in `receipts/keys/`, read only if it is a small regular file in the root."""
    try:
        with os.scandir(root / KEYS_DIR) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".pub"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise InputError(f"cannot list the keys: {exc.strerror or exc}", KEYS_DIR) from None
    out = {}
    for name in names:
        path = inside_root(root, f"{KEYS_DIR}/{name}")
        link = path.is_symlink()
        try:
            out[name] = _Found(read_regular(os.fspath(path), KEY_LIMIT), link)
        except (NotRegular, IsADirectoryError):
            out[name] = _Found(link=link, problem="not a regular file (a FIFO, device or "
                                                  "directory), so not a key; remove it")
        except TooLarge:
            out[name] = _Found(link=link, problem=f"over {KEY_LIMIT} bytes, so not a key; "
                                                  "remove it")
        except OSError as exc:
            out[name] = _Found(link=link, problem=f"cannot be read ({exc.strerror or exc}), so "
                                                  "not a key")
    return out


def _head(root: Path) -> _Head | str:
    """HEAD's receipts folder, or why nothing can be pinned."""
    outside = "the spine root is not in a git repository"
    if worktree_of(root) is None and "GIT_DIR" not in os.environ:
        return outside  # no git at all: do not even import gitpython
    import git

    repo = open_repo(root)
    if repo is None or repo.working_tree_dir is None:
        return outside
    try:
        repo.head.commit  # noqa: B018 - raises on an empty repository
    except ValueError:
        return "the repository has no commit yet"
    try:
        base = root.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    except ValueError:
        return outside
    prefix = _RECEIPTS if base == "." else f"{base}/{_RECEIPTS}"
    try:
        listing = repo.git.ls_tree("-r", "-z", "--full-tree", "HEAD", "--", f"{prefix}/")
    except git.GitCommandError as exc:  # e.g. git refuses a repository of another owner
        detail = (exc.stderr or "").strip().splitlines()
        raise InputError("cannot read the keys committed at HEAD: "
                         f"{detail[-1] if detail else exc}", KEYS_DIR) from None
    entries = {}
    for record in listing.split("\0"):
        meta, _, path = record.partition("\t")
        if meta and path.startswith(f"{prefix}/"):
            mode, _kind, sha = meta.split()
            entries[path[len(prefix) + 1:]] = (mode, sha)
    return _Head(repo, prefix, entries)


def _unpinned(root: Path, found: dict[str, _Found], reason: str) -> Keyring:
    ring = Keyring(warning=f"{KEYS_DIR}/: the keyring is unpinned ({reason}): every .pub in it "
                           "is trusted; trust anchors are the keys committed at HEAD")
    for name, item in found.items():
        display = f"{KEYS_DIR}/{name}"
        if item.problem:
            ring.problems.append((display, item.problem))
        else:
            ring.keys.append(public_key_from_bytes(item.data, name[:-4], display))
    text = _worktree_revocations(root)
    if text is not None:
        ring.revocations = parse_revocations(text, f"{KEYS_DIR}/{REVOKED_FILE}", ring.keys)
    return ring


def _pinned(root: Path, found: dict[str, _Found], head: _Head) -> Keyring:
    ring = Keyring(pinned=True)
    committed = {rel: entry for rel, entry in head.entries.items()
                 if rel.startswith(_KEYS) and "/" not in rel[len(_KEYS):]
                 and rel.endswith(".pub")}
    for rel, (mode, _sha) in sorted(committed.items()):
        name = rel[len(_KEYS):]
        display = f"{KEYS_DIR}/{name}"
        item = found.pop(name, None)
        if mode not in _FILE_MODES:
            ring.problems.append((display, "committed at HEAD as a symbolic link or submodule, "
                                           "not a key file, so not a trust anchor; commit the "
                                           "key file itself"))
            continue
        data = head.blob(rel, KEY_LIMIT, f"HEAD:{display}")
        ring.keys.append(public_key_from_bytes(data, name[:-4], f"HEAD:{display}"))
        if item is None:
            ring.problems.append((display, "committed at HEAD but deleted from the worktree; "
                                           + _restore(display)))
        elif item.problem:
            ring.problems.append((display, item.problem))
        elif item.link or item.data != data:
            ring.problems.append((display, "differs from the key committed at HEAD (modified), "
                                           "so the worktree copy is not trusted; commit "
                                           f"{display} or {_restore(display)}"))
    if found:
        staged = _staged(head, sorted(found))
        for name, item in found.items():
            display = f"{KEYS_DIR}/{name}"
            state = "staged, not committed" if name in staged else "untracked"
            ring.problems.append((display, item.problem or (
                f"not committed at HEAD ({state}), so not a trust anchor; commit {display} to "
                "trust it")))
    ring.revocations = _pinned_revocations(root, head, ring)
    ring.committed = frozenset(rel for rel in head.entries if _is_store_file(rel))
    return ring


def _staged(head: _Head, names: list[str]) -> set[str]:
    paths = [f"{head.prefix}/{_KEYS}{name}" for name in names]
    listed = head.repo.git.ls_files("-z", "--full-name", "--", *paths)
    return {path.rsplit("/", 1)[-1] for path in listed.split("\0") if path}


def _worktree_revocations(root: Path) -> str | None:
    """The worktree's `revoked.yaml` text, or None when there is none."""
    display = f"{KEYS_DIR}/{REVOKED_FILE}"
    path = inside_root(root, display)
    if not path.exists() and not path.is_symlink():
        return None
    return read_text(path, display, REVOKED_LIMIT)  # a regular file, or exit 3


def _pinned_revocations(root: Path, head: _Head, ring: Keyring) -> dict[str, Revocation]:
    """HEAD's revocations and the worktree's, the earliest date for each key."""
    display = f"{KEYS_DIR}/{REVOKED_FILE}"
    rel = f"{_KEYS}{REVOKED_FILE}"
    text = _worktree_revocations(root)
    out: dict[str, Revocation] = {}
    if rel in head.entries:
        committed = head.blob(rel, REVOKED_LIMIT, f"HEAD:{display}")
        try:
            decoded = committed.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not valid UTF-8", f"HEAD:{display}") from None
        out = parse_revocations(decoded, f"HEAD:{display}", ring.keys)
        if text is None:
            ring.problems.append((display, "committed at HEAD but deleted from the worktree; "
                                           + _restore(display)))
        elif text == decoded:
            return out
    if text is not None:
        for keyid, revocation in parse_revocations(text, display, ring.keys).items():
            if keyid not in out or revocation.revoked_at < out[keyid].revoked_at:
                out[keyid] = revocation
    return out


def _is_store_file(rel: str) -> bool:
    """The index or an envelope (`<yyyy>/<mm>/<run-key>.dsse.json`), relative to receipts/."""
    if rel == _INDEX:
        return True
    parts = rel.split("/")
    return (len(parts) == _ENVELOPE_PARTS and len(parts[0]) == 4 and parts[0].isdigit()
            and len(parts[1]) == 2 and parts[1].isdigit() and parts[2].endswith(".dsse.json"))
