"""The evaluator against the real claude-code-router 2.0.0: same requests, same failures.

Every case of the shared table goes through the real router (in front of a fake upstream on
loopback) and through the evaluator; the upstream calls, the answering model and the client's
HTTP status must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_gates.routing.explain import explain_request
from spine_gates.routing.fallback import Failures
from spine_gates.routing.slots import RULES
from tests.routing.cases import Case, cases
from tests.routing.harness import RouterPool, pool

CASES = cases()


@pytest.fixture(scope="module")
def routers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouterPool]:
    yield from pool(Path(tmp_path_factory.mktemp("routing-diff")))


def test_table_covers_every_rule_and_failure_kind() -> None:
    assert len(CASES) >= 30
    rules = {case.rule for case in CASES}
    assert set(RULES) - {"hook-error"} <= rules
    states = {state for case in CASES for state in case.fail.values()}
    assert {"http_429", "http_5xx", "http_4xx", "timeout", "connection_error",
            "quota_exhausted"} <= states


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_evaluator_agrees_with_the_real_router(case: Case, routers: RouterPool) -> None:
    config = routers.config(case.config)
    predicted = explain_request(case.body, config, Failures.from_mapping(case.fail),
                                custom_route=case.custom_route)
    assert predicted.decision.rule == case.rule, predicted.decision.reason
    bounded = explain_request(case.body, config, Failures.from_mapping(case.fail),
                              custom_route=case.custom_route, exact_tokens=False)
    assert (bounded.decision.rule, bounded.decision.target, bounded.outcome) == (
        predicted.decision.rule, predicted.decision.target, predicted.outcome)

    real = routers.run(case)

    expected_calls = [(a.provider, a.model) for a in predicted.outcome.attempts
                      if a.result != "skipped"]
    assert [(p, m) for p, m, _ in real.calls] == expected_calls, (real.calls, predicted.to_json())
    assert real.status == predicted.outcome.status, (real.body, predicted.to_json())
    answered = predicted.outcome.answered_by
    assert real.answer == (f"{answered[0]},{answered[1]}" if answered else None), real.body
    if answered is None and predicted.outcome.attempts:
        code = real.body.get("error", {}).get("code") if isinstance(real.body, dict) else None
        assert code == predicted.outcome.error["error"]["code"], real.body


TOKEN_BODIES = [
    {"messages": [{"role": "user", "content": "héllo wörld — ünïcode ✓ 你好 🙂"}]},
    {"system": "a plain string system prompt", "messages": [{"role": "user", "content": "x"}]},
    {"system": [{"type": "text", "text": "You are Claude Code."},
                {"type": "text", "text": "Be brief.\n\n  indented\tTabs"}],
     "messages": [{"role": "user", "content": [{"type": "text", "text": "two"},
                                               {"type": "text", "text": "parts"}]}]},
    {"messages": [
        {"role": "user", "content": "read it"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "not counted", "signature": "s"},
            {"type": "tool_use", "id": "t", "name": "read",
             "input": {"path": "/tmp/a b.txt", "n": 1.0, "deep": {"list": [1, 2.5, None, True]}}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t", "content": "file body\nline 2"},
            {"type": "tool_result", "tool_use_id": "t",
             "content": [{"type": "text", "text": "nested"}]}]}]},
    {"messages": [{"role": "user", "content": "q"}],
     "tools": [{"name": "search", "description": "Search the web.",
                "input_schema": {"type": "object", "properties": {"q": {"type": "string"}},
                                 "required": ["q"]}},
               {"name": "nodesc", "input_schema": {"type": "object"}},
               {"type": "web_search_20250305", "name": "web_search"}]},
]


@pytest.mark.parametrize("index", range(len(TOKEN_BODIES)))
def test_token_count_matches_the_router(index: int, routers: RouterPool) -> None:
    from spine_gates.routing.tokens import count_request_tokens
    from tests.routing.cases import API_KEY

    body = {"model": "claude-sonnet-4-5", **TOKEN_BODIES[index]}
    router = routers.get(routers.kind or "main")
    assert count_request_tokens(body) == router.count_tokens(body, API_KEY)
