"""Model references `provider_id/model_id`: the provider is the first path segment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelRef:
    provider: str
    model: str

    @classmethod
    def parse(cls, text: str) -> ModelRef | None:
        """`openrouter/anthropic/claude-opus-4-5` -> (openrouter, anthropic/claude-opus-4-5)."""
        if not isinstance(text, str) or "/" not in text:
            return None
        provider, model = text.split("/", 1)
        if not provider or not model:
            return None
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"
