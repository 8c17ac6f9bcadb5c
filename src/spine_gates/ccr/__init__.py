"""claude-code-router: compile the SSOT into its config.json, read a live config, check its safety.

Measured behaviour of the router lives in the shared reference notes (ccr-2.0.md); each rule here
cites the behaviour it guards against.
"""
