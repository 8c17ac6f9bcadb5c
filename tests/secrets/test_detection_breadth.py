"""Keys are found wherever a user writes, and nothing else alarms.

Breadth runs in process over the corpus (`tests/secrets/corpus.py`): every key format in one spine
per governed place, the pre-commit gate run once per spine. Key-bearing fields find all of them;
every other place at least 95 % (the figures are in the README's Secrets section). The benign
corpus, the reference spine and the 100x synthetic spine give no finding at all. The CLI tests
cover what a user sees: the real pre-commit hook refusing a key in docs/brain, and every report
format over a spine with every key in every place, never echoing one.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spine_gates.checks.interface import prepare
from spine_gates.checks.table import load_gates
from spine_gates.finding import Finding
from spine_gates.gates import run_gate
from spine_gates.secrets.redact import redact_text
from tests.helpers import REPO, TODAY, gates_env, run_gates
from tests.secrets.corpus import (
    BENIGN,
    KEY_SAMPLES,
    PLACES,
    Planted,
    write_spine_with_benign,
    write_spine_with_keys,
    write_spine_with_keys_everywhere,
)

KEY_BEARING = [p.name for p in PLACES if p.key_bearing]
ELSEWHERE = [p.name for p in PLACES if not p.key_bearing]
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{8}")


def _sec_findings(root: Path) -> list[Finding]:
    result = run_gate(load_gates()["registry-policy"], prepare(root))
    return [f for f in result.findings if f.rule.startswith("SEC-")]


def _found(planted: Planted, findings: list[Finding]) -> bool:
    return any(f.file == planted.file and f.line == planted.line
               and planted.fingerprints & set(_FINGERPRINT.findall(f.message))
               for f in findings)


def _rate(root: Path, place: str) -> tuple[float, list[str], list[Finding]]:
    planted = write_spine_with_keys(root, place)
    findings = _sec_findings(root)
    missed = [p.sample.name for p in planted if not _found(p, findings)]
    return 1 - len(missed) / len(planted), missed, findings


def test_the_corpus_has_a_dozen_formats_and_every_place():
    assert len(KEY_SAMPLES) >= 12
    assert len({s.secret for s in KEY_SAMPLES}) == len(KEY_SAMPLES)
    assert {"registry-comment", "registry-mapping-key", "cli-inject", "role-inject",
            "brain-notes", "waiver-reason", "scenario-name", "scenario-request-body",
            "config-value", "config-mapping-key", "policy-pack"} <= set(ELSEWHERE)


@pytest.mark.parametrize("place", KEY_BEARING)
def test_every_key_format_is_found_in_key_bearing_fields(tmp_path, place):
    rate, missed, _ = _rate(tmp_path, place)
    assert (rate, missed) == (1.0, [])


@pytest.mark.parametrize("place", ELSEWHERE)
def test_key_formats_are_found_in_every_other_place(tmp_path, place):
    rate, missed, _ = _rate(tmp_path, place)
    assert rate >= 0.95, f"{place}: {rate:.0%} found, missed {missed}"


@pytest.mark.parametrize("place", ["registry-value", "registry-comment", "brain-notes",
                                   "scenario-request-body"])
def test_findings_name_keys_by_fingerprint_and_every_hit_is_registered(tmp_path, place):
    _, _, findings = _rate(tmp_path, place)
    assert findings and all(f.line is not None for f in findings)
    shown = "\n".join(f.message + f.fix + f.pointer for f in findings)
    for sample in KEY_SAMPLES:
        for piece in _pieces(sample.secret):
            assert piece not in shown, sample.name
        assert sample.secret not in redact_text(f"echo {sample.secret} back"), sample.name


def _pieces(secret: str, size: int = 12) -> set[str]:
    core = "".join(secret.split())
    return {core[i:i + size] for i in range(0, max(1, len(core) - size + 1), size // 2)}


@pytest.mark.parametrize("place", ELSEWHERE)
def test_the_benign_corpus_raises_no_finding(tmp_path, place):
    write_spine_with_benign(tmp_path, place)
    assert [(f.rule, f.file, f.line, f.message) for f in _sec_findings(tmp_path)] == []


def test_the_benign_corpus_holds_what_looks_random():
    names = {name for name, _ in BENIGN}
    assert {"sha256 digest", "git sha", "uuid", "long model id", "infisical path",
            "base64 png (scenario image data)", "semver", "iso date",
            "url without credentials"} <= names


def test_the_reference_spine_raises_no_finding():
    assert _sec_findings(REPO) == []


def _synth() -> Any:
    spec = importlib.util.spec_from_file_location("synth_spine", REPO / "benchmarks" /
                                                  "synth_spine.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_100x_synthetic_spine_raises_no_finding(tmp_path):
    _synth().write_spine(tmp_path / "x100", 100)
    assert _sec_findings(tmp_path / "x100") == []


def test_the_pre_commit_hook_refuses_a_key_in_docs_brain(spine, tmp_path):
    from git import Repo

    repo = Repo.init(spine)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    (spine / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: registry-policy\n"
        "        name: spine-gates registry policy\n"
        f"        entry: {sys.executable} -m spine_gates run registry-policy --no-receipt\n"
        "        language: system\n        pass_filenames: false\n        files: ^docs/\n")
    repo.git.add(A=True)
    repo.index.commit("reference spine")
    env = gates_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), SPINE_GATES_TODAY=TODAY,
                    PATH=f"{Path(sys.executable).parent}:{gates_env().get('PATH', '')}")
    pre_commit = Path(sys.executable).with_name("pre-commit")
    subprocess.run([str(pre_commit) if pre_commit.exists() else "pre-commit", "install"],
                   cwd=spine, env=env, check=True, capture_output=True)
    key = next(s for s in KEY_SAMPLES if s.name == "anthropic").secret
    notes = spine / "docs/brain/roles/architect.md"
    text = notes.read_text()
    line = text.count("\n") + 2
    notes.write_text(text + f"\nDebugging: export ANTHROPIC_API_KEY={key}\n")
    repo.git.add(A=True)
    result = subprocess.run(["git", "commit", "-m", "notes"], cwd=spine, env=env,
                            capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"docs/brain/roles/architect.md:{line}" in output
    assert "SEC-002" in output and "Anthropic API key" in output
    assert key[:20] not in output
    assert repo.head.commit.message == "reference spine"


FORMATS = ["text", "json", "sarif", "junit", "github"]


@pytest.fixture(scope="module")
def everywhere(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planted]]:
    root = tmp_path_factory.mktemp("everywhere")
    return root, write_spine_with_keys_everywhere(root)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_report_format_echoes_a_key_planted_anywhere(everywhere, fmt):
    root, planted = everywhere
    result = run_gates("run", "registry-policy", "--root", str(root), "--format", fmt,
                       "--no-receipt")
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    for sample in KEY_SAMPLES:
        for piece in _pieces(sample.secret):
            assert piece not in output, (fmt, sample.name)
    files = {p.file for p in planted}
    assert all(f"{name}" in output for name in files), fmt


def test_an_inject_file_linking_outside_the_spine_is_refused(spine, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("not the spine's\n")
    (spine / "docs/brain/leak.md").symlink_to(outside)
    result = run_gates("run", "registry-policy", "--root", str(spine), "--no-receipt")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith("gates: error: docs/brain/leak.md")
    assert "outside the spine root" in result.stderr


# Findings of the kinds that existed before the wider scan keep their fingerprints, so baselines
# and waivers written against them still match (values from the narrow scanner).
_EXISTING = {
    "notes": "old nvapi-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 and https://u:p4ssw0rd99@x.example.com",
    "api_key": "sk-proj-Q7wE9rT2yU4iO6pA8sD0fG1hJ3kL5zX7cV9bN2mQ4wE6r",
    "auth_hint": "Zq8xW2vB7nK4mP1tR6yU3sD9",
}


def test_existing_finding_fingerprints_do_not_change(spine):
    import yaml

    path = spine / "docs/governance/PROVIDER_REGISTRY.yaml"
    data = yaml.safe_load(path.read_text())
    data["providers"]["openai"].update(_EXISTING)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=400))
    got = {(f.rule, f.fingerprint) for f in _sec_findings(spine)}
    assert got == {("SEC-001", "bdc8825c1cf4ceee"), ("SEC-002", "190d0afbb3dc9b7c"),
                   ("SEC-003", "6a91f8c731b5f50a"), ("SEC-007", "9d01fc9a896a65cb")}
