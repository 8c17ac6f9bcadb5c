"""DSSE envelopes: the signature covers the pre-authentication encoding, never parsed JSON.

Verification happens on bytes (PAE over the decoded payload) before anyone parses the payload, and
the key is found by trying every trusted key: a `keyid` is a hint, never an authority.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spine_gates.receipts.keys import PublicKey, SigningKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


class EnvelopeError(ValueError):
    """The envelope is malformed or no trusted key verifies it."""


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload: bytes
    payload_type: str
    signatures: tuple[Signature, ...]

    def to_bytes(self) -> bytes:
        """The stored form: compact, key-sorted JSON, one trailing newline."""
        data = {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
                           for s in self.signatures],
        }
        return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: `DSSEv1 <len> <type> <len> <payload>`."""
    encoded_type = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(encoded_type), encoded_type, len(payload), payload)


def sign(payload: bytes, key: SigningKey, payload_type: str = PAYLOAD_TYPE) -> Envelope:
    return Envelope(payload, payload_type,
                    (Signature(key.keyid, key.sign(pae(payload_type, payload))),))


def _b64(value: object, what: str) -> bytes:
    """Strict standard base64: only the alphabet, correct padding, nothing after it."""
    if not isinstance(value, str):
        raise EnvelopeError(f"{what} is not a base64 string")
    try:
        return binascii.a2b_base64(value, strict_mode=True)
    except ValueError:  # binascii.Error, or a non-ASCII str
        raise EnvelopeError(f"{what} is not valid base64") from None


def parse_envelope(raw: bytes) -> Envelope:
    """Parse the envelope's structure only; the payload stays opaque bytes until verified."""
    try:
        data = json.loads(raw.decode("utf-8"))  # UTF-8 only: no UTF-16/32 or BOM guessing
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EnvelopeError(f"envelope is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or set(data) != {"payload", "payloadType", "signatures"}:
        raise EnvelopeError("envelope must have exactly payload, payloadType, signatures")
    if not isinstance(data["payloadType"], str):
        raise EnvelopeError("payloadType is not a string")
    signatures = data["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("envelope has no signatures")
    parsed = []
    for index, entry in enumerate(signatures):
        if not isinstance(entry, dict) or not isinstance(entry.get("keyid", ""), str):
            raise EnvelopeError(f"signature {index} is malformed")
        parsed.append(Signature(entry.get("keyid", ""), _b64(entry.get("sig"),
                                                               f"signature {index}")))
    return Envelope(_b64(data["payload"], "payload"), data["payloadType"], tuple(parsed))


class KeyRing:
    """The trusted keys, with the order to try them in for each keyid worked out once.

    The order puts keys whose id matches the hint first and every other trusted key after them:
    the hint saves work in the common case, it never selects or excludes a key. Safe to share
    between threads (a racing fill of the cache stores the same tuple)."""

    _CACHE_LIMIT = 1024  # distinct keyids remembered; a hostile store cannot grow it further

    def __init__(self, keys: Iterable[PublicKey]) -> None:
        self.keys = tuple(keys)
        self._order: dict[str, tuple[PublicKey, ...]] = {}

    def attempts(self, keyid: str) -> tuple[PublicKey, ...]:
        order = self._order.get(keyid)
        if order is None:
            order = _hinted_first(self.keys, keyid)
            if len(self._order) < self._CACHE_LIMIT:
                self._order[keyid] = order
        return order


def verify(envelope: Envelope, trusted: Sequence[PublicKey] | KeyRing,
           payload_type: str = PAYLOAD_TYPE) -> PublicKey:
    """The trusted key that signed the envelope's PAE; raises EnvelopeError if none did.

    Keys whose id matches a signature's keyid are tried first (cheap in the common case), then
    every other trusted key, so a wrong or forged keyid can neither select nor exclude a key.
    """
    if envelope.payload_type != payload_type:
        raise EnvelopeError(f"payloadType is {envelope.payload_type!r}, not {payload_type!r}")
    ring = trusted if isinstance(trusted, KeyRing) else KeyRing(trusted)
    message = pae(envelope.payload_type, envelope.payload)
    for signature in envelope.signatures:
        for key in ring.attempts(signature.keyid):
            if key.verify(signature.sig, message):
                return key
    raise EnvelopeError("no trusted key verifies the signature")


def _hinted_first(keys: Sequence[PublicKey], keyid: str) -> tuple[PublicKey, ...]:
    hinted = [k for k in keys if k.keyid == keyid]
    return (*hinted, *(k for k in keys if k.keyid != keyid))
