"""Inline-secret detection: classify each string by the field it sits in and what it looks like.

Field kinds decide how suspicious a literal is:
- `ref`: `api_key_ref`, `token_ref`, … — only `infisical://` and `env:` references are valid;
- `strict`: `api_key`, `*_key`, `token`, `secret`, `password`, `authorization`, credential headers —
  any literal that is not a reference or a `$NAME` placeholder is a finding;
- `loose`: names that merely mention a credential (`auth_mode`, `cookie_name`) — only
  high-entropy values are findings;
- anything else: known key formats, credentials inside URLs and prefix-less generated secrets
  (a long base64 run that is random by entropy and by how often its characters change class:
  AWS secret access keys, raw base64 keys) are findings; image data, digests, ids and paths are
  not (see `generated_secrets`).
`find_secrets` does the same for text with no field context (inject files, YAML comments, keys).
Hits carry the secret's fingerprint, never the secret; every hit's secret is registered with the
redaction service so no later output can echo it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from spine_gates.secrets import refs
from spine_gates.secrets.patterns import KEY_FORMATS, candidate_formats, secret_span
from spine_gates.secrets.redact import fingerprint, register_secret

LITERAL = "literal"  # SEC-001: a literal in a key-bearing field
KEY_FORMAT = "key-format"  # SEC-002: a known key format outside key-bearing fields
URL_CREDENTIAL = "url-credential"  # SEC-003: userinfo or a key in a URL's query
BAD_REFERENCE = "bad-reference"  # SEC-005: a reference with a scheme not allowed here
REFERENCE = "reference"  # a valid reference (SEC-006 checks its namespace)
HIGH_ENTROPY = "high-entropy"  # SEC-007: a random-looking value in a credential-like field

_STRICT_EXACT = {"api_key", "apikey", "key", "token", "secret", "password", "passwd",
                 "authorization", "auth_token", "bearer", "x_api_key", "client_secret",
                 "private_key", "access_key", "secret_key", "credentials", "credential"}
_STRICT_SUFFIX = ("_key", "_token", "_secret", "_password", "_passwd", "_apikey")
_LOOSE_PARTS = {"key", "keys", "token", "tokens", "secret", "secrets", "password", "pass",
                "passwd", "pwd", "auth", "credential", "credentials", "cookie", "signature",
                "apikey", "bearer", "session"}
_HEADER_CONTAINERS = {"headers", "header", "extra_headers", "default_headers"}
_URL_FORMAT_NAMES = ("url-userinfo", "url-query")
_URL_FORMATS = tuple(f for f in KEY_FORMATS if f.name in _URL_FORMAT_NAMES)
_URLISH = re.compile(r"://|[?&][A-Za-z_\-]+=")
_TOKEN_SPLIT = re.compile(r"[\s,;'\"()<>\[\]{}]+")
_RANDOM_CHARS = re.compile(r"^[A-Za-z0-9+/=_\-.~]+$")


@dataclass(frozen=True)
class SecretHit:
    kind: str  # one of the constants above
    field: str
    fingerprint: str
    label: str = ""  # what was found, e.g. "an Anthropic API key"
    problem: str = ""  # for BAD_REFERENCE
    ref: refs.SecretRef | None = None


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def field_kind(key: str, ancestors: tuple[str, ...] = ()) -> str:
    """`ref`, `strict`, `loose` or `` for a value under mapping key `key`."""
    name = _norm(key)
    if name.endswith("_ref") and _is_strict(name[:-4]):
        return "ref"
    if _is_strict(name):
        return "strict"
    credential_like = bool(_LOOSE_PARTS & set(re.split(r"[_.]", name)))
    # Header values are credentials when the header's name says so (X-Api-Key, Cookie); the
    # others (Content-Type, HTTP-Referer) are only suspicious when they look random.
    if ancestors and _norm(ancestors[-1]) in _HEADER_CONTAINERS:
        return "strict" if credential_like else "loose"
    return "loose" if credential_like else ""


def _is_strict(name: str) -> bool:
    return name in _STRICT_EXACT or name.endswith(_STRICT_SUFFIX)


def shannon_entropy(text: str) -> float:
    """Bits per character; random base64 keys sit above 4.5, English words below 3.5."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    size = len(text)
    return -sum(c / size * math.log2(c / size) for c in counts.values())


def looks_random(token: str) -> bool:
    """A token long and varied enough to be a generated key rather than a word or an id."""
    if len(token) < 16 or not _RANDOM_CHARS.match(token):
        return False
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    if not (has_digit and has_alpha):
        return False
    hexish = all(c in "0123456789abcdefABCDEF" for c in token)
    threshold = 3.0 if hexish else 3.7
    return shannon_entropy(token) >= threshold


def _format_spans(text: str) -> Iterator[tuple[str, int, int]]:
    taken: list[tuple[int, int]] = []
    for key_format in candidate_formats(text):
        if key_format.name in _URL_FORMAT_NAMES:
            continue
        for match in key_format.regex.finditer(text):
            start, end = secret_span(match)
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            yield key_format.label, start, end


def known_formats(text: str) -> Iterator[tuple[str, str]]:
    """(label, secret) for every known key format in `text`, URLs excluded."""
    for label, start, end in _format_spans(text):
        yield label, text[start:end]


def _url_spans(text: str) -> Iterator[tuple[str, int, int]]:
    if not _URLISH.search(text):
        return
    lowered = text.lower()
    for key_format in _URL_FORMATS:
        if not key_format.may_match(lowered):  # userinfo needs an `@`, a query an `=`
            continue
        for match in key_format.regex.finditer(text):
            start, end = secret_span(match)
            if not refs.looks_like_reference(text[start:end]):
                yield key_format.label, start, end


def url_credentials(text: str) -> Iterator[tuple[str, str]]:
    for label, start, end in _url_spans(text):
        yield label, text[start:end]


# A run of base64 / base64url characters long enough to be a generated key (no key format is
# needed: AWS secret access keys and raw base64 secrets have none).
GENERATED_MIN_LENGTH = 32
_LONG_RUN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![A-Za-z0-9+/=_\-])")
# Base64 of an image starts with its magic bytes: PNG, JPEG, GIF, WebP, BMP, SVG, PDF.
_IMAGE_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "Qk0", "PHN2Zy", "PD94bWwg", "JVBERi0")
# Context that makes a random run something else: image data (`data:…;base64,`), a digest
# (`sha256:`), a URL (its path and query hold ids; credentials there are URL findings).
_NOT_A_SECRET_BEFORE = re.compile(r"(?i)(?:base64,|sha\d{1,3}:|md5:|://\S*)$")
_AWS_CONTEXT = ("aws", "akia", "asia", "secret_access", "secret access")
_CLASS_OF = {**{c: 1 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
             **{c: 2 for c in "abcdefghijklmnopqrstuvwxyz"}, **{c: 3 for c in "0123456789"}}


def class_changes(token: str) -> float:
    """How often consecutive letters and digits change class (upper, lower, digit): ~0.6 for
    random base64, under 0.3 for words, paths and model ids, whatever their case."""
    classes = [_CLASS_OF[c] for c in token if c in _CLASS_OF]
    if len(classes) < 2:
        return 0.0
    return sum(1 for a, b in zip(classes, classes[1:], strict=False) if a != b) / (len(classes) - 1)


def looks_generated(token: str, relaxed: bool = False) -> bool:
    """A prefix-less generated secret: long, upper and lower case and digits, not hex, high
    entropy and frequent class changes. `relaxed` (an AWS context nearby) lowers the bars."""
    core = token.rstrip("=")
    if len(core) < GENERATED_MIN_LENGTH:
        return False
    if not (any(c.isupper() for c in core) and any(c.islower() for c in core)
            and any(c.isdigit() for c in core)):
        return False
    if all(c in "0123456789abcdefABCDEF-" for c in core):
        return False  # digests, SHAs, UUIDs: hex holds 4 bits a character at most
    if core.startswith(_IMAGE_MAGIC):
        return False
    entropy, changes = (3.5, 0.25) if relaxed else (3.9, 0.35)
    return class_changes(core) >= changes and shannon_entropy(core) >= entropy


def generated_secrets(text: str) -> Iterator[tuple[str, int, int]]:
    """(label, start, end) of every prefix-less generated secret in `text`."""
    if len(text) < GENERATED_MIN_LENGTH:
        return
    lowered: str | None = None
    for match in _LONG_RUN.finditer(text):
        token = match.group()
        line_start = text.rfind("\n", 0, match.start()) + 1
        chunk = text[max(line_start, match.start() - 200):match.start()].split(" ")[-1]
        if _NOT_A_SECRET_BEFORE.search(chunk):
            continue
        if lowered is None:
            lowered = text.lower()
        aws = len(token) == 40 and any(w in lowered for w in _AWS_CONTEXT)
        if looks_generated(token, relaxed=aws):
            yield ("AWS secret access key" if aws else "high-entropy secret",
                   match.start(), match.end())


def find_secrets(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, label, start, end) of every secret in free text (no field context): known key
    formats, URL credentials and generated secrets; overlapping finds name the first."""
    found: list[tuple[str, str, int, int]] = []
    for kind, spans in ((KEY_FORMAT, _format_spans(text)), (URL_CREDENTIAL, _url_spans(text)),
                        (KEY_FORMAT, generated_secrets(text))):
        for label, start, end in spans:
            if not any(s < end and start < e for _, _, s, e in found):
                found.append((kind, label, start, end))
    return found


def register_found(text: str) -> None:
    """Register every secret `find_secrets` sees in free text with the redaction service: for
    messages built from text no scan has read (a scenario's name and expectations)."""
    for _kind, _label, start, end in find_secrets(text):
        register_secret(text[start:end])


def article(label: str) -> str:
    """`a`/`an` and the label, as messages say it."""
    vowel_sound = label[:1].lower() in "aeiou" or label.startswith(("NVIDIA", "xAI"))
    return ("an " if vowel_sound else "a ") + label


def scan_value(key: str, value: str, ancestors: tuple[str, ...] = ()) -> list[SecretHit]:
    """Classify one string under mapping key `key`; secrets found are registered for redaction."""
    kind = field_kind(key, ancestors)
    stripped = value.strip()
    if not stripped:
        return []
    if kind in ("ref", "strict"):
        return [_key_field_hit(kind, key, stripped)]
    hits: list[SecretHit] = []
    spans: list[tuple[int, int]] = []
    for label, start, end in _format_spans(value):
        hits.append(_hit(KEY_FORMAT, key, value[start:end], label))
        spans.append((start, end))
    for label, secret in url_credentials(value):
        hits.append(_hit(URL_CREDENTIAL, key, secret, label))
    if not kind and len(stripped) >= GENERATED_MIN_LENGTH and not _image_field(key, ancestors):
        for label, start, end in generated_secrets(value):
            if not any(s < end and start < e for s, e in spans):
                hits.append(_hit(KEY_FORMAT, key, value[start:end], label))
    if kind == "loose" and not hits:
        for token in _TOKEN_SPLIT.split(value):
            if looks_random(token) and not refs.looks_like_reference(token):
                register_secret(token)
                hits.append(SecretHit(HIGH_ENTROPY, key, fingerprint(token),
                                      "a high-entropy value"))
    return hits


def _hit(kind: str, key: str, secret: str, label: str) -> SecretHit:
    register_secret(secret)
    for part in secret.splitlines() if "\n" in secret else ():  # a key block, line by line
        register_secret(part)
    return SecretHit(kind, key, fingerprint(secret), article(label))


# Where chat requests carry images: Anthropic `source: {type: base64, data}`, OpenAI
# `image_url: {url: data:…}`, image API responses `b64_json`.
_IMAGE_PARENTS = {"source", "image_url", "image"}
_IMAGE_FIELDS = {"b64_json", "image_base64", "image_data"}


def _image_field(key: str, ancestors: tuple[str, ...]) -> bool:
    name = _norm(key)
    return name in _IMAGE_FIELDS or (name in ("data", "url") and bool(ancestors)
                                     and _norm(ancestors[-1]) in _IMAGE_PARENTS)


_AUTH_SCHEME = re.compile(r"^(?i:bearer|token|basic)\s+(?=\S)")


def _key_field_hit(kind: str, key: str, value: str) -> SecretHit:
    unprefixed = _AUTH_SCHEME.sub("", value)
    if unprefixed != value and (refs.is_placeholder(unprefixed)
                                or unprefixed.startswith(("infisical://", "env:"))):
        value = unprefixed  # `Bearer ${TOKEN}`: the header's scheme around a reference
    if value.startswith(("infisical://", "env:")) or (kind == "strict"
                                                     and refs.is_placeholder(value)):
        try:
            return SecretHit(REFERENCE, key, "", ref=refs.parse_ref(value)
                             if not refs.is_placeholder(value) else None)
        except refs.RefError as exc:
            return SecretHit(BAD_REFERENCE, key, "", problem=str(exc))
    in_url = list(url_credentials(value))
    if refs.looks_like_reference(value) and not in_url:
        try:
            refs.parse_ref(value)
        except refs.RefError as exc:
            return SecretHit(BAD_REFERENCE, key, "", problem=str(exc))
    register_secret(value)
    for _, secret in in_url:  # `https://user:pw@host` in api_key: a literal, and pw is secret
        register_secret(secret)
    label = next((lbl for lbl, _ in known_formats(value)), "") or (in_url[0][0] if in_url else "")
    if label:
        described = article(label)
    elif any(looks_random(t) for t in _TOKEN_SPLIT.split(value)):
        described = "a high-entropy literal"
    else:
        described = "a literal value"
    return SecretHit(LITERAL, key, fingerprint(value), described)


def walk_strings(data: Any, pointer: str = "",
                 keys: tuple[str, ...] = ()) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(pointer, value, mapping keys above it) for every string leaf of JSON-like data."""
    if isinstance(data, str):
        yield pointer, data, keys
    elif isinstance(data, dict):
        for key, value in data.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            yield from walk_strings(value, f"{pointer}/{token}", (*keys, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk_strings(value, f"{pointer}/{index}", keys)


def scan_data(data: Any) -> list[tuple[str, SecretHit]]:
    """(pointer, hit) for every inline secret in JSON-like data (a live proxy config, a diff)."""
    out = []
    for pointer, value, keys in walk_strings(data):
        key = keys[-1] if keys else ""
        for hit in scan_value(key, value, keys[:-1]):
            if hit.kind != REFERENCE:
                out.append((pointer, hit))
    return out
