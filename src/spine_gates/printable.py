"""Visible escapes for text from a spine, a config or a command line before a person sees it.

A control character in an id or a path would colour or clear the terminal, a newline would start
a line of the attacker's choosing (a forged `::error` workflow command in a CI log), a bidi
override would reorder what the reader sees and a zero-width character would hide in plain sight.
Text-like outputs show each such character as the escape Python would write (`\\x1b`, `\\n`,
`\\u202e`, `\\u200b`), so the reader sees exactly what the file holds. Machine formats (JSON,
SARIF) keep the value and rely on their own escaping instead.
"""

from __future__ import annotations

from collections.abc import Iterable


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    return repr(char)[1:-1]  # \n, \x1b, \u202e, \U000e0001: Python's own spelling


def visible(text: object, keep: str = "") -> str:
    """`text` with every non-printable character (but those in `keep`) as a visible escape.

    Non-printable is Python's `str.isprintable`: C0 and C1 controls, DEL, format characters
    (bidi overrides and isolates, zero-width characters, the BOM), line and paragraph separators,
    spaces other than ' ', surrogates and unassigned code points. The common case costs one
    C-level scan. `keep` is for a format with its own escape for a character (GitHub's `%0A`).
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        return value
    if keep:
        return "".join(c if c in keep else _escaped(c) for c in value)
    return "".join(map(_escaped, value))


def visible_lines(lines: Iterable[str]) -> str:
    """Join lines the renderer built, each escaped: a newline inside a value stays visible."""
    return "".join(visible(line) + "\n" for line in lines)
