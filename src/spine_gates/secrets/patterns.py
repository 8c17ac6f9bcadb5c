"""Known API-key formats, shared by detection (findings) and redaction (every output).

Each pattern names the secret part in group `s` (the whole match when there is no such group), so
redaction replaces only the secret: `Bearer <fp>`, `https://user:<fp>@host`, `?key=<fp>`.
Only the standard library is imported here: the pre-commit path loads this module.
"""

from __future__ import annotations

import re


class KeyFormat:
    """A key format: its regex compiles on first use, and only for text holding a hint.

    Hints are lowercase substrings one of which every match contains; most text has none, so
    most formats are never compiled (compiling all costs ~10 ms on the pre-commit path).
    """

    __slots__ = ("name", "label", "pattern", "hints", "_regex")

    def __init__(self, name: str, label: str, pattern: str, hints: tuple[str, ...]) -> None:
        self.name, self.label, self.pattern, self.hints = name, label, pattern, hints
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.pattern)
        return self._regex

    def may_match(self, lowered: str) -> bool:
        """Whether `lowered` (the text, lowercased) holds a hint; no hints: always."""
        return not self.hints or any(hint in lowered for hint in self.hints)


def _f(name: str, label: str, pattern: str, *hints: str) -> KeyFormat:
    return KeyFormat(name, label, pattern, hints)


# Specific formats first: the first format that matches a span names it.
KEY_FORMATS: tuple[KeyFormat, ...] = (
    _f("private-key", "private key block",
       r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY"
       r"(?: BLOCK)?-----", "private key"),
    _f("anthropic", "Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", "sk-"),
    _f("openrouter", "OpenRouter API key", r"\bsk-or-v1-[A-Za-z0-9]{32,}", "sk-"),
    _f("openai-project", "OpenAI project/service key",
       r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}", "sk-"),
    _f("openai", "OpenAI-style secret key", r"\bsk-[A-Za-z0-9_\-]{20,}", "sk-"),
    _f("nvidia", "NVIDIA API key", r"\bnvapi-[A-Za-z0-9_\-]{20,}", "nvapi-"),
    _f("zai", "Z.ai API key", r"\b[0-9a-f]{32}\.[A-Za-z0-9]{16}\b"),
    _f("xai", "xAI API key", r"\bxai-[A-Za-z0-9]{40,}", "xai-"),
    _f("perplexity", "Perplexity API key", r"\bpplx-[A-Za-z0-9]{40,}", "pplx-"),
    _f("groq", "Groq API key", r"\bgsk_[A-Za-z0-9]{40,}", "gsk_"),
    _f("huggingface", "Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}", "hf_"),
    _f("replicate", "Replicate token", r"\br8_[A-Za-z0-9]{30,}", "r8_"),
    _f("google", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}", "aiza"),
    _f("aws-access-key", "AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "akia", "asia"),
    _f("github", "GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})",
       "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    _f("gitlab", "GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}", "glpat-"),
    _f("slack", "Slack token", r"\bxox[abeprs]-[A-Za-z0-9\-]{10,}", "xox"),
    _f("stripe", "Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", "_live_", "_test_"),
    _f("sendgrid", "SendGrid key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}", "sg."),
    _f("infisical-token", "Infisical service token",
       r"\bst\.[A-Za-z0-9\-]{8,}\.[a-f0-9]{16,}\.[a-f0-9]{16,}", "st."),
    _f("jwt", "JSON web token",
       r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", "eyj"),
    _f("bearer", "bearer token",
       r"(?i)\bbearer\s+(?P<s>(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}=*)", "bearer"),
    _f("url-userinfo", "credential in a URL",
       r"(?i)\b[a-z][a-z0-9+.\-]*://(?:[^/\s:@\"'<>]*:(?P<s>[^/\s@\"'<>]{3,})"
       r"|(?P<s2>[A-Za-z0-9_\-.~]{16,}))@", "@"),
    _f("url-query", "credential in a URL query",
       r"(?i)(?:[?&]|&amp;)(?:api[_-]?key|apikey|key|token|access[_-]?token|auth|secret|"
       r"password|pwd|sig|signature|client[_-]?secret)=(?P<s>(?![$%{])[^&\s#\"'<>]{6,})", "="),
)

# `api_key: value`, `"token": "value"`, `Authorization=value` in free text (live configs, diffs);
# the value needs a letter and a digit, so prose such as `KEY: unresolved:` is left alone.
ASSIGNMENT = KeyFormat(
    "assignment", "key assignment",
    r"(?i)(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]*(?:api[_-]?key|secret|password|passwd|token|"
    r"authorization|access[_-]?key|private[_-]?key)(?![A-Za-z0-9_\-])\\?[\"']?\s*[:=]\s*\\?[\"']?"
    r"(?P<s>(?!\$|env:|infisical://|sha256:|null\b|none\b|true\b|false\b)"
    r"(?=[^\s\"'\\,}\]]*\d)(?=[^\s\"'\\,}\]]*[A-Za-z])[^\s\"'\\,}\]]{8,})",
    ("key", "secret", "passw", "token", "authoriz"),
)


_HINTS: tuple[str, ...] = tuple(sorted({h for f in KEY_FORMATS for h in f.hints}))
_UNHINTED: list[KeyFormat] = [f for f in KEY_FORMATS if not f.hints]


def candidate_formats(text: str) -> list[KeyFormat]:
    """The KEY_FORMATS that may match `text`: those with a hint in it (or with no hints).

    A substring test per hint runs at memory speed; on a governed file of a few KB it is three
    times faster than one regex alternation over every position, and no slower on short values.
    """
    lowered = text.lower()
    found = {hint for hint in _HINTS if hint in lowered}
    if not found:  # most values: only the formats without hints
        return _UNHINTED
    return [f for f in KEY_FORMATS if not f.hints or not found.isdisjoint(f.hints)]


def secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the secret inside a match: group `s` (or `s2`), else the whole match."""
    for group in ("s", "s2"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.span(group)
    return match.span()
