"""spine-gates: policy-as-code governance for an LLM provider orchestration layer."""

__version__ = "0.1.0"
