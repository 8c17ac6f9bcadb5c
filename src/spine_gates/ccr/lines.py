"""JSON pointer -> line for a JSON5 text, so findings in a live config carry file:line.

pyjson5 parses but keeps no positions; this scanner only follows structure (strings, comments,
brackets, keys) over text pyjson5 has already accepted. One regex does the tokenising, so a
2,000-provider config scans in a fraction of a second.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

_TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<dq>"(?:[^"\\]|\\.)*"?)
  | (?P<sq>'(?:[^'\\]|\\.)*'?)
  | (?P<punct>[{}\[\],:])
  | (?P<word>[^\s{}\[\],:/"']+|/)
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_lines(text: str) -> dict[str, int]:
    """The 1-based line of every key (objects) and element (arrays) in `text`."""
    offsets: dict[str, int] = {}
    # frames: [is_object, pointer, current key, array index, expecting a key]
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):  # whitespace between tokens is skipped by the search
        kind = match.lastgroup
        if kind == "comment":
            continue
        token = match.group()
        if kind == "punct":
            if token in "{[":
                pointer = _value_pointer(stack)
                offsets.setdefault(pointer, match.start())
                stack.append([token == "{", pointer, None, 0, token == "{"])
            elif token in "}]":
                if stack:
                    stack.pop()
            elif token == ":":
                if stack:
                    stack[-1][4] = False
            elif stack:  # comma
                if stack[-1][0]:
                    stack[-1][4] = True
                else:
                    stack[-1][3] += 1
            continue
        if kind == "word":
            value = token
        else:
            value = token[1:-1] if len(token) > 1 else ""
            if "\\" in value:
                value = _ESCAPE.sub(r"\1", value)
        if stack and stack[-1][0] and stack[-1][4]:
            stack[-1][2] = value
            offsets[f"{stack[-1][1]}/{_escape(value)}"] = match.start()
        else:
            offsets.setdefault(_value_pointer(stack), match.start())
    newlines = [m.start() for m in re.finditer("\n", text)]
    return {pointer: bisect.bisect_left(newlines, offset) + 1
            for pointer, offset in offsets.items()}


def _value_pointer(stack: list[list[Any]]) -> str:
    if not stack:
        return ""
    top = stack[-1]
    if top[0]:
        return f"{top[1]}/{_escape(top[2] or '')}"
    return f"{top[1]}/{top[3]}"


def line_of(lines: dict[str, int], pointer: str) -> int | None:
    """The line of `pointer` or of its nearest ancestor that has one."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
