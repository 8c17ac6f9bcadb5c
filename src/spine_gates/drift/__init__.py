"""Drift between the live router config and the SSOT: compare, classify, sync, adopt."""
