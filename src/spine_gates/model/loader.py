"""Safe YAML loading with a line for every node, duplicate keys rejected and hard limits.

The C loader composes the node graph; this module builds plain Python data from it so that it can
record `JSON pointer -> line`, refuse duplicate keys and count nodes after alias expansion (a
"billion laughs" document is refused, never expanded).
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from spine_gates.errors import InputError

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

# Sized so that a file at any one limit costs well under a second in every command (measured by
# benchmarks/input_limits.py) while the largest real registries load: the 100x synthetic spine's
# provider file is 470 KB and 15,500 nodes, a 9,000-line capability-style registry 330 KB and
# 10,400 nodes.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 25_000
MAX_ENTRIES = 5_000  # keys of one mapping, items of one list (each may become a finding)
MAX_STRING = 64 * 1024  # characters in one scalar or key
# Integers fit in 64 bits: nothing in a spine counts higher, and a longer one cannot be printed
# (Python refuses str() past 4,300 digits) or read by the router as a JavaScript number.
MAX_INT = 2**63 - 1
_MAX_INT_TEXT = 100  # longer spellings are refused unread (a base-60 int costs quadratic time)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# Most scalars are plain strings, and the safe constructor returns their text unchanged; taking it
# directly skips construct_object's bookkeeping (about a fifth of a large registry's load time).
_STR_IS_TEXT = (_Loader.yaml_constructors.get(_STR_TAG)  # type: ignore[attr-defined]
                is yaml.constructor.SafeConstructor.construct_yaml_str)
_PLAIN_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
# Tags an unquoted scalar resolves to other than a string; recorded so a check can tell a value the
# author meant from one YAML 1.1 coerced (`on` -> True, `1_000` -> 1000), see model/coercions.py.
_TYPED_TAGS = {f"tag:yaml.org,2002:{name}": name for name in ("bool", "int", "float", "timestamp")}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large trees of small objects.

    It runs every few hundred allocations and its older generations walk every object built so
    far, so a 10,000-model registry paid for collections about as much as for parsing. The trees
    built here hold no reference cycles; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def escape_pointer_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    """A JSON pointer token as the key it names (`~1` is `/`, `~0` is `~`)."""
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(base: str, token: object) -> str:
    return f"{base}/{escape_pointer_token(token)}"


class TypedScalar(NamedTuple):  # a tuple: cheap to build while loading
    """An unquoted value that YAML read as a bool, int, float or timestamp: what was written."""

    pointer: str
    kind: str  # bool, int, float, timestamp
    text: str
    line: int


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and the line of every node, keyed by JSON pointer."""

    path: Path
    name: str
    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    typed_scalars: tuple[TypedScalar, ...] = ()

    def line_of(self, pointer: str) -> int | None:
        """The line of `pointer`, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


@dataclass
class _Context:
    name: str
    loader: Any
    lines: dict[str, int]
    nodes: int = 0
    typed: list[TypedScalar] = field(default_factory=list)


def read_bytes(path: Path, name: str, max_bytes: int = MAX_BYTES,
               expected: str = "a file") -> bytes:
    """A file's bytes after the checks every input gets: it exists, is a regular file (a FIFO
    would block), is readable and within `max_bytes`. `expected` names it in the directory error."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", name) from None
    except PermissionError:
        raise InputError("permission denied", name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", name) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"is a directory, expected {expected}", name)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file", name)
    if info.st_size > max_bytes:
        raise InputError(
            f"file is {info.st_size / 1048576:.1f} MiB, over the {max_bytes // 1048576} MiB limit",
            name,
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError("permission denied", name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", name) from None
    if len(raw) > max_bytes:
        raise InputError(f"file is over the {max_bytes // 1048576} MiB limit", name)
    return raw


def read_text(path: Path, name: str, max_bytes: int = MAX_BYTES) -> str:
    """Read a file as UTF-8 text with the checks of `read_bytes`."""
    raw = read_bytes(path, name, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", name, line
        ) from None
    return text.removeprefix("\ufeff")


def read_json(path: Path, name: str) -> Any:
    """A JSON file; bad JSON (or nesting deeper than the parser can follow) is exit 3."""
    text = read_text(path, name)

    def integer(digits: str) -> int:
        if len(digits) > 20 or abs(int(digits)) > MAX_INT:
            raise InputError(_TOO_BIG, name, text.count("\n", 0, max(text.find(digits), 0)) + 1)
        return int(digits)

    try:
        return json.loads(text, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", name, exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to read", name, 1) from None


_TOO_BIG = "integer out of range (beyond 64 bits); quote it if it is a name"


def check_integers(data: Any, text: str, name: str) -> None:
    """Refuse an integer beyond 64 bits anywhere in parsed `data` (a JSON5 hex literal has no
    length limit); the line is that of its first spelling in `text`."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif type(value) is int and abs(value) > MAX_INT:
            digits = format(abs(value), "x").lstrip("0")
            found = re.search(rf"0[xX]0*{digits}", text, re.IGNORECASE)
            line = text.count("\n", 0, found.start()) + 1 if found else None
            raise InputError(_TOO_BIG, name, line)


def load_yaml(path: Path, name: str | None = None, max_bytes: int = MAX_BYTES) -> Document:
    """Load one YAML document from `path`; any problem is an InputError with file and line."""
    name = name or str(path)
    text = read_text(path, name, max_bytes)
    return parse_yaml(text, path, name)


def parse_yaml(text: str, path: Path, name: str) -> Document:
    with paused_gc():
        return _parse(text, path, name)


def _parse(text: str, path: Path, name: str) -> Document:
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or "invalid YAML"
            raise InputError(f"YAML syntax error: {problem}", name, line) from None
        except yaml.reader.ReaderError as exc:
            character = exc.character if isinstance(exc.character, int) else None
            at = text.find(chr(character)) if character is not None else -1
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
            what = "a NUL byte" if character == 0 else f"character #x{character or 0:04x}"
            raise InputError(f"{what} is not allowed in YAML", name, line) from None
        except yaml.YAMLError as exc:
            raise InputError(f"YAML error: {str(exc).splitlines()[0]}", name) from None
        except RecursionError:
            raise InputError(f"nesting deeper than {MAX_DEPTH} levels", name) from None
        lines: dict[str, int] = {}
        if node is None:
            return Document(path, name, None, lines)
        ctx = _Context(name, loader, lines)
        data = _build(node, "", 0, ctx)
        return Document(path, name, data, lines, tuple(ctx.typed))
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _build(node: yaml.Node, pointer: str, depth: int, ctx: _Context) -> Any:
    ctx.nodes += 1
    if ctx.nodes > MAX_NODES:
        raise InputError(
            f"more than {MAX_NODES} nodes after alias expansion (an alias bomb?)",
            ctx.name,
            _line(node),
        )
    if depth > MAX_DEPTH:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", ctx.name, _line(node))
    ctx.lines.setdefault(pointer, _line(node))
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, ctx, pointer)
    if node.tag not in _PLAIN_TAGS:
        raise InputError(f"unsupported tag {node.tag!r}", ctx.name, _line(node))
    if len(node.value) > MAX_ENTRIES:
        what = "keys" if isinstance(node, yaml.MappingNode) else "items"
        raise InputError(f"more than {MAX_ENTRIES:,} {what} in one collection", ctx.name,
                         _line(node))
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, join_pointer(pointer, index), depth + 1, ctx)
            for index, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, pointer, depth, ctx)
    raise InputError(f"unsupported YAML node {type(node).__name__}", ctx.name, _line(node))


def _scalar(node: yaml.ScalarNode, ctx: _Context, pointer: str | None = None) -> Any:
    if len(node.value) > MAX_STRING:
        raise InputError(f"a value of {len(node.value):,} characters, over the "
                         f"{MAX_STRING:,} limit", ctx.name, _line(node))
    if _STR_IS_TEXT and node.tag == _STR_TAG and type(node.value) is str:
        return node.value
    if node.tag == _INT_TAG and len(node.value) > _MAX_INT_TEXT:
        raise InputError(_TOO_BIG, ctx.name, _line(node))
    if pointer is not None and not node.style and node.tag in _TYPED_TAGS:  # plain: "" or None
        ctx.typed.append(TypedScalar(pointer, _TYPED_TAGS[node.tag], node.value, _line(node)))
    try:
        value = ctx.loader.construct_object(node)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"cannot read value: {problem}", ctx.name, _line(node)) from None
    except ValueError as exc:
        raise InputError(f"cannot read value: {exc}", ctx.name, _line(node)) from None
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        raise InputError("binary values are not allowed", ctx.name, _line(node))
    if type(value) is int and abs(value) > MAX_INT:
        raise InputError(_TOO_BIG, ctx.name, _line(node))
    return value


def _key(node: yaml.Node, ctx: _Context) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise InputError("mapping keys must be plain scalars", ctx.name, _line(node))
    if node.tag in (_INT_TAG, _FLOAT_TAG):  # a number as a key is its spelling; never computed
        if len(node.value) > MAX_STRING:
            raise InputError(f"a key of {len(node.value):,} characters, over the "
                             f"{MAX_STRING:,} limit", ctx.name, _line(node))
        return str(node.value)
    value = _scalar(node, ctx)
    return value if isinstance(value, str) else str(node.value)


def _mapping(node: yaml.MappingNode, pointer: str, depth: int, ctx: _Context) -> dict[str, Any]:
    result: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    merges: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            merges.append(value_node)
            continue
        key = _key(key_node, ctx)
        if key in key_lines:
            raise InputError(
                f"duplicate key {key!r} (first defined at line {key_lines[key]})",
                ctx.name,
                _line(key_node),
            )
        key_lines[key] = _line(key_node)
        child = join_pointer(pointer, key)
        ctx.lines.setdefault(child, _line(key_node))
        result[key] = _build(value_node, child, depth + 1, ctx)
    for merge in merges:
        sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise InputError("a merge key (<<) must refer to a mapping", ctx.name,
                                 _line(source))
            merged = _mapping(source, pointer, depth + 1, ctx)
            for key, value in merged.items():
                result.setdefault(key, value)
    if len(result) > MAX_ENTRIES:
        raise InputError(f"more than {MAX_ENTRIES:,} keys in one collection", ctx.name,
                         _line(node))
    return result
