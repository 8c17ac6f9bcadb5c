"""Git facts about the spine root (gitpython): commit, branch, dirty; tolerant of a non-git root.

Only `open_repo` imports gitpython (~0.1 s): `worktree_of` walks the folders without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RECEIPTS_DIR = "receipts"


def open_repo(root: Path) -> Any:
    """The git repository containing `root`, or None when it is not in one."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def worktree_of(path: Path) -> Path | None:
    """The top of the git worktree containing `path` (walks up for `.git`; no git needed)."""
    current = path.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_state(root: Path) -> dict[str, Any] | None:
    """{commit, branch, dirty} for the spine root; None outside git or before the first commit.

    `dirty` ignores the receipts folder itself, which a gate run is about to change.
    """
    repo = open_repo(root)
    if repo is None:
        return None
    try:
        commit = repo.head.commit.hexsha
    except ValueError:
        return None
    branch = None if repo.head.is_detached else repo.active_branch.name
    top = Path(repo.working_tree_dir).resolve()
    try:
        receipts = (root.resolve() / RECEIPTS_DIR).relative_to(top).as_posix() + "/"
    except ValueError:
        receipts = RECEIPTS_DIR + "/"
    status = repo.git.status("--porcelain", "--untracked-files=no", "-z")
    changed = [entry[3:] for entry in status.split("\0") if len(entry) > 3]
    dirty = any(not path.startswith(receipts) for path in changed)
    return {"commit": commit, "branch": branch, "dirty": dirty}
