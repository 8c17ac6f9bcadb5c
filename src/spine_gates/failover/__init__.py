"""Governed failover: expiring overrides of the live router's slots, applied by a router module
that reads the override file on every request (see docs/guides/failover.md)."""
