"""A router version profile: which config keys and routing features a version understands."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from spine_gates.model.schemas import CCR_SLOTS

_SCALARS: dict[str, tuple[type, ...]] = {
    "HOST": (str,),
    "PORT": (int, str),
    "APIKEY": (str,),
    "LOG": (bool,),
    "LOG_LEVEL": (str,),
    "API_TIMEOUT_MS": (int, str),
    "NON_INTERACTIVE_MODE": (bool,),
    "PROXY_URL": (str,),
    "CUSTOM_ROUTER_PATH": (str,),
}
_PROVIDER_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "api_base_url": (str,),
    "api_key": (str,),
    "models": (list,),
    "transformer": (dict,),
}


@dataclass(frozen=True)
class ShapeProblem:
    """A value of the wrong type: the router would misread or ignore it."""

    pointer: str
    message: str


class CcrProfile(ABC):
    """One claude-code-router major version (config schema and routing features)."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The profile name used on the command line (`--profile 2.0`)."""

    @property
    @abstractmethod
    def package_version(self) -> str:
        """The npm version this profile was measured against."""

    @property
    @abstractmethod
    def supports_fallback(self) -> bool:
        """Whether a top-level `fallback` map is honoured."""

    # Top-level keys whose string values the router fills from its environment (`$NAME`,
    # `${NAME}`); None: every string in the config (measured on 1.0.73).
    interpolated_keys: tuple[str, ...] | None = ("Providers", "HOST", "PORT", "APIKEY")
    # Where the router binds when the config lists no providers (2.0.0 ignores HOST then).
    no_providers_bind = "0.0.0.0"

    @property
    def interpolates_router(self) -> bool:
        """Whether `Router` values like `$DEFAULT_ROUTE` are filled from the environment."""
        return self.interpolated_keys is None or "Router" in self.interpolated_keys

    # Scenarios a fallback list can be keyed by (image is not a scenario of its own).
    fallback_scenarios: tuple[str, ...] = tuple(s for s in CCR_SLOTS if s != "image")

    def shape_problems(self, config: dict[str, Any]) -> list[ShapeProblem]:
        """Wrong types in a parsed config, each with the JSON pointer of the bad value."""
        problems: list[ShapeProblem] = []
        for key, types in _SCALARS.items():
            if key in config and not isinstance(config[key], types):
                problems.append(ShapeProblem(f"/{key}", _expected(key, types, config[key])))
        providers = config.get("Providers")
        if "Providers" in config and not isinstance(providers, list):
            problems.append(ShapeProblem("/Providers", _expected("Providers", (list,), providers)))
        for index, provider in enumerate(providers if isinstance(providers, list) else []):
            pointer = f"/Providers/{index}"
            if not isinstance(provider, dict):
                problems.append(ShapeProblem(pointer, _expected(f"Providers[{index}]", (dict,),
                                                                provider)))
                continue
            for field, types in _PROVIDER_FIELDS.items():
                if field in provider and not isinstance(provider[field], types):
                    problems.append(ShapeProblem(f"{pointer}/{field}", _expected(
                        f"Providers[{index}].{field}", types, provider[field])))
            models = provider.get("models")
            if isinstance(models, list):
                for m_index, model in enumerate(models):
                    if not isinstance(model, str):
                        problems.append(ShapeProblem(f"{pointer}/models/{m_index}", _expected(
                            f"Providers[{index}].models[{m_index}]", (str,), model)))
        for section in ("Router", *(("fallback",) if self.supports_fallback else ())):
            value = config.get(section)
            if section in config and not isinstance(value, dict):
                problems.append(ShapeProblem(f"/{section}", _expected(section, (dict,), value)))
                continue
            for slot, target in (value or {}).items():
                if slot == "longContextThreshold":
                    if not isinstance(target, int | float) or isinstance(target, bool):
                        problems.append(ShapeProblem(f"/{section}/{slot}", _expected(
                            f"{section}.{slot}", (int,), target)))
                elif section == "Router" and not isinstance(target, str):
                    problems.append(ShapeProblem(f"/{section}/{slot}", _expected(
                        f"{section}.{slot}", (str,), target)))
                elif section == "fallback" and not (
                        isinstance(target, list) and all(isinstance(t, str) for t in target)):
                    problems.append(ShapeProblem(f"/{section}/{slot}", f"{section}.{slot} must "
                                                 "be a list of \"provider,model\" strings"))
        return problems


_TYPE_NAMES = {str: "a string", int: "a number", bool: "true or false", list: "a list",
               dict: "an object"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _expected(label: str, types: tuple[type, ...], value: Any) -> str:
    wanted = " or ".join(_TYPE_NAMES[t] for t in types)
    return f"{label} must be {wanted}, found {_json_type(value)}"
