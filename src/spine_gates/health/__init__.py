"""Provider health: probes, per-provider signal parsing, breakers, role degradation, session brief.

Nothing here is imported on the pre-commit path; the CLI imports it inside its handlers.
"""
