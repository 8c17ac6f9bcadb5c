"""Exact cl100k token counts the way claude-code-router 2.0 computes them, offline.

The router sums tiktoken cl100k_base counts of each piece separately. `bpe-openai` ships the
encoding inside the wheel (tiktoken downloads it at first use, which fails offline); it is
imported on first use only, so the pre-commit path never loads it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any


class TokenCountError(Exception):
    """The router's own counter throws here (e.g. a special token like <|endoftext|> in text);
    the router then catches it and routes to `Router.default`."""


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import bpe_openai

    return bpe_openai.get_encoding("cl100k_base")


@lru_cache(maxsize=1)
def _fast_encode() -> Any:
    """The native encoder without the wrapper's per-call bookkeeping (2-3x faster), or the
    public `encode_ordinary` if a future wrapper moves it."""
    encoding = _encoding()
    backend = getattr(encoding, "_backend", None)
    return getattr(backend, "encode", None) or encoding.encode_ordinary


# cl100k_base's special tokens (a test checks them against the encoding): known here so that
# the check needs no tokenizer when the byte bound makes the exact count unnecessary.
CL100K_SPECIAL = frozenset({"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>",
                            "<|fim_suffix|>", "<|endofprompt|>"})


def _special_tokens() -> frozenset[str]:
    return CL100K_SPECIAL


@lru_cache(maxsize=4096)
def count_text(text: str) -> int:
    """Tokens in one piece of text; special tokens raise like tiktoken's JS `encode`."""
    if not isinstance(text, str):
        raise TokenCountError(f"cannot encode a {type(text).__name__}")
    if not text:
        return 0
    if "<|" in text:
        for token in _special_tokens():
            if token in text:
                raise TokenCountError(f"disallowed special token {token!r} in text")
    try:
        return len(_fast_encode()(text))
    except (UnicodeEncodeError, ValueError):
        try:
            return len(_encoding().encode_ordinary(text))
        except ValueError as exc:
            raise TokenCountError(str(exc).splitlines()[0]) from None


def js_stringify(value: Any) -> str:
    """JSON.stringify: compact separators, non-ASCII kept, integral floats without `.0`."""
    text = _DUMPS(value)
    return _DUMPS(_js_numbers(value)) if _FLOATISH.search(text) else text


_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_FLOATISH = re.compile(r"\d(?:\.0(?!\d)|[eE])")  # maybe an integral float: re-encode exactly


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
    return sum(count_text(piece) for piece in request_pieces(body))


def tokens_at_most(body: dict[str, Any], limit: float) -> tuple[int, bool]:
    """(count, exact): the exact count when it could exceed `limit`, else the UTF-8 byte length,
    an upper bound (every cl100k token is at least one byte). Same decision, no BPE work for
    the usual request far below the long-context threshold."""
    pieces = request_pieces(body)
    bound = sum(len(p.encode("utf-8", "surrogatepass")) for p in pieces)
    if bound <= limit:
        return bound, False
    return sum(count_text(p) for p in pieces), True


def _piece(text: Any) -> str:
    """A piece the router encodes: it throws on a non-string or a special token."""
    if not isinstance(text, str):
        raise TokenCountError(f"cannot encode a {type(text).__name__}")
    if "<|" in text:
        for token in _special_tokens():
            if token in text:
                raise TokenCountError(f"disallowed special token {token!r} in text")
    return text


def request_pieces(body: dict[str, Any]) -> list[str]:
    """Every text the router's counter encodes, in its order; raises where it would throw."""
    total: list[str] = []
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if message is None:
                raise TokenCountError("a message is null")
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                total.append(_piece(content))
            elif isinstance(content, list):
                for part in content:
                    if part is None:
                        raise TokenCountError("a content part is null")
                    if not isinstance(part, dict):
                        continue
                    kind = part.get("type")
                    if kind == "text":
                        total.append(_piece(part.get("text")))
                    elif kind == "tool_use":
                        if "input" not in part:
                            raise TokenCountError("tool_use without input")
                        total.append(_piece(js_stringify(part["input"])))
                    elif kind == "tool_result":
                        inner = part.get("content")
                        if "content" not in part:
                            raise TokenCountError("tool_result without content")
                        total.append(_piece(inner if isinstance(inner, str)
                                            else js_stringify(inner)))
    system = body.get("system", [])
    if isinstance(system, str):
        total.append(_piece(system))
    elif isinstance(system, list):
        for block in system:
            if block is None:
                raise TokenCountError("a system block is null")
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                text = block.get("text")
                if isinstance(text, str):
                    total.append(_piece(text))
                elif isinstance(text, list):
                    total.extend(_piece(t or "") for t in text)
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
                total.append(_piece(_js_str(name) + _js_str(tool["description"])))
            if _truthy(tool.get("input_schema")):
                total.append(_piece(js_stringify(tool["input_schema"])))
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
