"""The spine's own files stay inside the spine root after links are followed.

Each case links one kind of file the spine names (a registry, spine-gates.yaml, an SSOT path, an
inject file, a scenario, a rule pack, a policy test, waivers, the baseline, the secrets manifest)
to a file outside the root that carries a marker line. The CLI must refuse it with one error line
naming the spine's file (exit 3) and must not read it: the marker appears in no output. Links that
stay inside the root keep working, and paths the user gives on the command line (`--live`, a
request file, `--output`) may point anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import REPO, gates_env, run_gates

MARKER = "MARKER-OUTSIDE-9c1e"
MARKER_KEY = "MARKER_OUTSIDE_KEY"  # a manifest lists secret names: the marker as one
PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
CLIS = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"
MANIFEST = "docs/governance/SECRETS_MANIFEST.yaml"

PACK = f"""\
pack: team
description: Our own house rules.
rules:
  - id: TEAM-001
    title: "{MARKER} every role has a chain"
    severity: error
    rationale: "{MARKER}"
    select: "roles[]"
    assert:
      count: {{value: chain, min: 1}}
    message: "{MARKER} role {{id}}"
    fix: "{MARKER}"
"""
CASES = f"""\
today: "2026-11-25"
cases:
  - {{name: "{MARKER} reference roles have chains", rule: TEAM-001, expect: []}}
"""
SSOT_NOTES_ENTRY = """\

  - id: house-notes
    name: House Notes
    path: docs/brain/notes.md
    scope: notes
    priority: 3
    applies_to: [claude_code]
    owner: "@ronny"
    last_reviewed: "2026-11-25"
    notes: "Notes every agent reads."
    archived: false
"""


def _link_out(spine: Path, rel: str, outside: Path, content: str) -> None:
    """Put `content` outside the root and make the spine's `rel` a link to it."""
    target = outside / rel.replace("/", "__")
    target.write_text(content)
    link = spine / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


def _registry_copy(rel: str) -> str:
    # A registry that would load, with an unknown top-level key the schema check would print.
    return (REPO / rel).read_text() + f"\n{MARKER}: leaked\n"


# Each case: arrange the spine (given the outside folder) and return the command and the file
# name the error must carry.
Case = Callable[[Path, Path], tuple[list[str], str]]


def _registry(rel: str) -> Case:
    def arrange(spine: Path, outside: Path) -> tuple[list[str], str]:
        _link_out(spine, rel, outside, _registry_copy(rel))
        return ["run", "registry-policy"], rel
    return arrange


def _config(spine: Path, outside: Path) -> tuple[list[str], str]:
    _link_out(spine, "spine-gates.yaml", outside, f"registries: {{{MARKER}: x.yaml}}\n")
    return ["run", "registry-policy"], "spine-gates.yaml"


def _governance_folder(spine: Path, outside: Path) -> tuple[list[str], str]:
    copy = outside / "governance"
    shutil.copytree(spine / "docs" / "governance", copy)
    (copy / "PROVIDER_REGISTRY.yaml").write_text(_registry_copy(PROVIDERS))
    shutil.rmtree(spine / "docs" / "governance")
    (spine / "docs" / "governance").symlink_to(copy)
    return ["run", "registry-policy"], PROVIDERS


def _ssot_path(spine: Path, outside: Path) -> tuple[list[str], str]:
    with (spine / SSOT).open("a") as handle:
        handle.write(SSOT_NOTES_ENTRY)
    _link_out(spine, "docs/brain/notes.md", outside, f"{MARKER}\n")
    return ["run", "registry-policy"], "docs/brain/notes.md"


def _inject(rel: str) -> Case:
    def arrange(spine: Path, outside: Path) -> tuple[list[str], str]:
        _link_out(spine, rel, outside, f"{MARKER}\n")
        return ["run", "registry-policy"], rel
    return arrange


def _scenario(spine: Path, outside: Path) -> tuple[list[str], str]:
    shutil.copytree(REPO / "scenarios", spine / "scenarios")
    _link_out(spine, "scenarios/healthy.yaml", outside,
              f"scenarios:\n  - name: {MARKER}\n    when: {{role: architect}}\n"
              f"    then: {{role_state: down}}\n")
    return ["run", "routing-scenarios"], "scenarios/healthy.yaml"


def _scenario_folder(spine: Path, outside: Path) -> tuple[list[str], str]:
    folder = outside / "scenarios"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        f"scenarios:\n  - name: {MARKER}\n    when: {{role: architect}}\n"
        f"    then: {{role_state: down}}\n")
    (spine / "scenarios").symlink_to(folder)
    return ["run", "routing-scenarios"], "scenarios"


def _pack(spine: Path, outside: Path) -> tuple[list[str], str]:
    _link_out(spine, "policies/team.yaml", outside, PACK)
    return ["policy", "rules"], "policies/team.yaml"


def _pack_folder(spine: Path, outside: Path) -> tuple[list[str], str]:
    folder = outside / "policies"
    folder.mkdir()
    (folder / "team.yaml").write_text(PACK)
    (spine / "policies").symlink_to(folder)
    return ["policy", "rules"], "policies"


def _policy_test(spine: Path, outside: Path) -> tuple[list[str], str]:
    (spine / "policies").mkdir()
    (spine / "policies" / "team.yaml").write_text(PACK.replace(MARKER, "ours"))
    _link_out(spine, "policies/tests/team.yaml", outside, CASES)
    return ["policy", "test"], "policies/tests/team.yaml"


def _waivers(spine: Path, outside: Path) -> tuple[list[str], str]:
    _link_out(spine, "waivers.yaml", outside,
              f"waivers:\n  - rule: REG-002\n    reason: {MARKER}\n    owner: \"@me\"\n"
              f"    expires: 2099-01-01\n")
    return ["run", "registry-policy"], "waivers.yaml"


def _baseline(spine: Path, outside: Path) -> tuple[list[str], str]:
    _link_out(spine, ".spine-gates-baseline.json", outside,
              f'{{"version": 1, "findings": [{{"fingerprint": "{MARKER}", "rule": "X"}}]}}\n')
    return ["run", "registry-policy"], ".spine-gates-baseline.json"


def _manifest(spine: Path, outside: Path) -> tuple[list[str], str]:
    _link_out(spine, MANIFEST, outside,
              f"paths:\n  /spine/ai/providers: [{MARKER_KEY}]\n")
    return ["secrets", "check", "--offline"], MANIFEST


CASES_BY_KIND: dict[str, Case] = {
    "providers registry": _registry(PROVIDERS),
    "cli registry": _registry(CLIS),
    "roles registry": _registry(ROLES),
    "ssot registry": _registry(SSOT),
    "spine-gates.yaml": _config,
    "registry folder": _governance_folder,
    "ssot path": _ssot_path,
    "role inject file": _inject("docs/brain/roles/architect.md"),
    "agent inject file": _inject("docs/brain/codex-inject.md"),
    "scenario file": _scenario,
    "scenario folder": _scenario_folder,
    "rule pack": _pack,
    "rule pack folder": _pack_folder,
    "policy test file": _policy_test,
    "waivers": _waivers,
    "baseline": _baseline,
    "secrets manifest": _manifest,
}


def _run(spine: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = gates_env(HOME=str(spine.parent / "home"))
    return run_gates(*args, "--root", str(spine), env=env)


@pytest.mark.parametrize("kind", list(CASES_BY_KIND))
def test_a_spine_file_linked_outside_the_root_is_refused_unread(kind: str, spine: Path,
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    args, name = CASES_BY_KIND[kind](spine, outside)
    result = _run(spine, args)
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gates: error: "), result.stderr
    assert name in lines[0] and "outside the spine root" in lines[0], lines[0]
    assert MARKER not in result.stdout + result.stderr
    assert MARKER_KEY not in result.stdout + result.stderr


def test_a_secrets_manifest_configured_outside_the_root_is_refused(spine: Path,
                                                                   tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(f"paths:\n  /spine/ai/providers: [{MARKER_KEY}]\n")
    (spine / "spine-gates.yaml").write_text(f"secrets:\n  manifest: {manifest}\n")
    result = _run(spine, ["secrets", "check", "--offline"])
    assert result.returncode == 3, result.stderr
    assert str(manifest) in result.stderr and "outside the spine root" in result.stderr
    assert MARKER_KEY not in result.stdout + result.stderr


def _link_in(spine: Path, rel: str, moved_to: str) -> None:
    """Move the spine's `rel` elsewhere inside the root and leave a relative link behind."""
    link, target = spine / rel, spine / moved_to
    target.parent.mkdir(parents=True, exist_ok=True)
    link.rename(target)
    link.symlink_to(os.path.relpath(target, link.parent))


def test_a_registry_linked_inside_the_root_still_loads(spine: Path) -> None:
    _link_in(spine, PROVIDERS, "vendor/PROVIDER_REGISTRY.yaml")
    result = _run(spine, ["run", "registry-policy"])
    assert result.returncode == 0, result.stderr


def test_an_inject_file_linked_inside_the_root_still_exists(spine: Path) -> None:
    _link_in(spine, "docs/brain/roles/architect.md", "shared/architect.md")
    result = _run(spine, ["run", "registry-policy"])
    assert result.returncode == 0, result.stderr


def test_a_rule_pack_linked_inside_the_root_still_runs(spine: Path) -> None:
    (spine / "shared").mkdir()
    (spine / "shared" / "team.yaml").write_text(PACK.replace(MARKER, "ours"))
    (spine / "policies").mkdir()
    (spine / "policies" / "team.yaml").symlink_to("../shared/team.yaml")
    result = _run(spine, ["policy", "rules"])
    assert result.returncode == 0, result.stderr
    assert "TEAM-001" in result.stdout


def test_a_spine_root_reached_through_a_link_still_works(spine: Path, tmp_path: Path) -> None:
    alias = tmp_path / "spine-alias"
    alias.symlink_to(spine)
    result = run_gates("run", "registry-policy", "--root", str(alias))
    assert result.returncode == 0, result.stderr


def test_command_line_paths_outside_the_root_are_the_users_choice(spine: Path,
                                                                  tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    compiled = _run(spine, ["compile", "ccr", "--out", str(elsewhere / "live.json")])
    assert compiled.returncode == 0, compiled.stderr
    drift = _run(spine, ["run", "provider-drift", "--live", str(elsewhere / "live.json"),
                         "--output", str(elsewhere / "drift.txt")])
    assert drift.returncode == 0, drift.stderr
    assert (elsewhere / "drift.txt").read_text().strip()
    request = elsewhere / "request.json"
    request.write_text('{"model": "x", "messages": [{"role": "user", "content": "hi"}]}')
    explained = _run(spine, ["route", "explain", str(request)])
    assert explained.returncode == 0, explained.stderr
