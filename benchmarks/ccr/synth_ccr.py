"""A synthetic spine with N providers (3 models each) and the roles that bind every slot.

It exercises the provider-drift path at scale: 2,000 providers compile to a ~600 KB config.json.

    python benchmarks/ccr/synth_ccr.py --providers 2000 --out /tmp/ccr2000
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

TODAY = "2026-11-25"
HEADER = f'version: "1.0"\nupdated_at: "{TODAY}"\nowner: "@bench"\nscope: synthetic\n\n'
ROLES = {  # role -> (slots, provider offsets for primary and chain)
    "executor": (["default", "webSearch"], [1, 2, 3]),
    "architect": (["think", "longContext"], [0, 4, 5]),
    "background": (["background", "image"], [2, 5, 7]),
}


def write_spine(out: Path, providers: int) -> None:
    if out.exists():
        shutil.rmtree(out)
    gov = out / "docs" / "governance"
    gov.mkdir(parents=True)
    (out / "docs" / "brain" / "roles").mkdir(parents=True)
    lines = ["# Synthetic provider registry (benchmarks/ccr/synth_ccr.py)\n", HEADER,
             "providers:\n"]
    for index in range(providers):
        pid = f"prov{index:04d}"
        api_format = "anthropic" if index % 6 == 0 else "openai"
        lines.append(
            f"  {pid}:\n    type: hosted\n    api_format: {api_format}\n"
            f"    api_base: https://{pid}.example.invalid/v1\n    quota_type: plan\n"
            f"    models: [model-{index}-a, model-{index}-b, vendor/model-{index}-c]\n"
            f"    cost_tier: paid\n"
            f"    api_key_ref: infisical://spine/ai/providers/{pid.upper()}_API_KEY\n\n")
    (gov / "PROVIDER_REGISTRY.yaml").write_text("".join(lines))
    lines = ["# Synthetic role map\n", HEADER, "roles:\n"]
    for role, (slots, offsets) in ROLES.items():
        refs = [f"prov{o % providers:04d}/model-{o % providers}-a" for o in offsets]
        (out / "docs" / "brain" / "roles" / f"{role}.md").write_text(f"# {role}\n")
        lines.append(f"  {role}:\n    primary: {refs[0]}\n    fallback_chain:\n")
        lines += [f"      - {ref}\n" for ref in refs[1:]]
        lines.append(f"    inject: docs/brain/roles/{role}.md\n"
                     f"    ccr_slots: [{', '.join(slots)}]\n    cost_policy: paid-allowed\n\n")
    (gov / "ROLE_PROVIDER_MAPS.yaml").write_text("".join(lines))
    (gov / "CLI_INTERFACE_REGISTRY.yaml").write_text(
        "# Synthetic CLIs\n" + HEADER + "cli_interfaces:\n  claude_code:\n    api_format: "
        "anthropic\n    proxy_compatible: true\n    agent_inject: docs/brain/roles/executor.md\n")
    entries = [("provider-registry", "PROVIDER_REGISTRY.yaml"),
               ("cli-interface-registry", "CLI_INTERFACE_REGISTRY.yaml"),
               ("role-provider-maps", "ROLE_PROVIDER_MAPS.yaml")]
    ssot = ['version: "1.3"\nssots:\n']
    for ident, name in entries:
        ssot.append(f"  - id: {ident}\n    name: {ident}\n    path: docs/governance/{name}\n"
                    "    scope: synthetic\n    priority: 1\n    applies_to: [all]\n"
                    f"    owner: \"@bench\"\n    last_reviewed: \"{TODAY}\"\n    notes: synthetic\n"
                    "    archived: false\n")
    (gov / "SSOT_REGISTRY.yaml").write_text("".join(ssot))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write_spine(args.out, args.providers)
    print(f"wrote {args.providers} providers to {args.out}")


if __name__ == "__main__":
    main()
