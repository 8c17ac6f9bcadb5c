"""A spine of the real one's shape (read from its public repository, 2026-03-05), for `gates init`.

Its `docs/governance/SSOT_REGISTRY.yaml` has the header `version`, `updated`, `github_issue` and
55 ten-field entries; `ops/capabilities.yaml` has `version`, `updated`, a `schema` block whose
enums include `plane: [fabric, domain_external]`, the secrets preconditions and capabilities in the
spine's typical form; `ops/bindings/capability_map.yaml` maps each one. None of spine-gates'
registries are there yet.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import TODAY

SSOT_COUNT = 55

SSOT_HEAD = """\
# SSOT Registry - agentic-spine
# Single Source of Truth for all SSOT claims
#
# Priority: 1 = highest (foundational), 5 = lowest (derived/reference)

version: "1.3"
updated: "{today}"
github_issue: "#541"

# Conflict Resolution Order:
# 1. Check this registry for both documents
# 2. Compare priority numbers (lower wins)

ssots:
  # ─────────────────────────────────────────────────────────────
  # TIER 1: Foundational (Priority 1) - These define reality
  # ─────────────────────────────────────────────────────────────
"""

SSOT_ENTRY = """
  - id: governance-doc-{n:02d}
    name: Governance Doc {n:02d}
    path: docs/governance/DOC_{n:02d}.md
    scope: governance-{n:02d}
    priority: {priority}
    applies_to:
      - "What doc {n:02d} governs"
    owner: "@ronny"
    last_reviewed: "{today}"
    notes: "Canonical for area {n:02d}."
    archived: false
"""

SSOT_TAIL = """
# ─────────────────────────────────────────────────────────────
# Validation Rules
# ─────────────────────────────────────────────────────────────
#
# 1. Every SSOT must have front-matter with status, owner, last_verified
"""

CAPABILITIES = """\
# ═══════════════════════════════════════════════════════════════════════════
# Capability Registry - Governed actions the spine can execute
# ═══════════════════════════════════════════════════════════════════════════

version: "1.0"
updated: "{today}"

schema:
  required: [description, command, safety, approval, outputs]
  enums:
    safety: [read-only, mutating, destructive]
    approval: [auto, manual, operator]
    arg_protocol: [passthrough, argparse, positional, none]
    plane: [fabric, domain_external]

capabilities:

  # ─────────────────────────────────────────────────────────────────────────
  # SPINE HEALTH (always safe)
  # ─────────────────────────────────────────────────────────────────────────

  spine.verify:
    description: "Run drift gates to verify spine health"
    tags: [spine, verify]
    command: "./surfaces/verify/drift-gate.sh"
    cwd: "$SPINE_CODE"
    safety: read-only
    approval: auto
    lifecycle: ready
    outputs: ["stdout"]
    arg_protocol: passthrough
    domain: none
    plane: fabric

  secrets.binding:
    description: "Show the Infisical binding (project, environment, base path)."
    tags: [secrets]
    command: "./ops/plugins/secrets/bin/secrets-binding"
    cwd: "$SPINE_CODE"
    safety: read-only
    approval: auto
    lifecycle: ready
    outputs: ["stdout"]
    arg_protocol: none
    domain: secrets
    plane: fabric

  secrets.auth.status:
    description: "Check the Infisical machine identity can authenticate."
    tags: [secrets]
    command: "./ops/plugins/secrets/bin/secrets-auth-status"
    cwd: "$SPINE_CODE"
    safety: read-only
    approval: auto
    lifecycle: ready
    outputs: ["stdout"]
    arg_protocol: none
    domain: secrets
    plane: fabric

  n8n.workflows.list:
    description: "List n8n workflows (read-only). Requires secrets injection for N8N_API_KEY."
    tags: [n8n]
    command: "./ops/plugins/secrets/bin/secrets-exec -- ./ops/plugins/n8n/bin/n8n-workflows list"
    cwd: "$SPINE_CODE"
    safety: read-only
    approval: auto
    lifecycle: ready
    touches_api: true
    requires:
      - secrets.binding
      - secrets.auth.status
    outputs: ["stdout"]
    arg_protocol: passthrough
    domain: n8n
    plane: domain_external
"""

CAPABILITY_MAP = """\
# Capability Map Binding
# Projection of ops/capabilities.yaml
version: "1.0"
updated_at: "{today}"
owner: "@ronny"
scope: capability-map

capabilities:
  spine.verify:
    plugin: verify
    script: drift-gate.sh
    safety: read-only
  secrets.binding:
    plugin: secrets
    script: secrets-binding
    safety: read-only
  secrets.auth.status:
    plugin: secrets
    script: secrets-auth-status
    safety: read-only
  n8n.workflows.list:
    plugin: n8n
    script: n8n-workflows
    safety: read-only
    note: command runs ./ops/plugins/n8n/bin/n8n-workflows list
"""

SCRIPTS = ("surfaces/verify/drift-gate.sh", "ops/plugins/secrets/bin/secrets-binding",
           "ops/plugins/secrets/bin/secrets-auth-status", "ops/plugins/secrets/bin/secrets-exec")

CLAUDE_SETTINGS = {
    "permissions": {"allow": ["Bash(./bin/ops cap run:*)"]},
    "hooks": {
        "SessionStart": [
            {"matcher": "startup", "hooks": [
                {"type": "command", "command": "./ops/plugins/session/bin/session-start",
                 "timeout": 15}]},
        ],
    },
}


def make_real_spine(root: Path, today: str = TODAY) -> Path:
    """Write a spine of the real one's shape under `root`; returns it."""
    governance = root / "docs" / "governance"
    governance.mkdir(parents=True)
    entries = []
    for n in range(1, SSOT_COUNT + 1):
        entries.append(SSOT_ENTRY.format(n=n, priority=1 + n % 5, today=today))
        (governance / f"DOC_{n:02d}.md").write_text(f"# Doc {n:02d}\n")
    (governance / "SSOT_REGISTRY.yaml").write_text(
        SSOT_HEAD.format(today=today) + "".join(entries) + SSOT_TAIL)
    ops = root / "ops"
    (ops / "bindings").mkdir(parents=True)
    (ops / "capabilities.yaml").write_text(CAPABILITIES.format(today=today))
    (ops / "bindings" / "capability_map.yaml").write_text(CAPABILITY_MAP.format(today=today))
    for script in SCRIPTS:
        path = root / script
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/usr/bin/env bash\nexit 0\n")
        path.chmod(0o755)
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text(json.dumps(CLAUDE_SETTINGS, indent=2) + "\n")
    return root
