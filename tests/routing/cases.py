"""The shared differential table: each case goes through the real router and the evaluator.

A case names a router config (`main`, `sparse`, `custom`), a request body, the injected provider
states (evaluator syntax; the fake upstream is told the same), and the rule the case exercises
(so the table provably covers every rule). Expected upstream calls and client status are not
written here: the real router decides them and the evaluator must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

THRESHOLD = 1000
API_KEY = "routing-test-client-key"
CUSTOM_ROUTER_JS = """module.exports = async function router(req, config) {
  const last = req.body.messages[req.body.messages.length - 1];
  if (typeof last.content === "string" && last.content.includes("route-me")) {
    return "delta,d-fb2";
  }
  return null;
};
"""


def _providers(url: Callable[[str], str], names: list[tuple[str, list[str], bool]]
               ) -> list[dict[str, Any]]:
    out = []
    for name, models, keyed in names:
        entry: dict[str, Any] = {"name": name, "api_base_url": url(name), "models": models}
        if keyed:
            entry["api_key"] = f"fake-{name.lower()}-upstream-key"
        out.append(entry)
    return out


def build_config(kind: str, url: Callable[[str], str], port: int,
                 custom_router_path: str = "") -> dict[str, Any]:
    """The router config of one kind, pointed at the fake upstream."""
    base: dict[str, Any] = {"HOST": "127.0.0.1", "PORT": port, "APIKEY": API_KEY,
                            "LOG": False, "LOG_LEVEL": "warn"}
    if kind == "main":
        base["API_TIMEOUT_MS"] = 300  # measured: 2.0.0 does not apply it to upstream calls
        base["Providers"] = _providers(url, [
            ("alpha", ["a-default", "a-think", "A-Mixed"], True),
            ("Beta", ["b-model"], True),
            ("gamma", ["g-bg", "g-long", "g-web", "g-img"], True),
            ("delta", ["d-fb1", "d-fb2"], True),
            ("nokey", ["n-1"], False),
        ])
        base["Router"] = {"default": "alpha,a-default", "think": "alpha,a-think",
                          "background": "gamma,g-bg", "longContext": "gamma,g-long",
                          "longContextThreshold": THRESHOLD, "webSearch": "gamma,g-web",
                          "image": "gamma,g-img"}
        base["fallback"] = {"default": ["delta,d-fb1", "alpha,a-think"],
                            "think": ["Beta,b-model", "delta,d-fb2"],
                            "background": ["nokey,n-1", "delta,d-fb1"],
                            "webSearch": ["delta,d-fb2"]}
    elif kind == "sparse":
        base["Providers"] = _providers(url, [("alpha", ["a-default"], True),
                                             ("delta", ["d-fb1"], True)])
        base["Router"] = {"default": "alpha,a-default"}
    elif kind == "custom":
        base["Providers"] = _providers(url, [("alpha", ["a-default", "a-think"], True),
                                             ("delta", ["d-fb1", "d-fb2"], True)])
        base["Router"] = {"default": "alpha,a-default", "think": "alpha,a-think"}
        base["fallback"] = {"default": ["alpha,a-think"]}
        base["CUSTOM_ROUTER_PATH"] = custom_router_path
    else:
        raise ValueError(kind)
    return base


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def exact_tokens(n: int) -> str:
    """A text of exactly n cl100k tokens (' hello' is one token each)."""
    from spine_gates.routing.tokens import count_text

    text = "hello" + " hello" * (n - 1)
    assert count_text(text) == n
    return text


IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlE"
                                             "QVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}
SONNET = "claude-sonnet-4-5"
HAIKU = "claude-3-5-haiku-20241022"
WEB = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]
TAG = "<CCR-SUBAGENT-MODEL>delta,d-fb1</CCR-SUBAGENT-MODEL>"


@dataclass(frozen=True)
class Case:
    id: str
    config: str
    rule: str
    body: dict[str, Any]
    fail: dict[str, str] = field(default_factory=dict)
    custom_route: str | None = None
    delay: dict[str, float] = field(default_factory=dict)  # slow but successful upstreams


def _body(model: str = SONNET, text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [user(text)], **extra}


def cases() -> list[Case]:
    """The table (built lazily: the long-context texts need the tokenizer)."""
    over = exact_tokens(THRESHOLD + 1)
    at = exact_tokens(THRESHOLD)
    system_heavy = exact_tokens(700)
    schema_heavy = {"type": "object", "properties": {
        f"field_{i}": {"type": "string", "description": "a value"} for i in range(60)}}
    return [
        Case("default-plain", "main", "default", _body()),
        Case("think-enabled", "main", "think",
             _body(thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("think-disabled-object-still-think", "main", "think",
             _body(thinking={"type": "disabled"})),
        Case("background-claude-haiku", "main", "background", _body(HAIKU)),
        Case("haiku-without-claude-is-default", "main", "default", _body("haiku-lite")),
        Case("background-beats-think", "main", "background",
             _body(HAIKU, thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("websearch-tool", "main", "webSearch", _body(tools=WEB)),
        Case("websearch-beats-think", "main", "webSearch",
             _body(tools=WEB, thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("background-beats-websearch", "main", "background", _body(HAIKU, tools=WEB)),
        Case("long-context-one-over-threshold", "main", "longContext", _body(text=over)),
        Case("long-context-exactly-threshold-is-not-long", "main", "default", _body(text=at)),
        Case("long-context-counts-system-and-tool-schemas", "main", "longContext",
             {"model": SONNET, "messages": [user("short question")],
              "system": [{"type": "text", "text": system_heavy}],
              "tools": [{"name": "lookup", "description": "Look a record up.",
                         "input_schema": schema_heavy}]}),
        Case("long-context-beats-background-and-think", "main", "longContext",
             _body(HAIKU, text=over, thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("image-on-last-message", "main", "image",
             {"model": SONNET, "messages": [{"role": "user", "content": [
                 {"type": "text", "text": "what is this"}, IMAGE]}]}),
        Case("image-not-on-last-message-is-ignored", "main", "default",
             {"model": SONNET, "messages": [
                 {"role": "user", "content": [{"type": "text", "text": "look"}, IMAGE]},
                 {"role": "assistant", "content": "a pixel"}, user("thanks")]}),
        Case("image-inside-tool-result-on-last-message", "main", "image",
             {"model": SONNET, "messages": [
                 user("read the screenshot"),
                 {"role": "assistant", "content": [{"type": "tool_use", "id": "t1",
                                                    "name": "read", "input": {"p": "a.png"}}]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                               "content": [IMAGE]}]}]}),
        Case("explicit-provider-model", "main", "explicit", _body("alpha,a-think")),
        Case("explicit-beats-haiku-and-long-context", "main", "explicit",
             _body("delta,d-fb2", text=over)),
        Case("explicit-request-provider-case-sensitive-404", "main", "explicit",
             _body("Alpha,a-default")),
        Case("explicit-lowercase-matches-uppercase-config-name", "main", "explicit",
             _body("beta,b-model")),
        Case("explicit-exact-uppercase-name-still-found", "main", "explicit",
             _body("Beta,b-model")),
        Case("explicit-unlisted-model-forwarded", "main", "explicit", _body("alpha,not-listed")),
        Case("explicit-model-gets-configured-spelling", "main", "explicit",
             _body("alpha,a-mixed")),
        Case("explicit-keyless-provider-dropped-404", "main", "explicit", _body("nokey,n-1")),
        Case("subagent-tag-in-system-1", "main", "subagent",
             {**_body(thinking={"type": "enabled", "budget_tokens": 1024}),
              "system": [{"type": "text", "text": "You are Claude Code."},
                         {"type": "text", "text": TAG + "You are a subagent."}]}),
        Case("subagent-tag-in-system-1-of-three", "main", "subagent",
             {**_body(), "system": [{"type": "text", "text": "main"},
                                    {"type": "text", "text": TAG + "sub"},
                                    {"type": "text", "text": "last"}]}),
        Case("subagent-tag-in-system-2-ignored", "main", "default",
             {**_body(), "system": [{"type": "text", "text": "main"},
                                    {"type": "text", "text": "second"},
                                    {"type": "text", "text": TAG + "third"}]}),
        Case("subagent-tag-in-system-0-ignored", "main", "default",
             {**_body(), "system": [{"type": "text", "text": TAG + "x"},
                                    {"type": "text", "text": "second"}]}),
        Case("subagent-tag-not-at-start-ignored", "main", "default",
             {**_body(), "system": [{"type": "text", "text": "first"},
                                    {"type": "text", "text": "note: " + TAG}]}),
        Case("subagent-tag-in-user-message-ignored", "main", "default",
             _body(text=TAG + "do it")),
        Case("special-token-text-throws-to-default", "main", "exception",
             _body(text="end <|endoftext|> here",
                   thinking={"type": "enabled", "budget_tokens": 1024})),
        # bodies the router middleware survives (it routes them to default) but its request
        # converter does not: HTTP 500, no upstream call, no fallback
        Case("null-tool-converter-500", "main", "exception",
             _body(tools=[None], thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("null-tool-explicit-route-is-lost-converter-500", "main", "exception",
             _body("delta,d-fb2", tools=[None])),
        Case("null-assistant-part-converter-500", "main", "exception",
             {"model": SONNET, "messages": [user("a"), {"role": "assistant", "content": [None]},
                                            user("b")]}),
        Case("null-system-entry-converter-500", "main", "exception",
             {**_body(), "system": [None, {"type": "text", "text": "x"}]}),
        Case("null-message-image-agent-throws", "main", "hook-error",
             {"model": SONNET, "messages": [None, user("hi")]}),
        Case("null-part-before-image-agent-throws", "main", "hook-error",
             {"model": SONNET, "messages": [{"role": "user", "content": [None, IMAGE]}]}),
        Case("last-message-not-an-object-is-not-an-error", "main", "think",
             {"model": SONNET, "messages": [user("hi"), 5],
              "thinking": {"type": "enabled", "budget_tokens": 1024}}),
        Case("default-429-first-fallback-answers", "main", "default", _body(),
             fail={"alpha/a-default": "http_429"}),
        Case("default-500-then-500-second-fallback-answers", "main", "default", _body(),
             fail={"alpha/a-default": "http_5xx", "delta/d-fb1": "http_5xx"}),
        Case("default-all-fail-client-gets-primary-status", "main", "default", _body(),
             fail={"alpha/a-default": "http_429", "delta/d-fb1": "http_5xx",
                   "alpha/a-think": "http_4xx"}),
        Case("think-400-falls-back-to-uppercase-provider", "main", "think",
             _body(thinking={"type": "enabled", "budget_tokens": 1024}),
             fail={"alpha/a-think": "http_4xx"}),
        Case("background-fallback-skips-unregistered-provider", "main", "background",
             _body(HAIKU), fail={"gamma/g-bg": "http_429"}),
        Case("long-context-without-fallback-list-fails", "main", "longContext",
             _body(text=over), fail={"gamma": "http_5xx"}),
        Case("websearch-quota-exhausted-falls-back", "main", "webSearch", _body(tools=WEB),
             fail={"gamma/g-web": "quota_exhausted"}),
        Case("connection-error-does-not-fall-back", "main", "default", _body(),
             fail={"alpha/a-default": "connection_error"}),
        Case("timeout-does-not-fall-back", "main", "default", _body(),
             fail={"alpha/a-default": "timeout"}),
        Case("fallback-connection-error-moves-on", "main", "default", _body(),
             fail={"alpha/a-default": "http_429", "delta/d-fb1": "connection_error"}),
        Case("image-failure-uses-default-fallback-list", "main", "image",
             {"model": SONNET, "messages": [{"role": "user", "content": [IMAGE]}]},
             fail={"gamma/g-img": "http_503"}),
        Case("explicit-failure-uses-default-fallback-list", "main", "explicit",
             _body("alpha,a-think"), fail={"alpha/a-think": "http_429"}),
        Case("subagent-failure-uses-default-fallback-list", "main", "subagent",
             {**_body(), "system": [{"type": "text", "text": "main"},
                                    {"type": "text", "text": TAG}]},
             fail={"delta": "http_5xx"}),
        Case("provider-wide-outage-hits-primary-and-fallback", "main", "default", _body(),
             fail={"alpha": "http_5xx", "delta": "http_429"}),
        Case("slow-upstream-answers-despite-api-timeout-ms", "main", "default", _body(),
             delay={"alpha/a-default": 1.0}),
        Case("sparse-think-unset-falls-through", "sparse", "default",
             _body(thinking={"type": "enabled", "budget_tokens": 1024})),
        Case("sparse-haiku-background-unset", "sparse", "default", _body(HAIKU)),
        Case("sparse-websearch-unset", "sparse", "default", _body(tools=WEB)),
        Case("sparse-default-threshold-60000", "sparse", "default", _body(text=over)),
        Case("sparse-image-unset", "sparse", "default",
             {"model": SONNET, "messages": [{"role": "user", "content": [IMAGE]}]}),
        Case("null-message-converter-500", "sparse", "exception",
             {"model": SONNET, "messages": [None, user("hi")]}),
        Case("null-user-part-converter-500", "sparse", "exception",
             {"model": SONNET, "messages": [{"role": "user", "content": [
                 None, {"type": "text", "text": "hi"}]}]}),
        Case("messages-object-converter-500", "sparse", "default",
             {"model": SONNET, "messages": {"role": "user", "content": "hi"},
              "thinking": {"type": "enabled", "budget_tokens": 1024}}),
        Case("sparse-no-fallback-list", "sparse", "default", _body(),
             fail={"alpha": "http_429"}),
        Case("custom-router-returns-model", "custom", "custom", _body(text="please route-me"),
             custom_route="delta,d-fb2"),
        Case("custom-router-failure-uses-default-list", "custom", "custom",
             _body(text="route-me now"), custom_route="delta,d-fb2",
             fail={"delta/d-fb2": "http_429"}),
        Case("custom-router-null-falls-through-to-think", "custom", "think",
             _body(thinking={"type": "enabled", "budget_tokens": 1024})),
    ]
