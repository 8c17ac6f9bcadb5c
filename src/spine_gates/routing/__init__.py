"""The routing evaluator: claude-code-router 2.0's slot rules, token counting and fallback.

Predicts offline which upstream model serves a request, and what the client sees when providers
fail; scenarios, resilience analysis and a load simulation build on the same two functions,
`slots.decide` and `fallback.resolve`.
"""
