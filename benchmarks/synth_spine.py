"""Write a synthetic spine N times the reference size, valid under every shipped rule.

Scale 1 is 6 providers, 100 models, 3 roles, 3 CLIs; scale 100 is 600 providers, 10,000 models,
300 roles, 300 CLIs. Every cross-reference resolves (chains name listed models on at least two
providers, inject files exist, free-only roles stay free, each Claude Code slot is bound once), so
the policy engine does the full work and the gate passes: a benchmark of the clean path, which is
the path a pre-commit hook takes on almost every commit.

    python benchmarks/synth_spine.py --scale 10 --out /tmp/spine10
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

MODELS_PER_SCALE = 100
PROVIDERS_PER_SCALE = 6
ROLES_PER_SCALE = 3
CLIS_PER_SCALE = 3
CHAIN_LENGTH = 4
ROLES_PER_CLI = 3
TODAY = "2026-11-25"
HEADER = f'version: "1.0"\nupdated_at: "{TODAY}"\nowner: "@bench"\nscope: synthetic\n\n'

# (type, api_format, quota_type, cost_tier): the reference spine's mix of provider kinds.
_KINDS = [
    ("hosted", "anthropic", "daily_message", "paid"),
    ("hosted", "openai", "tokens_per_minute", "paid"),
    ("hosted-free", "openai", "requests_per_minute", "free"),
    ("hosted", "openai", "credits", "mixed"),
    ("hosted", "openai", "plan", "paid"),
    ("local", "openai", "none", "free"),
]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _providers(scale: int) -> list[dict[str, object]]:
    count = PROVIDERS_PER_SCALE * scale
    total = MODELS_PER_SCALE * scale
    providers = []
    for index in range(count):
        kind, api_format, quota, tier = _KINDS[index % len(_KINDS)]
        share = total // count + (1 if index < total % count else 0)
        models = []
        for number in range(share):
            name = f"vendor{number % 7}/model-{index}-{number}"
            if tier == "mixed" and number % 2 == 0:
                name += ":free"
            models.append(name)
        providers.append({"id": f"prov{index:04d}", "type": kind, "api_format": api_format,
                          "quota": quota, "tier": tier, "models": models})
    return providers


def _free_refs(provider: dict[str, object]) -> list[str]:
    models = provider["models"]
    assert isinstance(models, list)
    if provider["tier"] == "free":
        return list(models)
    if provider["tier"] == "mixed":
        return [m for m in models if m.endswith(":free")]
    return []


def _chain(role: int, providers: list[dict[str, object]], free_only: bool,
           api_format: str | None) -> list[str]:
    """CHAIN_LENGTH distinct refs, on distinct providers while there are enough of them."""
    chain: list[str] = []
    used: set[object] = set()
    for step in range(100 * CHAIN_LENGTH):
        if len(chain) == CHAIN_LENGTH:
            return chain
        provider = providers[(role * 7 + step * 5) % len(providers)]
        if api_format and provider["api_format"] != api_format:
            continue
        if provider["id"] in used and step < 2 * len(providers):
            continue
        candidates = _free_refs(provider) if free_only else list(provider["models"])  # type: ignore[call-overload]
        if not candidates:
            continue
        ref = f"{provider['id']}/{candidates[(role + step) % len(candidates)]}"
        if ref not in chain:
            chain.append(ref)
            used.add(provider["id"])
    if len(chain) == CHAIN_LENGTH and len(used) >= 2:
        return chain
    raise RuntimeError(f"cannot build a chain for role {role}")


def write_spine(out: Path, scale: int) -> dict[str, int]:
    """Write the spine under `out` (replacing it); returns its size."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    if out.exists():
        shutil.rmtree(out)
    gov = out / "docs" / "governance"
    gov.mkdir(parents=True)
    (out / "docs" / "brain" / "roles").mkdir(parents=True)
    (out / "docs" / "brain" / "cli").mkdir(parents=True)

    providers = _providers(scale)
    lines = ["# Synthetic provider registry (benchmarks/synth_spine.py)\n", HEADER, "providers:\n"]
    for p in providers:
        lines.append(f"  {p['id']}:\n    type: {p['type']}\n    api_format: {p['api_format']}\n"
                     f"    api_base: https://{p['id']}.example.invalid/v1\n"
                     f"    quota_type: {p['quota']}\n")
        if p["quota"] == "requests_per_minute":
            lines.append("    rate_limit_rpm: 40\n")
        lines.append("    models:\n")
        lines.extend(f"      - {_q(m)}\n" for m in p["models"])  # type: ignore[attr-defined]
        lines.append(f"    cost_tier: {p['tier']}\n")
        if p["type"] == "local":
            lines.append("    api_key_ref: null\n")
        else:
            key = p["id"].upper()  # type: ignore[attr-defined]
            lines.append(f"    api_key_ref: infisical://spine/ai/providers/{key}_API_KEY\n")
        lines.append("    rate_limit_signal: \"429 with retry-after\"\n\n")
    (gov / "PROVIDER_REGISTRY.yaml").write_text("".join(lines), encoding="utf-8")

    role_count = ROLES_PER_SCALE * scale
    role_ids = [f"role{index:04d}" for index in range(role_count)]
    openai_roles: list[str] = []
    lines = ["# Synthetic role map\n", HEADER, "roles:\n"]
    slots = {0: ["default", "webSearch"], 1: ["think", "longContext"], 2: ["background", "image"]}
    for index, role_id in enumerate(role_ids):
        free_only = index % 3 == 2
        # every fifth role stays on OpenAI-format providers so non-proxy CLIs can run it
        api_format = "openai" if index % 5 == 0 else None
        if api_format:
            openai_roles.append(role_id)
        chain = _chain(index, providers, free_only, api_format)
        inject = f"docs/brain/roles/{role_id}.md"
        (out / inject).write_text(f"# {role_id}\n", encoding="utf-8")
        lines.append(f"  {role_id}:\n    primary: {_q(chain[0])}\n    fallback_chain:\n")
        lines.extend(f"      - {_q(ref)}\n" for ref in chain[1:])
        lines.append(f"    inject: {inject}\n")
        if index in slots:
            lines.append(f"    ccr_slots: [{', '.join(slots[index])}]\n")
        lines.append(f"    cost_policy: {'free-only' if free_only else 'paid-allowed'}\n\n")
    (gov / "ROLE_PROVIDER_MAPS.yaml").write_text("".join(lines), encoding="utf-8")

    cli_count = CLIS_PER_SCALE * scale
    lines = ["# Synthetic CLI interface registry\n", HEADER, "cli_interfaces:\n"]
    for index in range(cli_count):
        cli_id = f"cli{index:04d}"
        proxy = index % 3 != 1
        pool = role_ids if proxy else openai_roles
        roles = [pool[(index * ROLES_PER_CLI + k) % len(pool)] for k in range(ROLES_PER_CLI)]
        roles = list(dict.fromkeys(roles))
        inject = f"docs/brain/cli/{cli_id}.md"
        (out / inject).write_text(f"# {cli_id}\n", encoding="utf-8")
        lines.append(f"  {cli_id}:\n    api_format: {'anthropic' if proxy else 'openai'}\n"
                     f"    proxy_compatible: {'true' if proxy else 'false'}\n"
                     f"    agent_inject: {inject}\n    roles: [{', '.join(roles)}]\n\n")
    (gov / "CLI_INTERFACE_REGISTRY.yaml").write_text("".join(lines), encoding="utf-8")

    registries = [("provider-registry", "PROVIDER_REGISTRY.yaml", "providers"),
                  ("cli-interface-registry", "CLI_INTERFACE_REGISTRY.yaml", "cli"),
                  ("role-provider-maps", "ROLE_PROVIDER_MAPS.yaml", "routing")]
    entries = [(ident, f"docs/governance/{name}", scope) for ident, name, scope in registries]
    # the role injects are governed documents too: ROLES_PER_SCALE * scale entries in all
    entries += [(f"inject-{r}", f"docs/brain/roles/{r}.md", "roles")
                for r in role_ids[: max(0, role_count - len(registries))]]
    lines = ["# Synthetic SSOT registry\n", HEADER, "ssots:\n"]
    for index, (ident, path, scope) in enumerate(entries):
        lines.append(f"  - id: {ident}\n    name: {_q(ident.replace('-', ' ').title())}\n"
                     f"    path: {path}\n    scope: {scope}\n    priority: {1 + index % 5}\n"
                     f"    applies_to: [claude_code, claude-code-router]\n    owner: \"@bench\"\n"
                     f"    last_reviewed: \"{TODAY}\"\n    notes: \"synthetic\"\n"
                     f"    archived: false\n\n")
    (gov / "SSOT_REGISTRY.yaml").write_text("".join(lines), encoding="utf-8")
    return {"providers": len(providers), "models": sum(len(p["models"]) for p in providers),  # type: ignore[arg-type,misc]
            "roles": role_count, "clis": cli_count, "ssot_entries": len(entries),
            "chain_entries": role_count * CHAIN_LENGTH}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiple of the reference size")
    parser.add_argument("--out", type=Path, required=True, help="folder to (re)create")
    args = parser.parse_args()
    size = write_spine(args.out, args.scale)
    print(f"{args.out}: " + ", ".join(f"{v} {k}" for k, v in size.items()))


if __name__ == "__main__":
    main()
