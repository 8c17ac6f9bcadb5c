"""Drive the real claude-code-router and the evaluator with the same case, side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.routing.explain import Explanation
from tests.ccr.ccr_fakes import Router, ccr_binary, free_port
from tests.routing.cases import API_KEY, CUSTOM_ROUTER_JS, Case, build_config
from tests.routing.upstream import Behaviour, RoutingUpstream

QUOTA_BODY = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                        "code": "insufficient_quota"}}


def behaviour_for(state: str) -> Behaviour:
    """The fake upstream's behaviour for an evaluator provider state."""
    if state == "ok":
        return Behaviour()
    if state == "quota_exhausted":
        return Behaviour(429, body=QUOTA_BODY)
    if state == "http_429":
        return Behaviour(429)
    if state == "http_5xx":
        return Behaviour(500)
    if state == "http_4xx":
        return Behaviour(400)
    if state.startswith("http_"):
        return Behaviour(int(state[5:]))
    if state == "connection_error":
        return Behaviour(close=True)
    if state == "timeout":
        return Behaviour(close=True, delay=1.0)  # hangs, then the socket dies without a reply
    raise ValueError(state)


@dataclass
class RouterResult:
    status: int
    body: dict[str, Any]
    calls: list[tuple[str, str, int | None]]

    @property
    def answer(self) -> str | None:
        content = self.body.get("content") if isinstance(self.body, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text":
                    text = str(part.get("text", ""))
                    if text.startswith("answer from "):
                        return text.removeprefix("answer from ")
        return None


class RouterPool:
    """One real router at a time (each ~150 MB), restarted only when the config kind changes.

    `version` picks the router package (a key of ccr_fakes.PACKAGES: "2.0" or "1.0")."""

    def __init__(self, base: Path, upstream: RoutingUpstream, version: str = "2.0") -> None:
        ccr_binary(version)  # fails, never skips, when the pinned router is missing
        self.version = version
        self.base = base
        self.upstream = upstream
        self.kind: str | None = None
        self.router: Router | None = None
        self.configs: dict[str, dict[str, Any]] = {}

    def config(self, kind: str) -> dict[str, Any]:
        if kind not in self.configs:
            home = self.base / kind
            (home / ".claude-code-router").mkdir(parents=True, exist_ok=True)
            custom = home / "custom-router.js"
            custom.write_text(CUSTOM_ROUTER_JS)
            self.configs[kind] = build_config(kind, self.upstream.url_for, free_port(),
                                              str(custom))
        return self.configs[kind]

    def get(self, kind: str) -> Router:
        if self.kind == kind and self.router is not None:
            return self.router
        self.stop()
        config = self.config(kind)
        home = self.base / kind
        (home / ".claude-code-router" / "config.json").write_text(json.dumps(config, indent=2))
        self.router = Router(home, int(config["PORT"]), {}, version=self.version).start()
        self.kind = kind
        return self.router

    def run(self, case: Case) -> RouterResult:
        router = self.get(case.config)
        behaviours = {key: behaviour_for(state) for key, state in case.fail.items()}
        for key, seconds in case.delay.items():
            behaviours[key] = Behaviour(delay=seconds)
        self.upstream.configure(behaviours)
        status, body = router.message(case.body, API_KEY)
        calls = [(c.provider, c.model, c.status) for c in self.upstream.take()]
        return RouterResult(status, body, calls)

    def stop(self) -> None:
        if self.router is not None:
            self.router.stop()
            self.router = None
            self.kind = None


def pool(base: Path, version: str = "2.0") -> Iterator[RouterPool]:
    """A fake upstream and a RouterPool of one router version; both stopped at the end."""
    upstream = RoutingUpstream().start()
    routers = RouterPool(base, upstream, version)
    try:
        yield routers
    finally:
        routers.stop()
        upstream.stop()


def assert_agrees(predicted: Explanation, real: RouterResult) -> None:
    """The evaluator's upstream calls, the client's status, the answering model and (when no
    model answers) the error code are what the real router did."""
    expected = [(a.provider, a.model) for a in predicted.outcome.attempts if a.result != "skipped"]
    assert [(p, m) for p, m, _ in real.calls] == expected, (real.calls, predicted.to_json())
    assert real.status == predicted.outcome.status, (real.body, predicted.to_json())
    answered = predicted.outcome.answered_by
    assert real.answer == (f"{answered[0]},{answered[1]}" if answered else None), real.body
    if answered is None and predicted.outcome.attempts:
        code = real.body.get("error", {}).get("code") if isinstance(real.body, dict) else None
        assert predicted.outcome.error is not None, predicted.to_json()
        assert code == predicted.outcome.error["error"]["code"], real.body
