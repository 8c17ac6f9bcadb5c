"""Exact cl100k token counts the way claude-code-router 2.0 computes them, offline.

The router sums tiktoken cl100k_base counts of each piece separately. `bpe-openai` ships the
encoding inside the wheel (tiktoken downloads it at first use, which fails offline); it is
imported on first use only, so the pre-commit path never loads it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


class TokenCountError(Exception):
    """The router's own counter throws here (e.g. a special token like <|endoftext|> in text);
    the router then catches it and routes to `Router.default`."""


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import bpe_openai

    return bpe_openai.get_encoding("cl100k_base")


@lru_cache(maxsize=4096)
def count_text(text: str) -> int:
    """Tokens in one piece of text; special tokens raise like tiktoken's JS `encode`."""
    if not isinstance(text, str):
        raise TokenCountError(f"cannot encode a {type(text).__name__}")
    if not text:
        return 0
    try:
        return len(_encoding().encode(text))
    except ValueError as exc:
        raise TokenCountError(str(exc).splitlines()[0]) from None


def js_stringify(value: Any) -> str:
    """JSON.stringify: compact separators, non-ASCII kept, integral floats without `.0`."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False)


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def _truthy(value: Any) -> bool:
    """JavaScript truthiness for JSON values (an empty object or list is truthy)."""
    if isinstance(value, dict | list):
        return True
    return bool(value)


def count_request_tokens(body: dict[str, Any]) -> int:
    """The router's count: messages, system text and tool definitions (not images or thinking).

    Raises TokenCountError where the router's counter would throw.
    """
    total = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if message is None:
                raise TokenCountError("a message is null")
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                total += count_text(content)
            elif isinstance(content, list):
                for part in content:
                    if part is None:
                        raise TokenCountError("a content part is null")
                    if not isinstance(part, dict):
                        continue
                    kind = part.get("type")
                    if kind == "text":
                        total += count_text(part.get("text"))
                    elif kind == "tool_use":
                        if "input" not in part:
                            raise TokenCountError("tool_use without input")
                        total += count_text(js_stringify(part["input"]))
                    elif kind == "tool_result":
                        inner = part.get("content")
                        if "content" not in part:
                            raise TokenCountError("tool_result without content")
                        total += count_text(inner if isinstance(inner, str)
                                            else js_stringify(inner))
    system = body.get("system", [])
    if isinstance(system, str):
        total += count_text(system)
    elif isinstance(system, list):
        for block in system:
            if block is None:
                raise TokenCountError("a system block is null")
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                text = block.get("text")
                if isinstance(text, str):
                    total += count_text(text)
                elif isinstance(text, list):
                    total += sum(count_text(t or "") for t in text)
    tools = body.get("tools")
    if _truthy(tools):
        if not isinstance(tools, list):
            raise TokenCountError("tools is not a list")
        for tool in tools:
            if tool is None:
                raise TokenCountError("a tool is null")
            if not isinstance(tool, dict):
                continue
            if _truthy(tool.get("description")):
                name = tool.get("name", _UNDEFINED)
                total += count_text(_js_str(name) + _js_str(tool["description"]))
            if _truthy(tool.get("input_schema")):
                total += count_text(js_stringify(tool["input_schema"]))
    return total


_UNDEFINED = object()


def _js_str(value: Any) -> str:
    """JavaScript's string coercion (`a + b`) for JSON values."""
    if value is _UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return js_stringify(value)
    if isinstance(value, list):
        return ",".join(_js_str(v) if v is not None else "" for v in value)
    return "[object Object]"
