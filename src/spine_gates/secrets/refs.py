"""Secret references: `infisical://<path>/<KEY>` and `env:NAME`, parsed into what resolvers need.

A reference names where a key lives, never the key. `infisical://spine/ai/providers/OPENAI_API_KEY`
is the secret `OPENAI_API_KEY` in the Infisical folder `/spine/ai/providers`; the project and
environment come from the resolver's configuration, not from the reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from spine_gates.secrets.redact import fingerprint, register_secret

DEFAULT_NAMESPACE = "/spine/ai/providers"

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})$")
_REFERENCE_LIKE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://|\$|env:|\{\{|vault:|op://)")


class RefError(ValueError):
    """A string that means to be a reference but is malformed or uses another scheme."""


@dataclass(frozen=True)
class SecretRef:
    scheme: str  # "infisical" or "env"
    raw: str
    name: str  # the secret's key in Infisical, or the environment variable
    path: str = ""  # Infisical folder path, "/" for the root

    @property
    def location(self) -> str:
        """Where the value would live, without the value: `infisical:/spine/ai/providers/KEY`."""
        if self.scheme == "env":
            return f"env:{self.name}"
        return f"infisical:{self.path.rstrip('/')}/{self.name}"


def parse_ref(text: str) -> SecretRef:
    """Parse an allowed reference; anything else raises RefError saying what is wrong."""
    raw = text.strip()
    if raw.startswith("env:"):
        name = raw[4:]
        if not _ENV_NAME.match(name):
            raise RefError("env: needs a variable name of letters, digits and '_'")
        return SecretRef("env", raw, name)
    if raw.startswith("infisical://"):
        rest = raw[len("infisical://"):]
        if "?" in rest or "#" in rest:
            raise RefError("infisical references take no query or fragment")
        parts = rest.split("/")
        name = parts[-1]
        folders = parts[:-1]
        if not name or not _SECRET_NAME.match(name):
            raise RefError("infisical reference must end in a secret name (letters, digits, _ -)")
        for folder in folders:
            if folder in ("", ".", "..") or not _SEGMENT.match(folder):
                raise RefError(f"infisical path segment {folder!r} is not a folder name")
        return SecretRef("infisical", raw, name, "/" + "/".join(folders))
    scheme = raw.split(":", 1)[0] if ":" in raw else ""
    if is_placeholder(raw):
        raise RefError("a $NAME placeholder is not a reference here; write env:NAME")
    if scheme:
        raise RefError(f"scheme {scheme!r} is not allowed (use infisical:// or env:)")
    raise RefError("not a reference (use infisical://<path>/<KEY> or env:NAME)")


def is_placeholder(text: str) -> bool:
    """`$NAME` / `${NAME}`: the proxy interpolates these from its environment."""
    return bool(_PLACEHOLDER.match(text.strip()))


def looks_like_reference(text: str) -> bool:
    """Whether a string means to point somewhere (a scheme, `$`, `env:`), right or wrong."""
    return bool(_REFERENCE_LIKE.match(text.strip()))


def normalise_namespace(namespace: str) -> str:
    return "/" + "/".join(p for p in namespace.strip().split("/") if p)


def under_namespace(path: str, namespace: str) -> bool:
    """Whether an Infisical folder path is the namespace or below it (segment-wise)."""
    path, namespace = normalise_namespace(path), normalise_namespace(namespace)
    if namespace == "/":
        return True
    return path == namespace or path.startswith(namespace + "/")


# Shorter environment values are placeholders (`lm-studio`, `none`): scrubbing them would blank
# ordinary words out of reports, and no provider issues keys that short.
REFERENCED_KEY_MIN_LENGTH = 16


def register_referenced_keys(refs: list[object], environ: Mapping[str, str]) -> int:
    """Register with the redaction service the value of every key the SSOT references and this
    process holds: `env:NAME` reads `$NAME`, `infisical://…/KEY` reads `$KEY` (as `infisical
    run` provides it). A key the SSOT marks as one is then scrubbed from every output, whatever
    its format and wherever else it was pasted. Returns how many were registered."""
    count = 0
    for raw in refs:
        if not isinstance(raw, str):
            continue
        try:
            name = parse_ref(raw).name
        except RefError:
            continue
        value = (environ.get(name) or "").strip()
        if len(value) >= REFERENCED_KEY_MIN_LENGTH:
            register_secret(value)
            count += 1
    return count


_UPPER_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def env_var_of(ref: str, reader: str) -> str:
    """The variable a proxy config reads a key from: `infisical://…/ANTHROPIC_API_KEY` or
    `env:FOO` -> its upper-case name. `reader` completes the error (who must read the name).

    A value that does not even look like a reference is most likely the key itself: it is named
    by its fingerprint, never echoed (no key format need match it)."""
    if ref.startswith("env:"):
        name = ref[4:]
    elif ref.startswith("infisical://"):
        name = ref.rstrip("/").rsplit("/", 1)[-1]
    else:
        shown = repr(ref) if looks_like_reference(ref) else f"a literal ({fingerprint(ref)})"
        raise ValueError(f"{shown} is not an infisical:// or env: reference")
    if not _UPPER_NAME.match(name):
        raise ValueError(f"{ref!r} does not end in an upper-case variable name {reader}")
    return name
