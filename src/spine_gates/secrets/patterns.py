"""Known API-key formats, shared by detection (findings) and redaction (every output).

Each pattern names the secret part in group `s` (the whole match when there is no such group), so
redaction replaces only the secret: `Bearer <fp>`, `https://user:<fp>@host`, `?key=<fp>`.
Only the standard library is imported here: the pre-commit path loads this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A reference or placeholder is never a secret, whatever field it sits in.
REFERENCE = re.compile(
    r"^(?:infisical://\S+|env:[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z_][A-Za-z0-9_]*"
    r"|\$\{[A-Za-z_][A-Za-z0-9_.:\-]*\}|sha256:[0-9a-f]{8})$"
)


@dataclass(frozen=True)
class KeyFormat:
    name: str
    label: str
    regex: re.Pattern[str]


def _f(name: str, label: str, pattern: str, flags: int = 0) -> KeyFormat:
    return KeyFormat(name, label, re.compile(pattern, flags))


# Specific formats first: the first format that matches a span names it.
KEY_FORMATS: tuple[KeyFormat, ...] = (
    _f("private-key", "private key block",
       r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY"
       r"(?: BLOCK)?-----"),
    _f("anthropic", "Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    _f("openrouter", "OpenRouter API key", r"\bsk-or-v1-[A-Za-z0-9]{32,}"),
    _f("openai-project", "OpenAI project/service key",
       r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
    _f("openai", "OpenAI-style secret key", r"\bsk-[A-Za-z0-9_\-]{20,}"),
    _f("nvidia", "NVIDIA API key", r"\bnvapi-[A-Za-z0-9_\-]{20,}"),
    _f("zai", "Z.ai API key", r"\b[0-9a-f]{32}\.[A-Za-z0-9]{16}\b"),
    _f("xai", "xAI API key", r"\bxai-[A-Za-z0-9]{40,}"),
    _f("perplexity", "Perplexity API key", r"\bpplx-[A-Za-z0-9]{40,}"),
    _f("groq", "Groq API key", r"\bgsk_[A-Za-z0-9]{40,}"),
    _f("huggingface", "Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
    _f("replicate", "Replicate token", r"\br8_[A-Za-z0-9]{30,}"),
    _f("google", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    _f("aws-access-key", "AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    _f("github", "GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})"),
    _f("gitlab", "GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    _f("slack", "Slack token", r"\bxox[abeprs]-[A-Za-z0-9\-]{10,}"),
    _f("stripe", "Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    _f("sendgrid", "SendGrid key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    _f("infisical-token", "Infisical service token",
       r"\bst\.[A-Za-z0-9\-]{8,}\.[a-f0-9]{16,}\.[a-f0-9]{16,}"),
    _f("jwt", "JSON web token",
       r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    _f("bearer", "bearer token",
       r"(?i)\bbearer\s+(?P<s>(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}=*)"),
    _f("url-userinfo", "credential in a URL",
       r"(?i)\b[a-z][a-z0-9+.\-]*://(?:[^/\s:@\"'<>]*:(?P<s>[^/\s@\"'<>]{3,})"
       r"|(?P<s2>[A-Za-z0-9_\-.~]{16,}))@"),
    _f("url-query", "credential in a URL query",
       r"(?i)(?:[?&]|&amp;)(?:api[_-]?key|apikey|key|token|access[_-]?token|auth|secret|"
       r"password|pwd|sig|signature|client[_-]?secret)=(?P<s>(?![$%{])[^&\s#\"'<>]{6,})"),
)

# `api_key: value`, `"token": "value"`, `Authorization=value` in free text (live configs, diffs);
# the value needs a letter and a digit, so prose such as `KEY: unresolved:` is left alone.
ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]*(?:api[_-]?key|secret|password|passwd|token|"
    r"authorization|access[_-]?key|private[_-]?key)(?![A-Za-z0-9_\-])\\?[\"']?\s*[:=]\s*\\?[\"']?"
    r"(?P<s>(?!\$|env:|infisical://|sha256:|null\b|none\b|true\b|false\b)"
    r"(?=[^\s\"'\\,}\]]*\d)(?=[^\s\"'\\,}\]]*[A-Za-z])[^\s\"'\\,}\]]{8,})"
)


def secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the secret inside a match: group `s` (or `s2`), else the whole match."""
    for group in ("s", "s2"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.span(group)
    return match.span()


def is_reference(value: str) -> bool:
    """`infisical://…`, `env:NAME`, `$NAME`, `${NAME}` (and fingerprints) are never secrets."""
    return bool(REFERENCE.match(value.strip()))
