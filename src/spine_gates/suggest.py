"""Did-you-mean hints: the known name a typo most likely meant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def closest(word: Any, candidates: Iterable[Any]) -> str | None:
    """The candidate `word` most likely meant (difflib ratio ≥ 0.6, the cutoff Python's own
    NameError hints use), or None. Only strings are compared."""
    if not isinstance(word, str) or not word:
        return None
    import difflib

    names = sorted({c for c in candidates if isinstance(c, str) and c != word})
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: Any, candidates: Iterable[Any]) -> str:
    """`; did you mean 'x'?` to append to a message, or nothing."""
    match = closest(word, candidates)
    return f"; did you mean {match!r}?" if match is not None else ""
