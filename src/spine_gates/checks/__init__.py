"""Checks: the check-kind and named-check interfaces (`interface.py`) and the one table of
their implementations (`table.py`) that the gate runner and the rule evaluator read."""
