"""Read a live claude-code-router config the way the router does (JSON5), with its lines.

A 3.x home keeps its config in `config.sqlite` (a `config.json` there is imported once and
deleted), so such a home is refused as an unsupported profile rather than read as 2.0.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyjson5

from spine_gates.ccr.lines import line_of, pointer_lines
from spine_gates.errors import InputError
from spine_gates.model.loader import check_integers
from spine_gates.model.loader import read_bytes as read_checked
from spine_gates.secrets.detect import field_kind, looks_random, scan_value, walk_strings
from spine_gates.secrets.redact import register_secret
from spine_gates.secrets.refs import is_placeholder, looks_like_reference

DEFAULT_LIVE = "~/.claude-code-router/config.json"
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class LiveConfig:
    """A parsed live config: its bytes (for the changed-since-read check) and pointer lines."""

    path: Path
    name: str
    raw: bytes
    data: dict[str, Any]
    _lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def lines(self) -> dict[str, int]:
        """Pointer -> line, scanned on first use (only findings need lines)."""
        if not self._lines:
            text = self.raw.decode("utf-8").removeprefix("\ufeff")
            self._lines.update(pointer_lines(text) or {"": 1})
        return self._lines

    def line(self, pointer: str) -> int | None:
        return line_of(self.lines, pointer)


def live_path(option: str | None) -> tuple[Path, bool]:
    """The live config path and whether the user named it (`--live`) or it is the default."""
    if option:
        return Path(option).expanduser(), True
    return Path(DEFAULT_LIVE).expanduser(), False


def check_home(path: Path, name: str) -> None:
    """Refuse a 3.x router home and a config that links outside the user's home."""
    if (path.parent / "config.sqlite").exists():
        raise InputError("this is a claude-code-router 3.x home (config.sqlite next to it); "
                         "profile 3.x is not supported (supported: 2.0, 1.0), refusing to read "
                         "it as 2.0", name)
    if path.is_symlink():
        try:
            target = path.resolve()
        except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
            raise InputError("is a symlink loop", name) from None
        allowed = [path.parent.resolve(), Path.home().resolve()]
        if not any(target == root or target.is_relative_to(root) for root in allowed):
            raise InputError(f"is a symlink to {target}, outside the home directory; refusing "
                             "to read or write through it", name)


def read_bytes(path: Path, name: str) -> bytes:
    """The file's bytes after the checks every input gets (kind, size, permissions)."""
    return read_checked(path, name, MAX_BYTES, "the router's config.json")


def parse_config(raw: bytes, name: str) -> dict[str, Any]:
    """JSON5 bytes -> object; anything the router could not load is exit 3."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", name,
                         raw[: exc.start].count(b"\n") + 1) from None
    if not text.strip():
        raise InputError("is empty; the router cannot load an empty config", name)
    try:
        data = pyjson5.decode(text)
    except pyjson5.Json5Exception as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        line = None
        near = re.search(r" near (\d+)", message)
        if near:
            line = text[: int(near.group(1))].count("\n") + 1
            message = message[: near.start()] + message[near.end():]
        raise InputError(f"not valid JSON5: {message}", name, line) from None
    if not isinstance(data, dict):
        raise InputError("must be a JSON object at the top level", name, 1)
    check_integers(data, text, name)
    return data


def read_live_config(path: Path, name: str | None = None) -> LiveConfig:
    """Read and parse the live config; every way it can be unreadable is an InputError."""
    name = name or str(path)
    check_home(path, name)
    raw = read_bytes(path, name)
    data = parse_config(raw, name)
    register_credentials(data)
    return LiveConfig(path, name, raw, data)


def register_credentials(data: Any) -> None:
    """Register the live config's literal keys with the redaction service.

    A live config may hold keys in any format (a hand-typed `"key": "…"`, an `x-api-key` header,
    APIKEY); reports, diffs and errors echo its values, so every credential-field literal that
    looks generated, and every known format or URL credential anywhere, is scrubbed from all
    later output of this process. Short words (`no-key`, `ollama`) stay readable: not keys.
    """
    for _pointer, value, keys in walk_strings(data):
        key, above = (keys[-1], keys[:-1]) if keys else ("", ())
        if field_kind(key, above) not in ("strict", "ref"):
            scan_value(key, value, above)  # registers known formats, URL and high-entropy hits
            continue
        literal = value.strip()
        scheme = re.match(r"(?i)(?:bearer|token|basic)\s+", literal)
        bare = literal[scheme.end():] if scheme else literal
        if is_placeholder(bare) or looks_like_reference(bare):
            continue
        if looks_random(bare) or any(looks_random(t) for t in re.split(r"[\s:]+", bare)):
            register_secret(bare)
            register_secret(literal)


def is_missing(path: Path) -> bool:
    """No file and no 3.x home: the router would create an empty config on start."""
    return not os.path.lexists(path) and not (path.parent / "config.sqlite").exists()
