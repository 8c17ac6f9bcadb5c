"""A spine's own rule pack and its cases, as a team would write them: the policy tests and the
pre-commit hook tests both plant it in a spine's `policies/`."""

PACK = """\
pack: team
description: Our own house rules.
rules:
  - id: TEAM-001
    title: Every role has at least three models to try
    severity: error
    rationale: Two outages in one afternoon took a two-model role down.
    select: "roles[]"
    assert:
      count: {value: chain, min: 3}
    message: "role {id} has {count} model(s) in its chain; we want at least {min}"
    fix: "Add a fallback to role {id}."
"""
CASES = """\
today: "2026-11-25"
cases:
  - {name: our spine's roles have three models each, rule: TEAM-001, expect: []}
  - name: a role with two models
    rule: TEAM-001
    patch:
      - registry: roles
        set: /roles/background/fallback_chain
        value: [openrouter/z-ai/glm-4.5-air:free]
    expect:
      - {pointer: /roles/background}
"""
