"""Ed25519 keys: generation, the trusted public keys in `receipts/keys/`, revocations, signing key.

`cryptography` is imported inside the functions that need it, so the pre-commit path that never
signs never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError
from spine_gates.model.loader import parse_yaml
from spine_gates.receipts.gitinfo import worktree_of
from spine_gates.secrets.redact import register_secret

KEYS_DIR = "receipts/keys"
REVOKED_FILE = "revoked.yaml"
KEY_FILE_ENV = "SPINE_GATES_SIGNING_KEY_FILE"
KEY_ENV = "SPINE_GATES_SIGNING_KEY"
KEY_REF_ENV = "SPINE_GATES_SIGNING_KEY_REF"
KEY_LIMIT = 64 * 1024  # a PEM Ed25519 key is 113 bytes; anything this large is not a key


def keyid_of(raw_public: bytes) -> str:
    """A key's id: the SHA-256 of its raw 32-byte public key, in hex."""
    return hashlib.sha256(raw_public).hexdigest()


def short_id(keyid: str) -> str:
    return f"sha256:{keyid[:8]}"


@functools.cache
def _invalid_signature() -> type[Exception]:
    """cryptography's InvalidSignature, imported on first use (once, not per receipt)."""
    from cryptography.exceptions import InvalidSignature

    return InvalidSignature


@dataclass(frozen=True)
class PublicKey:
    name: str
    raw: bytes
    keyid: str
    source: str = ""
    _key: Any = field(default=None, compare=False, repr=False)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except _invalid_signature():
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    raw_public: bytes
    keyid: str
    _key: Any = field(compare=False, repr=False)

    def sign(self, message: bytes) -> bytes:
        return bytes(self._key.sign(message))


@dataclass(frozen=True)
class Revocation:
    keyid: str
    revoked_at: _dt.datetime
    reason: str = ""


def public_key_from_raw(raw: bytes, name: str = "", source: str = "") -> PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return PublicKey(name, raw, keyid_of(raw), source, Ed25519PublicKey.from_public_bytes(raw))


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_from_bytes(data: bytes, name: str, display: str) -> PublicKey:
    """A `.pub` file's bytes: PEM SubjectPublicKeyInfo (as keygen writes) or the raw key in
    base64. `name` is the key's name (the file's stem); `display` names it in errors."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            raise InputError("not a readable PEM public key", display, 1) from None
        if not isinstance(key, Ed25519PublicKey):
            raise InputError("not an Ed25519 public key", display, 1)
        raw = _raw_public(key)
    else:
        raw = _decode_raw(data.decode("ascii", "replace").strip(), display)
    return public_key_from_raw(raw, name, display)


def _decode_raw(text: str, display: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("key is neither PEM nor base64", display) from None
    if len(raw) != 32:
        raise InputError(f"a raw Ed25519 key has 32 bytes, this has {len(raw)}", display)
    return raw


def parse_instant(value: Any) -> _dt.datetime | None:
    """A YYYY-MM-DD date (midnight UTC) or an RFC 3339 time; None if neither."""
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.UTC)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = _dt.date.fromisoformat(text)
            return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC)
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def parse_revocations(text: str, name: str, keys: list[PublicKey]) -> dict[str, Revocation]:
    """`revoked.yaml`'s text: `revoked: [{key, revoked_at, reason}]`, keyed by key id.

    `key` is a key id (hex), a `sha256:<8 hex>` short id, or the name of a `.pub` file.
    """
    document = parse_yaml(text, Path(name), name)
    data = document.data
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("revoked"), list):
        raise InputError("expected a top-level 'revoked:' list", name, 1)
    out: dict[str, Revocation] = {}
    for index, entry in enumerate(data["revoked"]):
        line = document.line_of(f"/revoked/{index}")
        if not isinstance(entry, dict) or not entry.get("key"):
            raise InputError("each revocation needs 'key' and 'revoked_at'", name, line)
        when = parse_instant(entry.get("revoked_at"))
        if when is None:
            raise InputError("'revoked_at' must be YYYY-MM-DD or an RFC 3339 time with a zone",
                             name, document.line_of(f"/revoked/{index}/revoked_at"))
        keyid = _match_key(str(entry["key"]), keys)
        if keyid is None:
            raise InputError(f"revocation names an unknown key {entry['key']!r} (keep the "
                             "revoked key's .pub file so its old receipts still verify)",
                             name, line)
        earlier = out.get(keyid)
        if earlier is None or when < earlier.revoked_at:
            out[keyid] = Revocation(keyid, when, str(entry.get("reason", "")))
    return out


def _match_key(ref: str, keys: list[PublicKey]) -> str | None:
    for key in keys:
        if ref in (key.keyid, key.name, short_id(key.keyid), f"{key.name}.pub"):
            return key.keyid
    return None


def generate_key() -> tuple[bytes, PublicKey]:
    """A new Ed25519 key: (private key as PKCS#8 PEM, public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return bytes(pem), public_key_from_raw(_raw_public(private.public_key()))


def public_pem(key: PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key._key.public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo))


def signing_key_from_text(text: str, display: str) -> SigningKey:
    """A private key given as PKCS#8 PEM or as the raw 32-byte seed in base64."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(text.encode("ascii", "replace"), None)
        except (ValueError, TypeError):
            raise InputError("signing key is not a readable unencrypted PEM private key",
                             display) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError("signing key is not an Ed25519 key", display)
    else:
        key = Ed25519PrivateKey.from_private_bytes(_decode_raw(text, display))
    raw = _raw_public(key.public_key())
    return SigningKey(raw, keyid_of(raw), key)


def _register(text: str) -> None:
    """Scrub the private key from every later output of this process."""
    for line in text.strip().splitlines():
        if not line.startswith("-----"):
            register_secret(line)
    register_secret(text.strip())


def load_signing_key(path: str | None, environ: dict[str, str] | None = None,
                     root: Path | None = None) -> SigningKey | None:
    """The signing key: `--signing-key PATH`, else `$SPINE_GATES_SIGNING_KEY_FILE`, else
    `$SPINE_GATES_SIGNING_KEY` (PEM or base64 seed), else `$SPINE_GATES_SIGNING_KEY_REF` (a
    secret reference such as `env:NAME` or `infisical://…`), else (given the spine `root`) the
    key keygen wrote to its default place for one of the spine's public keys. None if none."""
    env = os.environ if environ is None else environ
    if path is None and env.get(KEY_FILE_ENV):
        path = env[KEY_FILE_ENV]
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise InputError("signing key file not found", path)
        text = file.read_text("ascii", "replace")
        _register(text)
        return signing_key_from_text(text, path)
    if env.get(KEY_ENV):
        _register(env[KEY_ENV])
        return signing_key_from_text(env[KEY_ENV], f"${KEY_ENV}")
    if env.get(KEY_REF_ENV):
        ref = env[KEY_REF_ENV].strip()
        text = resolve_secret_ref(ref, env)
        _register(text)
        return signing_key_from_text(text, f"${KEY_REF_ENV} ({ref})")
    return default_signing_key(root, env) if root is not None else None


def default_signing_key(root: Path, environ: Any = None) -> SigningKey | None:
    """The key `gates receipts keygen` wrote to its default place for this spine: the first
    `<name>.key` in `default_keys_dir()` whose public half is the spine's
    `receipts/keys/<name>.pub`.

    Matching the public half (not only the name) keeps a same-named key of another spine from
    signing here; a `.pub` that is not a readable key is skipped (verify reports it).
    """
    folder = default_keys_dir(environ)
    keys = root / KEYS_DIR
    if not folder.is_dir() or not keys.is_dir():
        return None
    inside = root.resolve()
    for pub in sorted(keys.glob("*.pub")):
        private = folder / f"{pub.stem}.key"
        if not private.is_file() or not pub.is_file() or pub.stat().st_size > KEY_LIMIT \
                or not pub.resolve().is_relative_to(inside):
            continue
        try:
            trusted = public_key_from_bytes(pub.read_bytes(), pub.stem, f"{KEYS_DIR}/{pub.name}")
        except InputError:
            continue
        text = private.read_text("ascii", "replace")
        _register(text)
        key = signing_key_from_text(text, str(private))
        if key.keyid == trusted.keyid:
            return key
    return None


def resolve_secret_ref(ref: str, env: Any) -> str:
    """Resolve the signing key's secret reference. `env:NAME` reads the environment, which is how
    the spine hands out secrets (`infisical run -- gates run …` with `env:NAME`)."""
    if not ref.startswith("env:"):
        raise InputError(f"{KEY_REF_ENV}: only env:NAME references are supported for the signing "
                         "key; run under `infisical run -- …` and point at the variable it sets")
    name = ref[4:]
    value = env.get(name)
    if not value:
        raise InputError(f"{KEY_REF_ENV}: environment variable {name} is not set")
    return str(value)


def default_keys_dir(environ: Any = None) -> Path:
    """Where keygen puts private keys and a run looks for them: the user's config dir, outside
    every repository (keygen refuses a private key inside one), mode 0700."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "spine-gates" / "keys"


def default_private_path(name: str, environ: Any = None) -> Path:
    return default_keys_dir(environ) / f"{name}.key"


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        path.relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def commit_hint(key: PublicKey, public_path: Path) -> str:
    """keygen's next step: only the keys committed at HEAD verify receipts."""
    return (f"commit {key.source}: only keys committed at HEAD verify receipts "
            f"(git add {public_path} && git commit)")


def write_keypair(root: Path, out: str | None, name: str | None) -> tuple[Path, Path, PublicKey]:
    """Generate a key: private key (0600) outside the repository, public key into
    `<root>/receipts/keys/<name>.pub`. Refuses to overwrite either."""
    pem, public = generate_key()
    name = name or f"signer-{public.keyid[:8]}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise InputError(f"--name {name!r}: use letters, digits, '.', '_' or '-'")
    private = (Path(out).expanduser() if out else default_private_path(name)).absolute()
    resolved = private.parent.resolve() / private.name
    for folder in (root, worktree_of(root), worktree_of(Path.cwd())):
        if _inside(resolved, folder):
            raise InputError(f"refusing to write a private key inside the repository ({folder}); "
                             "choose a path outside it with --out", str(out or private))
    public_path = root / KEYS_DIR / f"{name}.pub"
    if public_path.exists():
        raise InputError("a public key with this name already exists; pick another --name",
                         f"{KEYS_DIR}/{name}.pub")
    private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("private key file already exists; refusing to overwrite it",
                         str(private)) from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(public_path, public_pem(public), mode=0o644)
    return private, public_path, public_key_from_raw(public.raw, name, f"{KEYS_DIR}/{name}.pub")
