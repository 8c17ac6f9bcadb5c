"""`gates run --receipt`, `gates receipts keygen|verify`: keys, defaults, storage, bad input."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from spine_gates.receipts.store import INDEX_FILE, PENDING_FILE
from spine_gates.receipts.verify import verify_chain
from tests.helpers import REPO, gates_env, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"


@pytest.fixture
def key(spine: Path, tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "ci.key"
    made = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(path), "--name",
                     "ci")
    assert made.returncode == 0, made.stderr
    return path


def receipt_run(spine: Path, key: Path, *extra: str, env: dict | None = None):
    return run_gates("run", "registry-policy", "--root", str(spine), "--receipt",
                     "--signing-key", str(key), "--format", "json", *extra, env=env)


def payload_of(path: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(path.read_bytes())["payload"]))


def test_keygen_writes_a_0600_private_key_and_a_public_key_into_receipts_keys(key, spine):
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key.read_text()
    public = spine / "receipts" / "keys" / "ci.pub"
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_keygen_output_shows_no_private_key_material(spine, tmp_path):
    path = tmp_path / "k" / "a.key"
    result = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(path))
    body = "".join(path.read_text().splitlines()[1:-1])
    assert body[:8] not in result.stdout + result.stderr
    assert "key id:      sha256:" in result.stdout


@pytest.mark.parametrize("inside", ["spine", "worktree"])
def test_keygen_refuses_a_private_key_inside_the_repository(spine, inside):
    target = spine / "ci.key" if inside == "spine" else REPO / "ci.key"
    result = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(target))
    assert result.returncode == 3
    assert result.stderr.startswith("gates: error: ") and "inside the repository" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_keygen_refuses_to_overwrite_a_key(key, spine, tmp_path):
    result = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), "--name",
                       "other")
    assert result.returncode == 3 and "already exists" in result.stderr
    again = run_gates("receipts", "keygen", "--root", str(spine), "--out",
                      str(tmp_path / "x.key"), "--name", "ci")
    assert again.returncode == 3 and "receipts/keys/ci.pub" in again.stderr


def test_a_receipt_run_puts_path_and_digest_into_the_json_report(spine, key):
    result = receipt_run(spine, key)
    assert result.returncode == 0, result.stderr
    receipt = json.loads(result.stdout)["receipt"]
    path = Path(receipt["path"])
    path = path if path.is_absolute() else REPO / path
    assert path.name == f"{receipt['runKey']}.dsse.json"
    import hashlib

    assert receipt["digest"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    statement = payload_of(path)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://spine-gates.dev/gate-run/v1"
    names = {s["name"] for s in statement["subject"]}
    assert PROVIDERS in names and len(names) == 4
    predicate = statement["predicate"]
    assert predicate["previous"] is None and predicate["git"] is None
    assert predicate["verdict"]["passed"] is True
    assert predicate["policyDigest"].startswith("sha256:")


def test_each_receipt_names_the_previous_one(spine, key):
    first = json.loads(receipt_run(spine, key).stdout)["receipt"]
    second = json.loads(receipt_run(spine, key).stdout)["receipt"]
    path = spine / "receipts" / "index.jsonl"
    assert len(path.read_text().splitlines()) == 2
    second_path = next((spine / "receipts").rglob(f"{second['runKey']}.dsse.json"))
    assert payload_of(second_path)["predicate"]["previous"] == first["digest"]


def test_receipt_without_any_key_is_bad_input(spine):
    env = {k: v for k, v in gates_env().items() if not k.startswith("SPINE_GATES_SIGNING")}
    result = run_gates("run", "registry-policy", "--root", str(spine), "--receipt", env=env)
    assert result.returncode == 3
    assert result.stderr.startswith("gates: error: --receipt needs a signing key")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (spine / "receipts" / INDEX_FILE).exists()


def test_ci_turns_receipts_on_with_a_key_from_the_environment(spine, key):
    env = gates_env(CI="true", SPINE_GATES_SIGNING_KEY=key.read_text())
    result = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json",
                       env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["receipt"]["seq"] == 1


def test_a_key_file_from_the_environment_and_no_receipt_opt_out(spine, key):
    env = gates_env(CI="1", SPINE_GATES_SIGNING_KEY_FILE=str(key))
    off = run_gates("run", "registry-policy", "--root", str(spine), "--no-receipt", "--format",
                    "json", env=env)
    assert json.loads(off.stdout)["receipt"] is None
    on = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json", env=env)
    assert json.loads(on.stdout)["receipt"]["seq"] == 1


def test_a_base64_raw_seed_via_an_env_reference_signs(spine, key):
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key.read_bytes(), None)
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    env = gates_env(SPINE_GATES_SIGNING_KEY_REF="env:MY_SIGNING_SEED",
                    MY_SIGNING_SEED=base64.b64encode(seed).decode())
    result = run_gates("run", "registry-policy", "--root", str(spine), "--receipt", "--format",
                       "json", env=env)
    assert result.returncode == 0, result.stderr
    assert run_gates("receipts", "verify", "--root", str(spine)).returncode == 0


def test_ci_without_a_key_warns_and_runs_without_a_receipt(spine):
    env = {k: v for k, v in gates_env(CI="true").items()
           if not k.startswith("SPINE_GATES_SIGNING")}
    result = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json",
                       env=env)
    assert result.returncode == 0
    assert "no signing key is configured" in result.stderr
    assert json.loads(result.stdout)["receipt"] is None


def test_ci_without_a_key_and_bad_input_prints_only_the_error(spine):
    """The warning is about a receipt that is not written; a run that stops on bad input would
    write none anyway, so its one error line stays the only line (the CI runner sets CI)."""
    (spine / "docs" / "governance" / "PROVIDER_REGISTRY.yaml").write_text("a: [\n")
    result = run_gates("run", "registry-policy", "--root", str(spine), env=gates_env(CI="true"))
    assert result.returncode == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("gates: error: docs/governance/PROVIDER_REGISTRY.yaml:")


def test_off_by_default_outside_ci(spine, key):
    env = {k: v for k, v in gates_env().items() if k != "CI"}
    result = run_gates("run", "registry-policy", "--root", str(spine), "--format", "json",
                       "--signing-key", str(key), env=env)
    assert json.loads(result.stdout)["receipt"] is None


def test_a_run_that_dies_on_bad_input_writes_no_receipt(spine, key):
    (spine / PROVIDERS).write_text("providers: [unclosed\n")
    result = receipt_run(spine, key)
    assert result.returncode == 3
    assert not (spine / "receipts" / INDEX_FILE).exists()
    assert not list((spine / "receipts").rglob("*.dsse.json"))


def test_concurrent_runs_form_one_unbroken_chain(spine, key):
    cmd = [sys.executable, "-m", "spine_gates", "run", "registry-policy", "--root", str(spine),
           "--receipt", "--signing-key", str(key)]
    procs = [subprocess.Popen(cmd, env=gates_env(), cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(8)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    report = verify_chain(spine)
    assert report.ok, report.problems
    assert [r.seq for r in report.receipts] == list(range(1, 9))


def test_a_write_interrupted_after_its_index_line_is_completed_by_the_next_run(spine, key):
    assert receipt_run(spine, key).returncode == 0
    second = json.loads(receipt_run(spine, key).stdout)["receipt"]
    placed = next((spine / "receipts").rglob(f"{second['runKey']}.dsse.json"))
    placed.rename(spine / "receipts" / PENDING_FILE)  # as if it died before the rename
    reasons = [p.reason for p in verify_chain(spine).problems]
    assert any("interrupted write" in r for r in reasons), reasons
    assert receipt_run(spine, key).returncode == 0
    report = verify_chain(spine)
    assert report.ok, report.problems
    assert len(report.receipts) == 3 and placed.exists()


def test_a_write_interrupted_before_its_index_line_leaves_no_receipt(spine, key):
    assert receipt_run(spine, key).returncode == 0
    index = spine / "receipts" / INDEX_FILE
    before = index.read_text()
    second = json.loads(receipt_run(spine, key).stdout)["receipt"]
    placed = next((spine / "receipts").rglob(f"{second['runKey']}.dsse.json"))
    placed.rename(spine / "receipts" / PENDING_FILE)
    index.write_text(before)  # died after the envelope, before the index line
    assert verify_chain(spine).ok  # the chain never included it
    assert receipt_run(spine, key).returncode == 0
    report = verify_chain(spine)
    assert report.ok, report.problems
    assert len(report.receipts) == 2
    assert not (spine / "receipts" / PENDING_FILE).exists()


def test_verify_against_worktree_catches_an_unreceipted_change(spine, key):
    receipt_run(spine, key)
    ok = run_gates("receipts", "verify", "--root", str(spine), "--against-worktree")
    assert ok.returncode == 0, ok.stdout
    with (spine / PROVIDERS).open("a") as handle:
        handle.write("# edited after the gate ran\n")
    bad = run_gates("receipts", "verify", "--root", str(spine), "--against-worktree")
    assert bad.returncode == 1
    assert f"{PROVIDERS} changed since the newest passing run of a gate that reads it" \
        in bad.stdout


def test_against_worktree_without_a_passing_receipt_fails(spine):
    result = run_gates("receipts", "verify", "--root", str(spine), "--against-worktree")
    assert result.returncode == 1 and "no passing receipt" in result.stdout


def test_a_malformed_public_key_file_is_bad_input(spine, key):
    (spine / "receipts" / "keys" / "broken.pub").write_text("-----BEGIN PUBLIC KEY-----\nxx\n")
    result = run_gates("receipts", "verify", "--root", str(spine))
    assert result.returncode == 3
    assert result.stderr.strip() == ("gates: error: receipts/keys/broken.pub:1: not a readable "
                                     "PEM public key")


def test_a_revocation_without_a_date_is_bad_input_with_a_line(spine, key):
    (spine / "receipts" / "keys" / "revoked.yaml").write_text(
        "revoked:\n  - key: ci\n    revoked_at: soon\n")
    result = run_gates("receipts", "verify", "--root", str(spine))
    assert result.returncode == 3
    assert "receipts/keys/revoked.yaml:3:" in result.stderr


def test_a_receipt_never_contains_a_planted_key(spine, key):
    """A literal key in a registry and another in a waiver's reason: the signed receipt holds no
    8-character piece of either (and the waiver cannot accept the leaked keys: the run fails)."""
    in_registry = "sk-ant-api03-" + "Zq7Xv2Lp9Rt4Wm8Kd3Hs6Nf1Bc5Gy0Ju"
    in_waiver = "sk-or-v1-" + "0123456789abcdef0123456789abcdef0123456789abcdef"
    text = (spine / PROVIDERS).read_text()
    (spine / PROVIDERS).write_text(text.replace(
        "api_key_ref: infisical://spine/ai/providers/ANTHROPIC_API_KEY",
        f'api_key_ref: "{in_registry}"', 1))
    rules = {f["rule"] for f in json.loads(run_gates(
        "run", "registry-policy", "--root", str(spine), "--format", "json").stdout)["findings"]}
    assert rules, "the planted key must produce a finding"
    (spine / "waivers.yaml").write_text("waivers:\n" + "".join(
        f"  - rule: {rule}\n    reason: rotating {in_waiver} this week\n"
        f"    owner: \"@ronny\"\n    expires: \"2026-12-01\"\n" for rule in sorted(rules)))
    result = receipt_run(spine, key)
    assert result.returncode == 1 and "rotate it" in result.stdout, result.stdout + result.stderr
    path = next((spine / "receipts").rglob("*.dsse.json"))
    decoded = base64.b64decode(json.loads(path.read_bytes())["payload"]).decode()
    assert "waivers.yaml" in decoded, "the key in the waiver's reason must be a finding"
    for secret in (in_registry, in_waiver):
        for start in range(len(secret) - 7):
            assert secret[start:start + 8] not in decoded


def test_the_pre_commit_path_does_not_import_cryptography_or_git():
    code = ("import sys; from spine_gates.cli import main; rc = main(['run', 'registry-policy', "
            "'--format', 'json']); print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('cryptography', 'git', 'spine_gates') and ('receipts' in m or m.split('.')[0] != "
            "'spine_gates')))")
    env = {k: v for k, v in gates_env().items() if k != "CI"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_receipts_folder_of_this_repository_holds_only_keys_and_readme():
    tracked = subprocess.run(["git", "ls-files", "receipts"], cwd=REPO, capture_output=True,
                             text=True).stdout.split()
    assert all(p == "receipts/README.md" or p.startswith("receipts/keys/") for p in tracked)
    assert os.path.exists(REPO / "receipts" / "README.md")


def test_a_missing_key_file_is_bad_input(spine, tmp_path):
    result = run_gates("run", "registry-policy", "--root", str(spine), "--receipt",
                       "--signing-key", str(tmp_path / "nope.key"))
    assert result.returncode == 3
    expected = f"gates: error: {tmp_path / 'nope.key'}: signing key file not found"
    assert result.stderr.strip() == expected


def test_a_malformed_key_in_the_environment_is_bad_input_and_never_echoed(spine):
    value = "definitely-not-a-key-Qx81Zr"
    result = run_gates("run", "registry-policy", "--root", str(spine), "--receipt",
                       env=gates_env(SPINE_GATES_SIGNING_KEY=value))
    assert result.returncode == 3
    assert "$SPINE_GATES_SIGNING_KEY" in result.stderr and value not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
