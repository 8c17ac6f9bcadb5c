"""Which values of a LiteLLM config are credentials: the one notion LIT-002 (gateway safety) and
the drift/sync sentences share, so a value the check flags is never shown in clear elsewhere.

A credential is a value under a credential-named field (key, secret, password, token,
credential...), every value under `environment_variables`, and the password or key-like query
parameter of any URL. An `os.environ/NAME` reference is not one (LiteLLM resolves it at start),
nor is the compiled config's `no-key` placeholder for a keyless local server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from spine_gates.model.loader import join_pointer

# What LiteLLM reads as a secret reference: `os.environ/NAME` (resolved at start-up).
ENV_REFERENCE = re.compile(r"os\.environ/[A-Za-z_][A-Za-z0-9_]*")
# The compiled config's key for a keyless local server (targets.litellm's compile): not a secret.
KEYLESS_PLACEHOLDER = "no-key"
ENVIRONMENT = "environment_variables"
# Words that make a field a credential wherever they stand in its name ...
_STRONG = {"secret", "secrets", "password", "passwd", "pwd", "passphrase", "credential",
           "credentials", "apikey"}
# ... and words that do only as its last word (`max_tokens`, `key_management_system` are not).
_WEAK = {"key", "token"}
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_WORDS = re.compile(r"[a-z0-9]+")


def credential_name(name: str) -> bool:
    """Whether a field called `name` holds a credential (api_key, aws_secret_access_key,
    vertex_credentials, password, access_token...)."""
    words = _WORDS.findall(re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())
    return bool(words) and (any(w in _STRONG for w in words) or words[-1] in _WEAK)


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and ENV_REFERENCE.fullmatch(value.strip()) is not None


@dataclass(frozen=True)
class Credential:
    """A literal credential: where it sits, what it is (for a sentence), and its value."""

    pointer: str
    what: str
    value: str


def _url_secrets(text: str, name: str) -> Iterator[tuple[str, str]]:
    """(what, value) for a URL's password and its key-like query parameters (database_url,
    redis_url, an api_base with `user:KEY@` or `?api-key=`)."""
    try:
        parts = urlsplit(text.strip())
        password = parts.password
    except ValueError:
        return
    if password and not is_reference(password):
        yield f"the password in {name}", password
    for parameter, value in parse_qsl(parts.query):
        keylike = credential_name(parameter) or parameter.lower() in ("sig", "signature")
        if keylike and not is_reference(value):
            yield f"the {parameter} parameter in {name}", value


def _literal(value: Any) -> str | None:
    """A field's value as the string it holds, or None when it holds no literal."""
    if value is None or isinstance(value, bool) or value == "" or is_reference(value):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True) if value else None
    return str(value)


def value_credentials(name: str, value: Any, pointer: str, *,
                      environment: bool = False) -> Iterator[Credential]:
    """The credentials in one field's value (a whole value, or pieces of a URL in it)."""
    whole = environment or credential_name(name)
    if whole and not (name == "api_key" and value == KEYLESS_PLACEHOLDER):
        text = _literal(value)
        if text is not None:
            yield Credential(pointer, name, text)
            return
    if isinstance(value, str) and _URL.fullmatch(value.strip()):
        yield from (Credential(pointer, what, v) for what, v in _url_secrets(value, name))


def credentials(value: Any, pointer: str = "", *,
                environment: bool = False) -> Iterator[Credential]:
    """Every literal credential in a config (or part of one), outermost first."""
    if isinstance(value, dict):
        for key, item in value.items():
            name, child = str(key), join_pointer(pointer, key)
            found = list(value_credentials(name, item, child, environment=environment))
            yield from found
            if found and isinstance(item, dict | list):
                continue  # the whole structure is one credential
            yield from credentials(item, child, environment=environment or (
                pointer == "" and name == ENVIRONMENT))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from credentials(item, f"{pointer}/{index}", environment=environment)
