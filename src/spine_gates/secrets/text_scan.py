"""Secret detection in the spine's governed files as written, beyond the registries' values.

The registries' and `spine-gates.yaml`'s values are scanned with their field context
(`string_leaves`, `detect.scan_value`). This module scans what that misses, cheaply first:
- every governed YAML file's raw text, for key formats in comments and mapping keys (a find inside
  a value is left to the value scan; the YAML tokens tell which is which, and are only read when
  the raw text holds a find at all);
- the spine's other YAML files (waivers, scenarios, its own policy packs): their values too, with
  field context, parsed only when the raw text holds a find or a key-bearing field name;
- inject files and other text (markdown), line by line for formats, with no field context.
Every secret found is registered for redaction; a hit carries its line and, in YAML, its pointer.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from spine_gates.errors import InputError
from spine_gates.model.loader import (
    Document,
    escape_pointer_token,
    join_pointer,
    parse_yaml,
    read_bytes,
    unescape_pointer_token,
)
from spine_gates.model.scope import inside_root
from spine_gates.secrets import detect
from spine_gates.secrets.redact import fingerprint, register_secret

COMMENT = "comment"
MAPPING_KEY = "mapping key"
TEXT = "text"

# A YAML mapping key a key-bearing field could hide behind (block or flow style): the trigger to
# parse a file whose raw text holds no key format.
_YAML_KEY = re.compile(r"(?m)(?:^[ \t]*(?:-[ \t]+)?|[{,][ \t]*)[\"']?([A-Za-z0-9_.\-]+)[\"']?"
                       r"[ \t]*:(?:[ \t]|$)")


_COMMENT_MARKS = re.compile(r"(?m)^[ \t]*#[ \t]?")


@dataclass(frozen=True)
class FileHit:
    hit: detect.SecretHit
    line: int
    pointer: str = ""


def scan_file(root: Path, name: str, fmt: str, structured: bool,
              document: Document | None = None) -> list[FileHit]:
    """Every secret in spine file `name` that the value scan of the registries does not see.

    `fmt` is `yaml` or `text`. A file the model loaded comes with its `document` (its values are
    `string_leaves`): only its comments and mapping keys are scanned here. Other YAML files are
    scanned whole (`structured`). A missing file is left to the rules that require it; a file
    that leaves the spine root is refused."""
    try:
        path = _inside(root, name)
        if not path.is_file():
            return []
    except OSError:  # a name the file system cannot use: the rule naming the file reports it
        return []
    raw = read_bytes(path, name)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        if fmt == "yaml" or structured:
            raise InputError("not valid UTF-8", name) from None
        return []  # an image or other binary file next to the inject files: no text to scan
    if fmt == "yaml" and document is not None and not structured:
        return _comment_hits(text) + _key_hits(document)
    found = detect.find_secrets(text)
    if fmt != "yaml":
        return [_text_hit(text, TEXT, *item) for item in found]
    if found or _names_a_key_field(text):
        try:
            document = parse_yaml(text, path, name)
        except InputError:  # not YAML after all: every find is reported where it stands
            return [_text_hit(text, TEXT, *item) for item in found]
        hits = _value_hits(document)
    else:
        hits = []
    if found:
        hits += _outside_values(text, found, document)
    return hits


_COMMENT = re.compile(r"#[^\n]*")


def _comment_hits(text: str) -> list[FileHit]:
    """Finds in the comments of a large registry without scanning its values again: the text
    after each `#` (a `#` inside a value is told apart by the YAML tokens, on a find only)."""
    segments = [(m.start(), m.group()) for m in _COMMENT.finditer(text)]
    if not segments:
        return []
    joined = "\n".join(segment for _, segment in segments)
    found = detect.find_secrets(joined)
    if not found:
        return []
    starts = _starts(segment for _, segment in segments)
    placed = []
    for kind, label, start, end in found:
        index = bisect.bisect_right(starts, start) - 1
        shift = segments[index][0] - starts[index]
        last = bisect.bisect_right(starts, end - 1) - 1
        if last == index:
            placed.append((kind, label, start + shift, end + shift))
        else:  # a block over several comment lines: from its first line to its last
            end_shift = segments[last][0] - starts[last]
            placed.append((kind, label, start + shift, end + end_shift))
    return [hit for hit in _outside_values(text, placed, None) if hit.hit.field == COMMENT]


def _starts(parts: Iterable[str]) -> list[int]:
    """Where each part starts in the parts joined by newlines: to place a find there."""
    starts, offset = [], 0
    for part in parts:
        starts.append(offset)
        offset += len(part) + 1
    return starts


def _key_hits(document: Document) -> list[FileHit]:
    """Finds in the mapping keys of a loaded document, each key scanned once."""
    by_key: dict[str, str] = {}  # the key as written -> the pointer of its first use
    for pointer in document.lines:
        token = pointer.rsplit("/", 1)[-1]
        if token and not token.isdigit():
            by_key.setdefault(unescape_pointer_token(token), pointer)
    keys = list(by_key)
    joined = "\n".join(keys)
    found = detect.find_secrets(joined)
    if not found:
        return []
    starts = _starts(keys)
    out = []
    for kind, label, start, end in found:
        index = bisect.bisect_right(starts, start) - 1
        key = keys[index]
        secret = joined[start:end]
        for value in (secret, key):  # as written, and as JSON pointers spell it
            register_secret(value)
            register_secret(escape_pointer_token(value))
        pointer = by_key[key]
        out.append(FileHit(detect.SecretHit(kind, MAPPING_KEY, fingerprint(secret),
                                            detect.article(label)),
                           document.lines.get(pointer) or 1, pointer))
    return out


_real_roots: dict[str, str] = {}


def _inside(root: Path, name: str) -> Path:
    """`root / name`, refused (InputError) when a link takes it out of the spine root; the
    root's own real path is looked up once per run, not once per inject file."""
    real_root = _real_roots.get(str(root))
    if real_root is None:
        real_root = _real_roots[str(root)] = os.path.realpath(root)
    path = root / name
    real = os.path.realpath(path)
    if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
        return path
    return inside_root(root, name)  # raises, naming the file


def _names_a_key_field(text: str) -> bool:
    return any(detect.field_kind(name) in ("strict", "ref")
               for name in set(_YAML_KEY.findall(text)))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _text_hit(text: str, field: str, kind: str, label: str, start: int, end: int,
              pointer: str = "") -> FileHit:
    secret = text[start:end]
    register_secret(secret)
    if "\n" in secret:  # a key block: its lines may be echoed one by one
        if field == COMMENT:  # named by the key as issued, without the comment markers
            secret = _COMMENT_MARKS.sub("", secret)
            register_secret(secret)
        for part in secret.splitlines():
            register_secret(part)
    return FileHit(detect.SecretHit(kind, field, fingerprint(secret), detect.article(label)),
                   _line(text, start), pointer)


def _value_hits(document: Document) -> list[FileHit]:
    out = []
    for pointer, value, keys in detect.walk_strings(document.data):
        key = keys[-1] if keys else ""
        for hit in detect.scan_value(key, value, keys[:-1]):
            if hit.kind != detect.REFERENCE:
                out.append(FileHit(hit, document.line_of(pointer) or 1, pointer))
    return out


def _outside_values(text: str, found: list[tuple[str, str, int, int]],
                    document: Document | None) -> list[FileHit]:
    """The finds in comments and mapping keys (a find inside a value is the value scan's)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalars: list[tuple[int, int, str | None]] = []  # (start, end, the key's text or None)
    key_next = False
    # Bad YAML is the loader's to report; the tokens scanned before it still place the finds.
    with contextlib.suppress(yaml.YAMLError):
        for token in yaml.scan(text, Loader=loader):
            if isinstance(token, yaml.KeyToken):
                key_next = True
            elif isinstance(token, yaml.ScalarToken):
                scalars.append((token.start_mark.index, token.end_mark.index,
                                token.value if key_next else None))
                key_next = False
            else:
                key_next = False
    out = []
    for kind, label, start, end in found:
        inside = next((s for s in scalars if s[0] <= start and end <= s[1]), None)
        if inside is not None and inside[2] is None:
            continue
        if inside is None:
            out.append(_text_hit(text, COMMENT, kind, label, start, end))
        else:
            pointer = _key_pointer(document, _line(text, inside[0]), str(inside[2]))
            for value in (text[start:end], str(inside[2])):  # pointers spell the key escaped
                register_secret(value)
                register_secret(escape_pointer_token(value))
            out.append(_text_hit(text, MAPPING_KEY, kind, label, start, end, pointer))
    return out


def _key_pointer(document: Document | None, line: int, key: str) -> str:
    """The JSON pointer of the mapping key `key` on `line`, when the document has it."""
    if document is None:
        return ""
    token = join_pointer("", key)
    for pointer, at in document.lines.items():
        if at == line and pointer.endswith(token):
            return pointer
    return ""
