"""`gates route explain`: the decision, the rule that fired and why, and the fallback path.

Also the config source: by default the router config the SSOT compiles to, or any router config
file (`--ccr-config`, JSON5 like the router reads it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from spine_gates.ccr.compile import compile_ccr_config
from spine_gates.ccr.live import read_live_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.ccr.safety import ENV_REF, interpolate
from spine_gates.errors import InputError
from spine_gates.model.governance import load_model
from spine_gates.model.loader import read_json
from spine_gates.printable import visible_lines
from spine_gates.report.envelope import dumps
from spine_gates.routing.fallback import Failures, Outcome, registered_providers, resolve
from spine_gates.routing.slots import BOUND_NOTE, Decision, decide
from spine_gates.secrets.redact import register_secret


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    outcome: Outcome
    config_source: str

    def to_json(self) -> dict[str, Any]:
        outcome = asdict(self.outcome)
        outcome["model"] = self.outcome.model_ref
        return {
            "config": self.config_source,
            "rule": self.decision.rule,
            "reason": self.decision.reason,
            "scenario": self.decision.scenario,
            "target": self.decision.target,
            "tokens": self.decision.tokens,
            "tokens_exact": self.decision.tokens_exact,
            "steps": list(self.decision.steps),
            "notes": list(self.decision.notes),
            "outcome": outcome,
        }


def explain_request(body: dict[str, Any], config: dict[str, Any],
                    failures: Failures | None = None, *, custom_route: str | None = None,
                    supports_fallback: bool = True, source: str = "",
                    exact_tokens: bool = True) -> Explanation:
    """Decide and resolve one request: the whole prediction in one call."""
    decision = decide(body, config, custom_route=custom_route, exact_tokens=exact_tokens)
    outcome = resolve(decision, config, failures, supports_fallback=supports_fallback)
    return Explanation(decision, outcome, source)


def load_request(path: str) -> dict[str, Any]:
    """An Anthropic Messages body from a JSON file; bad JSON is exit 3 with its line."""

    body = read_json(Path(path), path)
    if not isinstance(body, dict):
        raise InputError("an Anthropic Messages request must be a JSON object", path, 1)
    return body


def load_router_config(path: str | None, root: Path | None,
                       profile_name: str | None = None) -> tuple[dict[str, Any], str, bool]:
    """(config, where it came from, whether fallback is honoured).

    A path is read as the router reads it (JSON5); otherwise the SSOT at `root` is compiled.
    """

    profile = get_profile(profile_name)
    if path:

        live = read_live_config(Path(path).expanduser(), path)
        data = live.data
        if profile.interpolates_router and isinstance(data.get("Router"), dict):
            data = {**data, "Router": _interpolated_router(data)}
        return data, path, profile.supports_fallback

    if root is None:
        raise InputError("no spine root and no --ccr-config")
    return (compile_ccr_config(load_model(root), profile), f"compiled from {root}",
            profile.supports_fallback)


def _interpolated_router(config: dict[str, Any]) -> dict[str, Any]:
    """Router values as 1.0 routes them: `$NAME` / `${NAME}` filled from the environment.

    A filled value is shown in every explanation. One that names a provider the config registers
    is a route (config data, as visible as the config itself); any other value came from an
    environment variable that may hold anything, a key included, so it is registered with the
    redaction service and appears only as a fingerprint."""
    import os


    names = registered_providers(config)
    router: dict[str, Any] = {}
    for key, value in config["Router"].items():
        if not isinstance(value, str):
            router[key] = value
            continue
        filled = interpolate(value, os.environ)
        if filled != value and filled.partition(",")[0] not in names:
            for match in ENV_REF.finditer(value):
                register_secret(os.environ.get(match.group(1) or match.group(2)) or "")
        router[key] = filled
    return router


def render_text(explanation: Explanation) -> str:
    """The operator's view: rule, why, target, then each upstream call and the result."""
    d, o = explanation.decision, explanation.outcome
    lines = [f"config:   {explanation.config_source}"]
    if d.tokens is not None and d.tokens_exact:
        lines.append(f"tokens:   {d.tokens} (cl100k_base, the router's count)")
    elif d.tokens is not None:
        lines.append(f"tokens:   at most {d.tokens} (UTF-8 bytes, below the threshold: "
                     "not counted)")
    lines.append(f"rule:     {d.rule} -> scenario {d.scenario}")
    lines.append(f"why:      {d.reason}")
    lines.append(f"target:   {d.target or '(none)'}")
    for note in d.notes:
        if note != BOUND_NOTE:  # the tokens line says it
            lines.append(f"note:     {note}")
    lines.append("trace:")
    for step in d.steps:
        lines.append(f"  - {step}")
    for attempt in o.attempts:
        status = attempt.status if attempt.status is not None else "no HTTP status"
        lines.append(f"  * {attempt.role}: {attempt.provider},{attempt.model} "
                     f"[{attempt.state}] -> {status} {attempt.result}")
    if o.answered_by:
        served = "primary" if o.served_by == 0 else f"fallback {o.served_by}"
        lines.append(f"answer:   HTTP {o.status} from {o.answered_by[0]},{o.answered_by[1]} "
                     f"({served})")
    else:
        lines.append(f"answer:   HTTP {o.status}, no model answers")
        lines.append(f"error:    {json.dumps(o.error, sort_keys=True)}")
    lines.append(f"summary:  {o.explanation}")
    return visible_lines(lines)


def render_json(explanation: Explanation) -> str:
    return dumps(explanation.to_json())
