"""Registries loaded with line marks, schema-checked, into one typed GovernanceModel."""
