"""The keyed comparison of two LiteLLM configs: deployments by `model_info.id`, router settings
by name, fallbacks and aliases by model group. Order never matters except inside one fallback
chain (the order it is tried in). Keys appear only as `os.environ/NAME` or a fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spine_gates.drift.compare import Difference, DriftVerdict
from spine_gates.drift.keyed import MISSING, keyed_pointer
from spine_gates.litellm.credentials import (
    ENVIRONMENT,
    credential_name,
    credentials,
    is_reference,
)
from spine_gates.litellm.live import RUNTIME_PARAMS
from spine_gates.secrets.redact import fingerprint, register_secret

_SECTIONS = {("model_list",), ("router_settings",), ("general_settings",), ("litellm_settings",),
             ("router_settings", "fallbacks"), ("router_settings", "model_group_alias"),
             ("router_settings", "context_window_fallbacks"),
             ("router_settings", "content_policy_fallbacks")}
_FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


def show(value: Any, secret: bool = False, name: str = "") -> str:
    """A value for a sentence; a literal credential (litellm.credentials: the notion LIT-002
    flags) only as its fingerprint, and registered so no output carries it."""
    for credential in credentials({name: value} if name else value):
        register_secret(credential.value)  # e.g. a URL's password, shown inside the URL
    if secret and not isinstance(value, dict | list | bool) and value is not None \
            and not is_reference(value):
        return f"a literal key {fingerprint(str(value))}"
    if isinstance(value, dict):
        if "litellm_params" in value:
            params = value.get("litellm_params") or {}
            where = params.get("api_base", "its default endpoint") if isinstance(params, dict) \
                else "?"
            origin = " (added through the proxy's API, kept in its database)" if isinstance(
                value.get("model_info"), dict) and value["model_info"].get("db_model") else ""
            model = params.get("model", "?") if isinstance(params, dict) else "?"
            return f"a deployment of {model} at {where}{origin}"
        return "{" + ", ".join(f"{k}: {show(v, secret or credential_name(str(k)), str(k))}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v, secret) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class GatewayDifference(Difference):
    """A keyed difference in a LiteLLM config, labelled and redacted in its own terms."""

    @property
    def label(self) -> str:
        if self.unit[0] == "model_list" and len(self.unit) > 1:
            return f"model_list[{self.unit[1]}]" + "".join(f".{t}" for t in self.unit[2:])
        return ".".join(self.unit)

    def sentence(self) -> str:
        # a field named as a credential, or anything under environment_variables
        name = self.unit[-1]
        secret = credential_name(name) or self.unit[0] == ENVIRONMENT
        if self.live is MISSING:
            return f"{self.label}: live has none, SSOT says {show(self.ssot, secret, name)}"
        if self.ssot is MISSING:
            return f"{self.label}: live is {show(self.live, secret, name)}, SSOT has none"
        return f"{self.label}: live is {show(self.live, secret, name)}, SSOT says " \
               f"{show(self.ssot, secret, name)}"


@dataclass(frozen=True)
class Keyed:
    """A config keyed by meaning, and where each keyed entry sits in the file's lists."""

    data: dict[str, Any]
    indexes: dict[tuple[str, ...], int]


def keyed(config: dict[str, Any]) -> Keyed:
    """model_list -> {id: deployment}; router_settings' fallback lists -> {group: chain}."""
    out: dict[str, Any] = dict(config)
    indexes: dict[tuple[str, ...], int] = {}
    deployments = config.get("model_list")
    if isinstance(deployments, list):
        by_id: dict[str, Any] = {}
        for index, entry in enumerate(deployments):
            info = entry.get("model_info") if isinstance(entry, dict) else None
            ident = info.get("id") if isinstance(info, dict) else None
            if not isinstance(ident, str):
                name = entry.get("model_name") if isinstance(entry, dict) else None
                ident = f"<no id: {name} #{index}>"
            if ident not in by_id:
                by_id[ident] = entry
                indexes[("model_list", ident)] = index
        out["model_list"] = by_id
    router = config.get("router_settings")
    if isinstance(router, dict):
        router = dict(router)
        for key in _FALLBACK_KEYS:
            chains = router.get(key)
            if isinstance(chains, list):
                merged: dict[str, Any] = {}
                for index, item in enumerate(chains):
                    for group, chain in (item.items() if isinstance(item, dict)
                                         else [(f"<entry {index}>", item)]):
                        merged.setdefault(str(group), chain)
                        indexes.setdefault(("router_settings", key, str(group)), index)
                router[key] = merged
        out["router_settings"] = router
    return Keyed(out, indexes)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    if _number(a) and _number(b):  # the proxy reports `timeout: 300` as 300.0 at times
        return bool(a == b)
    return bool(type(a) is type(b) and a == b)


def _descends(unit: tuple[str, ...]) -> bool:
    if not unit or unit in _SECTIONS:
        return True
    if unit[0] != "model_list":
        return False
    return len(unit) == 2 or (len(unit) == 3 and unit[2] in ("litellm_params", "model_info"))


def differences(live: dict[str, Any], ssot: dict[str, Any],
                synced: dict[str, Any] | None) -> list[GatewayDifference]:
    """Every keyed unit that differs; pending where live still holds what the last sync wrote."""
    live_k, ssot_k = keyed(live).data, keyed(ssot).data
    synced_k = keyed(synced).data if synced is not None else None
    out: list[GatewayDifference] = []

    def walk(unit: tuple[str, ...], a: Any, b: Any) -> None:
        if _same(a, b):
            return
        if _descends(unit) and isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(a.keys() | b.keys(), key=str):
                walk((*unit, str(key)), a.get(key, MISSING), b.get(key, MISSING))
            return
        pending = synced_k is not None and _same(a, _at(synced_k, unit))
        out.append(GatewayDifference(unit, a, b,
                                     DriftVerdict.PENDING if pending else DriftVerdict.DRIFT))

    walk((), live_k, ssot_k)
    return out


def _at(data: Any, unit: tuple[str, ...]) -> Any:
    node = data
    for token in unit:
        if not isinstance(node, dict) or token not in node:
            return MISSING
        node = node[token]
    return node


def file_pointer(unit: tuple[str, ...], live: dict[str, Any]) -> str:
    """The JSON pointer into the file itself (keyed entries become list indexes)."""
    indexes = keyed(live).indexes
    for depth in (3, 2):
        index = indexes.get(unit[:depth])
        if index is not None and len(unit) >= depth:
            if unit[0] == "model_list":
                return keyed_pointer(("model_list", str(index), *unit[2:]))
            return keyed_pointer((*unit[:2], str(index), *unit[2:]))
    if unit[0] == "model_list":
        return "/model_list"
    return keyed_pointer(unit)


def runtime_view(compiled: dict[str, Any], runtime: dict[str, Any]) -> dict[str, Any]:
    """The compiled config as far as the running proxy shows it: no keys (it never returns
    them), the litellm_params it reports, and the router settings it reports."""
    deployments = []
    for entry in compiled.get("model_list") or []:
        params = entry.get("litellm_params") or {}
        deployments.append({**entry, "litellm_params": {k: params[k] for k in RUNTIME_PARAMS
                                                        if k in params}})
    reported = runtime.get("router_settings") or {}
    router = {k: v for k, v in (compiled.get("router_settings") or {}).items() if k in reported}
    return {"model_list": deployments, "router_settings": router}


def runtime_live(runtime: dict[str, Any], compiled: dict[str, Any]) -> dict[str, Any]:
    """The running proxy's settings limited to the ones the SSOT sets (it reports dozens)."""
    router = runtime.get("router_settings") or {}
    wanted = compiled.get("router_settings") or {}
    return {"model_list": runtime.get("model_list") or [],
            "router_settings": {k: v for k, v in router.items() if k in wanted}}


def unkeyed(data: dict[str, Any]) -> dict[str, Any]:
    """A keyed config back in the file's shape (lists of deployments and of fallbacks)."""
    out = dict(data)
    if isinstance(out.get("model_list"), dict):
        out["model_list"] = list(out["model_list"].values())
    router = out.get("router_settings")
    if isinstance(router, dict):
        router = dict(router)
        for key in _FALLBACK_KEYS:
            if isinstance(router.get(key), dict):
                router[key] = [{group: chain} for group, chain in router[key].items()]
        out["router_settings"] = router
    return out


def set_at(data: dict[str, Any], unit: tuple[str, ...], value: Any) -> None:
    """Put `value` at a keyed unit (MISSING removes it)."""
    node = data
    for token in unit[:-1]:
        child = node.get(token)
        if not isinstance(child, dict):
            if value is MISSING:
                return
            child = {}
        node[token] = dict(child)
        node = node[token]
    if value is MISSING:
        node.pop(unit[-1], None)
    else:
        node[unit[-1]] = value


def value_at(data: dict[str, Any], unit: tuple[str, ...]) -> Any:
    return _at(data, unit)
