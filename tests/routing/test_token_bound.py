"""The byte-bound shortcut never changes a decision, and never under-counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spine_gates.routing.slots import decide
from spine_gates.routing.tokens import count_request_tokens, tokens_at_most

CONFIG = {"Providers": [{"name": "p", "api_base_url": "http://127.0.0.1:9/x", "api_key": "k",
                        "models": ["m", "long"]}],
          "Router": {"default": "p,m", "longContext": "p,long", "think": "p,m"}}
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(texts, min_size=1, max_size=6), threshold=st.integers(0, 400),
       thinking=st.booleans())
def test_bounded_and_exact_decisions_agree(parts: list[str], threshold: int,
                                           thinking: bool) -> None:
    body = {"model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": [{"type": "text", "text": t}
                                                      for t in parts]}]}
    if thinking:
        body["thinking"] = {"type": "enabled"}
    config = {**CONFIG, "Router": {**CONFIG["Router"], "longContextThreshold": threshold}}
    exact = decide(body, config)
    bounded = decide(body, config, exact_tokens=False)
    assert (exact.rule, exact.target) == (bounded.rule, bounded.target)
    if exact.rule != "exception":
        count, is_exact = tokens_at_most(body, threshold)
        assert count >= count_request_tokens(body)
        assert is_exact or count <= threshold


def test_the_known_special_tokens_are_the_encodings() -> None:
    from spine_gates.routing.tokens import CL100K_SPECIAL, _encoding

    assert set(_encoding().special_tokens_set) == CL100K_SPECIAL


def test_a_byte_length_equal_to_the_limit_skips_the_exact_count() -> None:
    """The shortcut holds at the boundary: N bytes cannot be more than N tokens."""
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "héllo wörld"}]}
    size = len("héllo wörld".encode())
    assert tokens_at_most(body, size) == (size, False)
    assert tokens_at_most(body, size - 1) == (count_request_tokens(body), True)
