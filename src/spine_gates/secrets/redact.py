"""The one redaction service every output goes through: reports, files, diffs, receipts, errors.

Secrets appear only as `sha256:<8 hex>` fingerprints: enough to tell two keys apart or to match a
key someone holds, never enough to recover it. Two sources are scrubbed: every known key format
(`patterns.KEY_FORMATS`, key assignments such as `api_key: …`) and every value registered at run
time with `register_secret` (e.g. a value read from the environment behind an `env:` ref).
"""

from __future__ import annotations

import hashlib
import json
import re

from spine_gates.secrets.patterns import ASSIGNMENT, candidate_formats, secret_span

# Shorter values would scrub ordinary words from reports; nothing that short is a real key.
MIN_REGISTERED_LENGTH = 6

_registered: set[str] = set()
_registered_regex: re.Pattern[str] | None = None


def fingerprint(value: str) -> str:
    """`sha256:` and the first 8 hex digits of the value's SHA-256: names a secret, hides it."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]


def _xml_escape(value: str, quote: bool = True) -> str:
    """As the junit report escapes attributes (`quote`) and element text, where `"` stays as it
    is (xml.sax.saxutils would import urllib: +20 ms)."""
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def register_secret(value: str) -> None:
    """Scrub `value` (and its JSON/XML-escaped forms) from every later output of this process."""
    global _registered_regex
    if not isinstance(value, str) or len(value.strip()) < MIN_REGISTERED_LENGTH:
        return
    value = value.strip()
    # As the reports write it: JSON, XML attribute and text, GitHub annotation data (`%` -> %25).
    forms = {value, json.dumps(value)[1:-1], _xml_escape(value), _xml_escape(value, quote=False),
             value.replace("%", "%25")}
    if forms <= _registered:
        return
    _registered.update(forms)
    _registered_regex = None


def clear_registered() -> None:
    """Forget run-time secrets (tests; a long-lived process between unrelated runs)."""
    global _registered_regex
    _registered.clear()
    _registered_regex = None


def _registered_pattern() -> re.Pattern[str] | None:
    global _registered_regex
    if not _registered:
        return None
    if _registered_regex is None:
        ordered = sorted(_registered, key=len, reverse=True)
        _registered_regex = re.compile("|".join(re.escape(v) for v in ordered))
    return _registered_regex


def _replace_secret(match: re.Match[str]) -> str:
    start, end = secret_span(match)
    whole = match.group(0)
    base = match.start()
    secret = whole[start - base:end - base]
    return whole[:start - base] + fingerprint(secret) + whole[end - base:]


def redact_text(text: str) -> str:
    """Replace every known key format and every registered secret in `text` by its fingerprint."""
    if not text:
        return text
    registered = _registered_pattern()
    if registered is not None:
        text = registered.sub(lambda m: fingerprint(m.group(0)), text)
    for key_format in candidate_formats(text):
        text = key_format.regex.sub(_replace_secret, text)
    if ASSIGNMENT.may_match(text.lower()):
        text = ASSIGNMENT.regex.sub(_replace_secret, text)
    return text
