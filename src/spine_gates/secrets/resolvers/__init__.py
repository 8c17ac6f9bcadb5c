"""Resolvers answer "does this reference exist?" without reading a value: one module per source."""
