"""Provider health: probes, per-provider signal parsing, breakers, role degradation, session brief.

Nothing here is imported on the pre-commit path; the CLI imports it inside its handlers. The
modules `gates providers status` imports before its probes start (`provider_status`, `render`,
`targets`, `state_store`) import the rest inside functions, so that work overlaps the network wait.
"""
