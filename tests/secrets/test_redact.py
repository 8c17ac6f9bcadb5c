"""The redaction service: known formats and registered values leave only as fingerprints."""

from __future__ import annotations

import hashlib

import pytest

from spine_gates.secrets.redact import (
    clear_registered,
    fingerprint,
    redact_text,
    register_secret,
)

ANTHROPIC = "sk-ant-api03-" + "Zq8xW2vB7nK4mP1tR6yU3sD9fG5hJ0lA"


@pytest.fixture(autouse=True)
def _fresh_registry():
    clear_registered()
    yield
    clear_registered()


def test_fingerprint_is_sha256_prefix():
    digest = hashlib.sha256(b"secret-value").hexdigest()[:8]
    assert fingerprint("secret-value") == f"sha256:{digest}"


def test_known_format_is_replaced_by_its_fingerprint():
    out = redact_text(f"key is {ANTHROPIC} here")
    assert ANTHROPIC not in out
    assert out == f"key is {fingerprint(ANTHROPIC)} here"


def test_bearer_keeps_the_scheme_and_hides_the_token():
    out = redact_text("Authorization: Bearer abc123def456ghi789")
    assert out == f"Authorization: Bearer {fingerprint('abc123def456ghi789')}"


def test_url_userinfo_and_query_credentials_are_hidden():
    out = redact_text("https://bob:pa55w0rd!@h.example/v1?api_key=q1w2e3r4t5&model=x")
    assert "pa55w0rd" not in out and "q1w2e3r4t5" not in out
    assert "https://bob:sha256:" in out and "&model=x" in out


def test_registered_value_is_scrubbed_even_without_a_known_format():
    register_secret("correct-horse-battery")
    out = redact_text('{"message": "value correct-horse-battery leaked"}')
    assert "correct-horse-battery" not in out
    assert fingerprint("correct-horse-battery") in out


def test_short_registered_values_are_ignored_to_keep_reports_readable():
    register_secret("abc")
    assert redact_text("abc abc") == "abc abc"


def test_references_and_fingerprints_are_left_alone():
    text = ("api_key_ref: infisical://spine/ai/providers/ANTHROPIC_API_KEY\n"
            "token: ${TOKEN}\napi_key: env:OPENAI_API_KEY\nsecret: sha256:0123abcd\n"
            "max_tokens: 8192 fingerprint 0123456789abcdef\n")
    assert redact_text(text) == text


def test_redaction_is_idempotent():
    once = redact_text(f"api_key: {ANTHROPIC} Bearer tok3n-abcdefghijkl")
    assert redact_text(once) == once
