"""The fixed names of the files and folders a spine keeps besides its registries.

Imports nothing: the pre-commit file filter (`changed_files`) decides from these names before
anything heavy is loaded, and the modules that read the files, the receipts that name them and the
filter all take them from here.
"""

from __future__ import annotations

CONFIG_FILE = "spine-gates.yaml"
WAIVERS_FILE = "waivers.yaml"
BASELINE_FILE = ".spine-gates-baseline.json"
POLICIES_DIR = "policies"  # a spine's own rule packs (policy.rules.spine_packs reads *.yaml)
SCENARIOS_DIR = "scenarios"
BRAIN_DIR = "docs/brain"  # inject files and notes: secret detection scans all of it
SECRETS_MANIFEST = "docs/governance/SECRETS_MANIFEST.yaml"  # default; `secrets: manifest:` moves it


def settings_files() -> tuple[str, ...]:
    """The spine's own files that change verdicts without being registries: its settings
    (ignore rules, secret policy, rule parameters, registry paths), waivers and the baseline."""
    return (CONFIG_FILE, WAIVERS_FILE, BASELINE_FILE)
