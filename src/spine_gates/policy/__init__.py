"""Declarative rule packs (policies/*.yaml), their evaluator, waivers, baselines and tests."""
