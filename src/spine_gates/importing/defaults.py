"""What a router config cannot tell, guessed conservatively: cost tier, provider type, quota type,
and the environment variable a provider's key is referenced by. Each guess is listed for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}
FREE_SUFFIX = ":free"  # OpenRouter's free variants


@dataclass(frozen=True)
class ProviderGuess:
    """The registry fields a router config does not hold, with the reason for each."""

    type: str
    cost_tier: str
    quota_type: str
    why: str


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def is_openrouter(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "openrouter.ai" or host.endswith(".openrouter.ai")


def guess_provider(url: str, models: list[str]) -> ProviderGuess:
    """Paid unless known free: a loopback server is local and free; OpenRouter's `:free` models
    are free (all of them: free, some: mixed)."""
    if is_local(url):
        return ProviderGuess("local", "free", "none", "a server on this machine (loopback)")
    if is_openrouter(url) and models:
        free = [m for m in models if m.endswith(FREE_SUFFIX)]
        if len(free) == len(models):
            return ProviderGuess("hosted-free", "free", "requests_per_minute",
                                 "OpenRouter, every model a ':free' variant")
        if free:
            return ProviderGuess("hosted", "mixed", "credits",
                                 "OpenRouter, some models ':free' variants")
    return ProviderGuess("hosted", "paid", "credits", "not known to be free")


def key_variable(provider_id: str, taken: set[str]) -> str:
    """`deepseek` -> `DEEPSEEK_API_KEY`; a second provider that maps to the same name gets a
    numbered one."""
    stem = re.sub(r"[^A-Z0-9]+", "_", provider_id.upper()).strip("_") or "PROVIDER"
    if stem[0].isdigit():
        stem = f"P_{stem}"
    name, number = f"{stem}_API_KEY", 2
    while name in taken:
        name, number = f"{stem}_{number}_API_KEY", number + 1
    taken.add(name)
    return name
