"""claude-code-router 2.0's routing decision, rule by rule, in the router's own order.

`decide` returns which rule fired, why, the `provider,model` string the router puts in
`body.model`, and the fallback scenario; it never touches the network. The order and each quirk
(read from the 2.0.0 bundle and measured on loopback) are in docs/guides/routing.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from spine_gates.model.schemas import CCR_LONG_CONTEXT_DEFAULT as DEFAULT_THRESHOLD
from spine_gates.routing.tokens import TokenCountError, count_request_tokens, tokens_at_most

SUBAGENT_OPEN = "<CCR-SUBAGENT-MODEL>"
_SUBAGENT = re.compile(r"<CCR-SUBAGENT-MODEL>(.*?)</CCR-SUBAGENT-MODEL>", re.S)
RULES = ("image", "custom", "explicit", "longContext", "subagent", "background", "webSearch",
         "think", "default", "exception", "hook-error")


@dataclass(frozen=True)
class Decision:
    """What the router's pre-handlers decided before any upstream call."""

    rule: str  # one of RULES
    reason: str
    target: str | None  # the `provider,model` string in body.model (None: nothing configured)
    scenario: str  # the fallback key: default, think, background, longContext, webSearch
    tokens: int | None = None
    notes: tuple[str, ...] = ()
    hook_status: int | None = None  # a pre-handler threw: the client gets this, no upstream call
    steps: tuple[str, ...] = field(default=())
    # the request converter (Anthropic -> provider format) throws on this body: after routing,
    # the client gets HTTP 500 and no upstream is called (measured on 2.0.0 and 1.0.73)
    convert_error: str | None = None
    # False: `tokens` is the UTF-8 byte bound (the count cannot cross the threshold), not counted
    tokens_exact: bool = True

    @property
    def slot(self) -> str:
        """The Router slot whose value was used (`image` for the image rule, else the rule)."""
        return self.rule


def _truthy(value: Any) -> bool:
    if isinstance(value, dict | list):
        return True
    return bool(value)


def _threshold(router: dict[str, Any]) -> float:
    raw: Any = router.get("longContextThreshold")
    if not _truthy(raw):
        return DEFAULT_THRESHOLD
    if isinstance(raw, bool):
        return 1.0 if raw else DEFAULT_THRESHOLD
    try:
        return float(raw)
    except (TypeError, ValueError):
        return float("nan")


class _RouterError(Exception):
    """The router middleware threw: it catches this and uses Router.default."""


BOUND_NOTE = "token count bounded by the UTF-8 size, not computed"


def decide(body: dict[str, Any], config: dict[str, Any], *,
           custom_route: str | None = None, exact_tokens: bool = True) -> Decision:
    """The router's decision for one Anthropic Messages body under `config`.

    `custom_route` is what a CUSTOM_ROUTER_PATH module returns for this request (the module is
    JavaScript and is not run here); None means it returned nothing and the built-in rules apply.
    """
    decision = _decide(body, config, custom_route=custom_route, exact_tokens=exact_tokens)
    if BOUND_NOTE in decision.notes:
        decision = replace(decision, tokens_exact=False)
    if decision.hook_status is None:
        problem = conversion_error(body)
        if problem is not None:
            return replace(decision, convert_error=problem)
    return decision


class _JsTypeError(Exception):
    """What JavaScript throws reading a property of null or undefined."""


def _prop(value: Any, key: str, where: str) -> Any:
    """`value[key]` as JavaScript reads it: null/undefined throws, other non-objects give
    undefined (None)."""
    if value is None:
        raise _JsTypeError(f"{where} is null")
    return value.get(key) if isinstance(value, dict) else None


def _has_image(item: Any, where: str) -> bool:
    """The image agent's `item.type === "image" || item?.content?.some(s => s.type === ...)`."""
    if _prop(item, "type", where) == "image":
        return True
    inner = item.get("content") if isinstance(item, dict) else None
    return isinstance(inner, list) and any(_prop(sub, "type", f"{where}.content[{i}]") == "image"
                                           for i, sub in enumerate(inner))


def _image_agent(messages: Any, force: bool) -> bool:
    """Whether the image agent replaces body.model by Router.image (raises _JsTypeError where
    its pre-handler throws; `find`/`some` stop at the first match, as in JavaScript)."""
    if not isinstance(messages, list):
        raise _JsTypeError("body.messages is not an array")
    if not messages:
        raise _JsTypeError("the last message is undefined")
    last = messages[-1]
    if not force and _prop(last, "role", "the last message") == "user":
        content = last.get("content") if isinstance(last, dict) else None
        if isinstance(content, list) and any(_has_image(item, f"last message content[{i}]")
                                             for i, item in enumerate(content)):
            return True
    for index, message in enumerate(messages):  # the agent then scans every message
        if _prop(message, "role", f"messages[{index}]") != "user":
            continue
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(_has_image(item, f"messages[{index}].content[{i}]")
                                             for i, item in enumerate(content)):
            break
    return False


def conversion_error(body: dict[str, Any]) -> str | None:
    """Why the router's Anthropic-to-provider request converter throws on `body`, or None.

    The router middleware survives these bodies (it catches and routes to Router.default), but
    the converter that runs next does not: HTTP 500, no upstream call, no fallback. Measured on
    2.0.0 and 1.0.73 for every provider, the Anthropic-format one included."""
    system = body.get("system")
    if isinstance(system, list) and any(item is None for item in system):
        return "a system entry is null"
    messages = body.get("messages")
    if _truthy(messages) and not isinstance(messages, list):
        return "body.messages is not an array"
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        if message is None:
            return f"messages[{index}] is null"
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if message.get("role") in ("user", "assistant") and isinstance(content, list) and any(
                part is None for part in content):
            return f"messages[{index}].content holds null"
    tools = body.get("tools")
    if isinstance(tools, list) and any(tool is None for tool in tools):
        return "a tool is null"
    if isinstance(tools, str) and tools:
        return "body.tools is a string"
    return None


def _decide(body: dict[str, Any], config: dict[str, Any], *,
            custom_route: str | None, exact_tokens: bool) -> Decision:
    router: dict[str, Any] = config["Router"] if isinstance(config.get("Router"), dict) else {}
    steps: list[str] = []
    notes: list[str] = []
    model = body.get("model")

    image_target = router.get("image")
    if _truthy(image_target) and model != image_target:
        try:
            use_image = _image_agent(body.get("messages"),
                                     bool(config.get("forceUseImageAgent")))
        except _JsTypeError as exc:
            return Decision("hook-error", f"Router.image is set and the image agent's "
                            f"pre-handler throws ({exc})", None, "default", hook_status=500,
                            steps=("image: pre-handler error",))
        if config.get("forceUseImageAgent"):
            notes.append("forceUseImageAgent is set: the image agent (tool calls) is not modelled")
            steps.append("image: forceUseImageAgent, model unchanged")
        elif use_image:
            steps.append("image: last message is a user message with an image block")
            model = image_target
            body = {**body, "model": image_target}
            notes.append("image: body.model was replaced by Router.image, which the explicit "
                         "provider,model rule then resolves (fallback scenario: default)")
        else:
            steps.append("image: last message carries no image block")
    elif _truthy(image_target):
        steps.append("image: body.model already equals Router.image")
    else:
        steps.append("image: Router.image not set")

    metadata = body.get("metadata")
    if isinstance(metadata, dict) and _truthy(metadata.get("user_id")):
        user_id = metadata["user_id"]
        if not isinstance(user_id, str):
            return Decision("hook-error", "metadata.user_id is not a string; the router's "
                            "session lookup throws", None, "default", hook_status=500,
                            steps=(*steps, "session: metadata.user_id.split throws"))
        if "_session_" in user_id:
            notes.append("metadata.user_id names a session: the router may also apply the "
                         "previous response's input_tokens (long context) and a per-project "
                         "Router override, which depend on its runtime state")

    try:
        if not isinstance(model, str):
            raise _RouterError("body.model is not a string")
        try:
            if exact_tokens:
                tokens, exact = count_request_tokens(body), True
            else:
                tokens, exact = tokens_at_most(body, _threshold(router))
        except TokenCountError as exc:
            raise _RouterError(f"token counting failed: {exc}") from None
        steps.append(f"tokens: {tokens} (cl100k_base)" if exact else
                     f"tokens: at most {tokens} (UTF-8 bytes; not above the threshold)")
        if not exact:
            notes.append(BOUND_NOTE)
        if custom_route is not None and config.get("CUSTOM_ROUTER_PATH"):
            return Decision("custom", f"CUSTOM_ROUTER_PATH returned {custom_route!r} (used "
                            "verbatim)", custom_route, "default", tokens, tuple(notes),
                            steps=(*steps, "custom: returned a model"))
        if config.get("CUSTOM_ROUTER_PATH"):
            notes.append("CUSTOM_ROUTER_PATH is set and runs first; assumed to return nothing "
                         "(pass the route it returns to model it)")
            steps.append("custom: assumed to return nothing")
        return _builtin(body, model, router, config, tokens, steps, notes)
    except _RouterError as exc:
        default = router.get("default")
        return Decision("exception", f"the router middleware threw ({exc}); it falls back to "
                        "Router.default", default if _truthy(default) else None, "default",
                        None, tuple(notes), steps=(*steps, f"exception: {exc}"))


def _builtin(body: dict[str, Any], model: str, router: dict[str, Any], config: dict[str, Any],
             tokens: int, steps: list[str], notes: list[str]) -> Decision:
    if "," in model:
        providers = config.get("Providers") or config.get("providers") or []
        req_provider, req_model = model.split(",")[:2]
        match = next((p for p in providers if isinstance(p, dict)
                      and str(p.get("name", "")).lower() == req_provider), None)
        listed = None
        if match is not None:
            listed = next((m for m in match.get("models") or []
                           if isinstance(m, str) and m.lower() == req_model), None)
        if match is not None and listed is not None:
            target = f"{match['name']},{listed}"
            why = f"body.model {model!r} names a configured provider and model; sent as {target!r}"
        else:
            target = model
            why = (f"body.model {model!r} contains a comma; no configured provider/model pair "
                   "matched (provider names are lower-cased, the request's are not), so it is "
                   "forwarded as written")
        rule = "image" if body.get("model") == router.get("image") and any(
            n.startswith("image:") for n in notes) else "explicit"
        return Decision(rule, why, target, "default", tokens, tuple(notes),
                        steps=(*steps, "explicit: body.model contains ','"))
    steps.append("explicit: no ',' in body.model")

    threshold = _threshold(router)
    if tokens > threshold and _truthy(router.get("longContext")):
        return Decision("longContext", f"{tokens} tokens > longContextThreshold "
                        f"{threshold:g}", router["longContext"], "longContext", tokens,
                        tuple(notes), steps=(*steps, "longContext: over the threshold"))
    bound = "at most " if BOUND_NOTE in notes else ""
    steps.append(f"longContext: {bound}{tokens} tokens, threshold {threshold:g}"
                 + ("" if _truthy(router.get("longContext")) else ", slot not set"))

    system = body.get("system")
    if isinstance(system, list | str) and len(system) > 1:
        second = system[1] if isinstance(system, list) else None
        text = second.get("text") if isinstance(second, dict) else None
        if text is not None and not isinstance(text, str):
            raise _RouterError("system[1].text is not a string")
        if isinstance(text, str) and text.startswith(SUBAGENT_OPEN):
            found = _SUBAGENT.search(text)
            if found:
                return Decision("subagent", "system[1].text starts with a "
                                f"<CCR-SUBAGENT-MODEL> tag naming {found.group(1)!r}",
                                found.group(1), "default", tokens, tuple(notes),
                                steps=(*steps, "subagent: tag at the start of system[1]"))
    steps.append("subagent: no tag at the start of system[1].text")

    if "claude" in model and "haiku" in model and _truthy(router.get("background")):
        return Decision("background", f"body.model {model!r} contains 'claude' and 'haiku'",
                        router["background"], "background", tokens, tuple(notes),
                        steps=(*steps, "background: claude+haiku model"))
    steps.append("background: not a claude haiku model" if not ("claude" in model and "haiku"
                 in model) else "background: slot not set")

    tools = body.get("tools")
    if isinstance(tools, list):
        for tool in tools:
            if tool is None:
                raise _RouterError("a tool is null")
            kind = tool.get("type") if isinstance(tool, dict) else None
            if kind is None:
                continue
            if not isinstance(kind, str):
                raise _RouterError("tool.type is not a string")
            if kind.startswith("web_search"):
                if _truthy(router.get("webSearch")):
                    return Decision("webSearch", f"tool type {kind!r} starts with 'web_search'",
                                    router["webSearch"], "webSearch", tokens, tuple(notes),
                                    steps=(*steps, "webSearch: web_search tool"))
                break
    steps.append("webSearch: no web_search tool or slot not set")

    if _truthy(body.get("thinking")) and _truthy(router.get("think")):
        return Decision("think", "body.thinking is set (any truthy value selects think, even "
                        "{\"type\": \"disabled\"})", router["think"], "think", tokens,
                        tuple(notes), steps=(*steps, "think: body.thinking truthy"))
    steps.append("think: no thinking or slot not set")

    default = router.get("default")
    return Decision("default", "no earlier rule fired", default if _truthy(default) else None,
                    "default", tokens, tuple(notes), steps=(*steps, "default"))
