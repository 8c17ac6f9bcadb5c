"""JSON pointer -> line for a JSON5 text, so findings in a live config carry file:line.

pyjson5 parses but keeps no positions; this scanner only follows structure (strings, comments,
brackets, keys) over text pyjson5 has already accepted.
"""

from __future__ import annotations

from typing import Any

_PUNCT = "{}[],:"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_lines(text: str) -> dict[str, int]:
    """The 1-based line of every key (objects) and element (arrays) in `text`."""
    lines: dict[str, int] = {}
    stack: list[dict[str, Any]] = []
    line, i, n = 1, 0, len(text)

    def value_at() -> str:
        if not stack:
            return ""
        top = stack[-1]
        if top["obj"]:
            return f"{top['ptr']}/{_escape(top['key'] or '')}"
        return f"{top['ptr']}/{top['idx']}"

    def scalar(token: str) -> None:
        if stack and stack[-1]["obj"] and stack[-1]["want_key"]:
            stack[-1]["key"] = token
            lines[f"{stack[-1]['ptr']}/{_escape(token)}"] = line
        else:
            lines.setdefault(value_at(), line)

    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace() or ch == "\ufeff":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
        elif ch in "\"'":
            start_line, j, chars = line, i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    if text[j + 1] == "\n":
                        line += 1
                    chars.append(text[j + 1])
                    j += 2
                    continue
                if text[j] == "\n":
                    line += 1
                chars.append(text[j])
                j += 1
            i = j + 1
            saved, line = line, start_line
            scalar("".join(chars))
            line = saved
        elif ch in "{[":
            pointer = value_at()
            lines.setdefault(pointer, line)
            stack.append({"obj": ch == "{", "ptr": pointer, "key": None, "idx": 0,
                          "want_key": ch == "{"})
            i += 1
        elif ch in "}]":
            if stack:
                stack.pop()
            i += 1
        elif ch == ":":
            if stack:
                stack[-1]["want_key"] = False
            i += 1
        elif ch == ",":
            if stack:
                if stack[-1]["obj"]:
                    stack[-1]["want_key"] = True
                else:
                    stack[-1]["idx"] += 1
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _PUNCT and \
                    not text.startswith("//", j) and not text.startswith("/*", j):
                j += 1
            scalar(text[i:j])
            i = max(j, i + 1)
    return lines


def line_of(lines: dict[str, int], pointer: str) -> int | None:
    """The line of `pointer` or of its nearest ancestor that has one."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
