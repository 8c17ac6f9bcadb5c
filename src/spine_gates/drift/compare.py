"""The keyed comparison (deepdiff) and its verdicts: in sync, pending, drift.

Three configs take part: the live file, what the SSOT compiles to now, and what the last
`gates sync` wrote (its stamp). A live value that still equals what sync wrote is *pending* (the
SSOT moved on); any other difference is *drift* (the live file was edited).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spine_gates.ccr.safety import ENV_REF
from spine_gates.drift.keyed import MISSING, get, keyed
from spine_gates.secrets.detect import field_kind
from spine_gates.secrets.redact import fingerprint

_SECRET_FIELDS = {"api_key", "APIKEY"}


class DriftVerdict(StrEnum):
    IN_SYNC = "in_sync"
    PENDING = "pending"
    OVERRIDDEN = "overridden"  # differs only by active, recorded failover overrides (exit 0)
    DRIFT = "drift"


@dataclass(frozen=True)
class Difference:
    """One keyed unit (a provider field, a slot, a fallback list, a top-level key) that differs."""

    unit: tuple[str, ...]
    live: Any
    ssot: Any
    verdict: DriftVerdict

    @property
    def label(self) -> str:
        if self.unit[0] == "Providers" and len(self.unit) > 1:
            rest = "".join(f".{t}" for t in self.unit[2:])
            return f"Providers[{self.unit[1]}]{rest}"
        return ".".join(self.unit)

    def sentence(self) -> str:
        """What a person reads: `Router.think: live is a,b, SSOT says c,d`."""
        secret = bool(self.unit) and is_secret_field(self.unit[-1])
        if self.live is MISSING:
            return f"{self.label}: live has none, SSOT says {show(self.ssot, secret)}"
        if self.ssot is MISSING:
            return f"{self.label}: live is {show(self.live, secret)}, SSOT has none"
        if isinstance(self.live, frozenset) and isinstance(self.ssot, frozenset):
            extra, lacking = sorted(map(str, self.live - self.ssot)), \
                sorted(map(str, self.ssot - self.live))
            parts = []
            if extra:
                parts.append(f"live adds {', '.join(extra)}")
            if lacking:
                parts.append(f"live lacks {', '.join(lacking)}")
            return f"{self.label}: {'; '.join(parts)}"
        return f"{self.label}: live is {show(self.live, secret)}, SSOT says " \
               f"{show(self.ssot, secret)}"


def is_secret_field(name: str) -> bool:
    """Whether a live value under `name` is a credential (`api_key`, `key`, `x-api-key`, …).

    Such values are shown only as fingerprints whatever they look like: a short hand-typed
    password matches no key format, so the redaction service alone would let it through.
    """
    if name in _SECRET_FIELDS:
        return True

    return field_kind(name) in ("strict", "ref")


def show(value: Any, secret: bool = False) -> str:
    """A value for a sentence; a literal key appears only as its fingerprint."""
    if secret and isinstance(value, str):

        if ENV_REF.fullmatch(value):
            return value

        return f"a literal key {fingerprint(value)}"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        if "api_base_url" in value or "models" in value:
            models = value.get("models")
            count = len(models) if isinstance(models, frozenset | list) else 0
            return f"a provider at {value.get('api_base_url', '?')} with {count} model(s)"
        return "{" + ", ".join(f"{k}: {show(v, is_secret_field(str(k)))}"
                               for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unit(path: list[Any]) -> tuple[str, ...]:
    depth = 3 if path and path[0] == "Providers" else 2
    return tuple(str(t) for t in path[:depth])


def changed_units(live_keyed: dict[str, Any], ssot_keyed: dict[str, Any]) -> list[tuple[str, ...]]:
    """The keyed units deepdiff finds different, in a stable order."""
    live_part, ssot_part = _differing(live_keyed, ssot_keyed)
    if not live_part and not ssot_part:
        return []
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: never collapse a mostly-different dict into one root change
    diff = DeepDiff(ssot_part, live_part, view="tree", ignore_order=False,
                    ignore_string_type_changes=False, threshold_to_diff_deeper=0)
    units: set[tuple[str, ...]] = set()
    for levels in diff.values():
        for level in levels:
            path = level.path(output_format="list")
            if path:
                units.update(_expand(_unit(path), live_keyed, ssot_keyed))
            else:
                for key in live_part.keys() | ssot_part.keys():
                    units.update(_expand((key,), live_keyed, ssot_keyed))
    return sorted(units)


_SECTIONS = ("Providers", "Router", "fallback")


def _differing(live_k: dict[str, Any], ssot_k: dict[str, Any]) -> tuple[dict[str, Any],
                                                                         dict[str, Any]]:
    """Only the top-level keys and providers that differ at all: equal ones cost a dict
    comparison instead of a deepdiff walk (2,000 providers in sync compare in milliseconds)."""
    live_part: dict[str, Any] = {}
    ssot_part: dict[str, Any] = {}
    for key in live_k.keys() | ssot_k.keys():
        a, b = live_k.get(key, MISSING), ssot_k.get(key, MISSING)
        if _same(a, b):
            continue
        if key == "Providers" and isinstance(a, dict) and isinstance(b, dict):
            names = [n for n in a.keys() | b.keys()
                     if not _same(a.get(n, MISSING), b.get(n, MISSING))]
            live_part[key] = {n: a[n] for n in names if n in a}
            ssot_part[key] = {n: b[n] for n in names if n in b}
            continue
        if a is not MISSING:
            live_part[key] = a
        if b is not MISSING:
            ssot_part[key] = b
    return live_part, ssot_part


def _expand(unit: tuple[str, ...], live_k: dict[str, Any],
            ssot_k: dict[str, Any]) -> list[tuple[str, ...]]:
    """Split a whole-section difference (`Router: {}` vs `{...}`) into one unit per key."""
    live_value, ssot_value = get(live_k, unit), get(ssot_k, unit)
    section = len(unit) == 1 and unit[0] in _SECTIONS
    provider = len(unit) == 2 and unit[0] == "Providers"
    dicts = isinstance(live_value, dict) and isinstance(ssot_value, dict)
    one_sided = {type(live_value), type(ssot_value)} <= {dict, type(MISSING)}
    if not (section and one_sided) and not (provider and dicts):
        return [unit]
    keys = set(live_value if isinstance(live_value, dict) else {}) | \
        set(ssot_value if isinstance(ssot_value, dict) else {})
    out: list[tuple[str, ...]] = []
    for key in keys:
        child = (*unit, str(key))
        if not _same(get(live_k, child), get(ssot_k, child)):
            out.extend(_expand(child, live_k, ssot_k))
    return out or [unit]


def compare(live: dict[str, Any], ssot: dict[str, Any],
            synced: dict[str, Any] | None) -> list[Difference]:
    """Every difference between live and SSOT, each classified as pending or drift."""
    live_k, ssot_k = keyed(live), keyed(ssot)
    synced_k = keyed(synced) if synced is not None else None
    out = []
    for unit in changed_units(live_k, ssot_k):
        live_value, ssot_value = get(live_k, unit), get(ssot_k, unit)
        pending = synced_k is not None and _same(live_value, get(synced_k, unit))
        out.append(Difference(unit, live_value, ssot_value,
                              DriftVerdict.PENDING if pending else DriftVerdict.DRIFT))
    return out


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return bool(type(a) is type(b) and a == b)


def overall(differences: list[Difference]) -> DriftVerdict:
    if any(d.verdict is DriftVerdict.DRIFT for d in differences):
        return DriftVerdict.DRIFT
    return DriftVerdict.PENDING if differences else DriftVerdict.IN_SYNC
