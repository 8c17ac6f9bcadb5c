"""A router config keyed by meaning: providers by name, models as sets, slots by name.

Two configs that differ only in provider order or model order are the same config to the router;
keying them first makes the comparison say so.
"""

from __future__ import annotations

import json
from typing import Any

from spine_gates.model.schemas import CCR_LONG_CONTEXT_DEFAULT

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else \
        json.dumps(value, sort_keys=True)


def _router(router: dict[str, Any]) -> dict[str, Any]:
    """The router reads `longContextThreshold || 60000`: a threshold of 0 or the default is
    the same router as none (so a config written by hand, or by another tool, is not drift)."""
    threshold = router.get("longContextThreshold", MISSING)
    if isinstance(threshold, int | float) and not isinstance(threshold, bool) \
            and threshold in (0, CCR_LONG_CONTEXT_DEFAULT):
        return {k: v for k, v in router.items() if k != "longContextThreshold"}
    return router


def keyed(config: dict[str, Any]) -> dict[str, Any]:
    """Providers -> {name: fields}, each provider's models -> frozenset, Router without a
    default long-context threshold; the rest as is."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key == "Router" and isinstance(value, dict):
            out[key] = _router(value)
        elif key == "Providers" and isinstance(value, list):
            providers: dict[str, Any] = {}
            for index, provider in enumerate(value):
                if not isinstance(provider, dict):
                    providers[f"<entry {index}>"] = provider
                    continue
                name = provider.get("name")
                label = name if isinstance(name, str) else f"<entry {index}>"
                body = {k: v for k, v in provider.items() if k != "name"}
                if isinstance(body.get("models"), list):
                    body["models"] = frozenset(_hashable(m) for m in body["models"])
                providers.setdefault(label, body)
            out[key] = providers
        else:
            out[key] = value
    return out


def provider_indexes(config: dict[str, Any]) -> dict[str, int]:
    """Provider name -> index in the file's list (for JSON pointers and lines)."""
    indexes: dict[str, int] = {}
    providers = config.get("Providers")
    for index, provider in enumerate(providers if isinstance(providers, list) else []):
        name = provider.get("name") if isinstance(provider, dict) else None
        indexes.setdefault(name if isinstance(name, str) else f"<entry {index}>", index)
    return indexes


def get(data: Any, unit: tuple[str, ...]) -> Any:
    """The value at a keyed path, or MISSING."""
    node = data
    for token in unit:
        if isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return MISSING
    return node


def keyed_pointer(unit: tuple[str, ...]) -> str:
    """`("Providers", "openai", "models")` -> `/Providers/openai/models` (ignore rules use it)."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in unit)


def file_pointer(unit: tuple[str, ...], indexes: dict[str, int]) -> str:
    """The JSON pointer into the live file itself (provider names become list indexes)."""
    if unit and unit[0] == "Providers" and len(unit) > 1:
        if unit[1] in indexes:
            return keyed_pointer(("Providers", str(indexes[unit[1]]), *unit[2:]))
        return "/Providers"
    return keyed_pointer(unit)
