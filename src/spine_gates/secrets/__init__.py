"""Secrets: inline-key detection, references (`infisical://…`, `env:…`), resolvers, redaction."""
