"""Trust anchors: the `receipts/keys/*.pub` committed at HEAD, and nothing else.

An attacker who can write to the worktree (a pull request, a compromised job) must not be able to
add trust: an untracked, staged or modified key is a problem with its fix, never a signer; the
store files HEAD tracks cannot silently vanish; a key that is a FIFO or a link out of the spine
cannot hang or grow `verify`. Outside git nothing can be pinned, and verify says so.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO, gates_env, run_gates

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
KEYS = "receipts/keys"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test Author",
                           "-c", "user.email=author@example.invalid", "-c", "commit.gpgsign=false",
                           *args], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def keygen(root: Path, home: Path, name: str) -> Path:
    key = home / f"{name}.key"
    made = run_gates("receipts", "keygen", "--root", str(root), "--out", str(key), "--name", name)
    assert made.returncode == 0, made.stderr
    return key


def gated_run(root: Path, key: Path) -> None:
    done = run_gates("run", "registry-policy", "--root", str(root), "--receipt", "--signing-key",
                     str(key))
    assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class Spine:
    root: Path
    home: Path  # private keys live here, outside the spine
    ci: Path

    def verify(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_gates("receipts", "verify", "--root", str(self.root), *extra, timeout=30)

    def audit(self) -> subprocess.CompletedProcess[str]:
        return run_gates("receipts", "audit", "--root", str(self.root), "--format", "json",
                         timeout=30)


@pytest.fixture
def pinned(spine: Path, tmp_path: Path) -> Spine:
    """A spine in git whose key `ci` is committed at HEAD, with one passing receipt by it."""
    home = tmp_path / "private"
    ci = keygen(spine, home, "ci")
    git(spine, "init", "-q")
    git(spine, "add", "docs", f"{KEYS}/ci.pub")
    git(spine, "commit", "-q", "-m", "spine and the ci key")
    gated_run(spine, ci)
    return Spine(spine, home, ci)


@pytest.fixture
def unpinned(spine: Path, tmp_path: Path) -> Spine:
    """The same spine and receipt outside any git repository."""
    home = tmp_path / "private"
    ci = keygen(spine, home, "ci")
    gated_run(spine, ci)
    return Spine(spine, home, ci)


def forge_pass_for_failing_content(root: Path, key: Path) -> None:
    """A hand-made receipt: the gate passed on the good content, the content is then broken, and
    the receipt (subjects read now) says PASS for the broken content, signed by `key`."""
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate
    from spine_gates.receipts.emit import emit_receipt
    from spine_gates.receipts.keys import load_signing_key

    result = run_gate(load_gates()["registry-policy"], prepare(root))
    assert result.passed
    path = root / ROLES
    path.write_text(path.read_text().replace("nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m"))
    signing = load_signing_key(str(key))
    assert signing is not None
    emit_receipt(result, signing, git=None)
    failing = run_gates("run", "registry-policy", "--root", str(root), "--no-receipt")
    assert failing.returncode == 1, "the forged receipt must cover content that fails"


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]


def assert_rejected(spine: Spine, key_problem: str, command: str) -> None:
    """The forged receipt is no evidence: `command` fails and names the key's problem."""
    if command == "audit":
        result = spine.audit()
        assert result.returncode == 1, result.stdout + result.stderr
        data = json.loads(result.stdout)
        shown = [f"{p['receipt']}: {p['reason']}" for p in data["chain"]["problems"]]
        assert [row["signer"] for row in data["timeline"]] == ["ci"]
        assert [k["name"] for k in data["keys"]] == ["ci"]
    else:
        result = spine.verify(*(["--against-worktree"] if command == "against-worktree" else []))
        assert result.returncode == 1, result.stdout + result.stderr
        shown = [line.removeprefix("FAIL ") for line in lines(result)]
    assert any(key_problem in line for line in shown), shown
    assert any("no trusted key verifies the signature" in line for line in shown), shown


COMMANDS = ["verify", "against-worktree", "audit"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_pass_forged_with_an_untracked_key_is_rejected(pinned, command):
    evil = keygen(pinned.root, pinned.home, "evil")
    forge_pass_for_failing_content(pinned.root, evil)
    assert_rejected(pinned, f"{KEYS}/evil.pub: not committed at HEAD", command)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_pass_forged_with_a_staged_but_uncommitted_key_is_rejected(pinned, command):
    evil = keygen(pinned.root, pinned.home, "evil")
    git(pinned.root, "add", f"{KEYS}/evil.pub")
    forge_pass_for_failing_content(pinned.root, evil)
    assert_rejected(pinned, f"{KEYS}/evil.pub: not committed at HEAD (staged", command)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_committed_key_overwritten_in_the_worktree_signs_nothing(pinned, command):
    evil = keygen(pinned.root, pinned.home, "evil")
    public = pinned.root / KEYS
    (public / "evil.pub").replace(public / "ci.pub")  # the forger's key under the trusted name
    forge_pass_for_failing_content(pinned.root, evil)
    assert_rejected(pinned, f"{KEYS}/ci.pub: differs from the key committed at HEAD (modified)",
                    command)


def test_a_committed_key_replaced_by_a_link_to_another_key_inside_the_root_is_modified(pinned):
    evil = keygen(pinned.root, pinned.home, "evil")
    (pinned.root / "docs" / "evil.pub").write_bytes((pinned.root / KEYS / "evil.pub").read_bytes())
    (pinned.root / KEYS / "evil.pub").unlink()
    (pinned.root / KEYS / "ci.pub").unlink()
    (pinned.root / KEYS / "ci.pub").symlink_to(pinned.root / "docs" / "evil.pub")
    forge_pass_for_failing_content(pinned.root, evil)
    assert_rejected(pinned, f"{KEYS}/ci.pub: differs from the key committed at HEAD (modified)",
                    "against-worktree")


def test_an_untracked_key_is_a_problem_with_its_fix_even_when_it_signed_nothing(pinned):
    keygen(pinned.root, pinned.home, "spare")
    result = pinned.verify()
    assert result.returncode == 1
    assert lines(result) == [f"FAIL {KEYS}/spare.pub: not committed at HEAD (untracked), so not "
                             f"a trust anchor; commit {KEYS}/spare.pub to trust it"]


def test_the_committed_keyring_verifies_clean(pinned):
    result = pinned.verify("--against-worktree")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unpinned" not in result.stderr


def test_keygen_says_committing_the_public_key_is_the_next_step(spine, tmp_path):
    made = run_gates("receipts", "keygen", "--root", str(spine), "--out",
                     str(tmp_path / "k" / "ci.key"), "--name", "ci")
    assert made.returncode == 0, made.stderr
    assert f"next step:   commit {KEYS}/ci.pub" in made.stdout


@pytest.mark.parametrize("command", ["verify", "audit"])
def test_outside_git_the_keyring_is_reported_unpinned_and_the_result_is_unchanged(unpinned,
                                                                                 command):
    keygen(unpinned.root, unpinned.home, "spare")  # trusted here: nothing can be pinned
    result = unpinned.verify() if command == "verify" else unpinned.audit()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: warning: {KEYS}/: the keyring is unpinned (the "
                                    "spine root is not in a git repository)"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_repository_without_commits_pins_nothing_and_says_so(unpinned):
    git(unpinned.root, "init", "-q")
    result = unpinned.verify("--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the keyring is unpinned (the repository has no commit yet)" in result.stderr
    data = json.loads(result.stdout)
    assert data["pinned"] is False and data["warnings"]


@pytest.fixture
def committed_store(pinned: Spine) -> Spine:
    """The receipts, index and a revocation list committed at HEAD."""
    (pinned.root / KEYS / "revoked.yaml").write_text("revoked: []\n")
    git(pinned.root, "add", "receipts")
    git(pinned.root, "commit", "-q", "-m", "receipts")
    return pinned


@pytest.mark.parametrize("target", ["receipts/index.jsonl", f"{KEYS}/revoked.yaml"])
def test_a_committed_store_file_deleted_from_the_worktree_is_a_problem(committed_store, target):
    (committed_store.root / target).unlink()
    expected = (f"{target}: committed at HEAD but deleted from the worktree; restore it: git "
                f"checkout HEAD -- {target}")
    verify = committed_store.verify()
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert f"FAIL {expected}" in lines(verify)
    audit = committed_store.audit()
    assert audit.returncode == 1, audit.stderr
    assert expected in [f"{p['receipt']}: {p['reason']}"
                        for p in json.loads(audit.stdout)["chain"]["problems"]]


def test_the_whole_store_deleted_is_a_problem(committed_store):
    shutil.rmtree(committed_store.root / "receipts")
    result = committed_store.verify()
    assert result.returncode == 1, result.stdout
    shown = lines(result)
    for target in ("receipts/index.jsonl", f"{KEYS}/ci.pub", f"{KEYS}/revoked.yaml"):
        assert any(line.startswith(f"FAIL {target}: committed at HEAD but deleted")
                   for line in shown), shown
    assert any(line.endswith(".dsse.json: committed at HEAD but deleted from the worktree; "
                             "restore it: git checkout HEAD -- " + line[5:].split(":")[0])
               for line in shown), shown


def test_a_committed_revocation_holds_when_the_worktree_drops_it(pinned):
    (pinned.root / KEYS / "revoked.yaml").write_text(
        "revoked:\n  - key: ci\n    revoked_at: 2000-01-01\n    reason: laptop lost\n")
    git(pinned.root, "add", f"{KEYS}/revoked.yaml")
    git(pinned.root, "commit", "-q", "-m", "revoke ci")
    (pinned.root / KEYS / "revoked.yaml").write_text("revoked: []\n")
    result = pinned.verify()
    assert result.returncode == 1, result.stdout
    assert any("but that key was revoked at 2000-01-01T00:00:00Z" in line
               for line in lines(result)), result.stdout


def bounded_gates(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with a timeout and a memory cap: a key read from /dev/zero must fail the test,
    never take the machine's memory."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "spine_gates", *args], cwd=REPO,
                          env=gates_env(), capture_output=True, text=True, timeout=20,
                          preexec_fn=cap)


@pytest.mark.parametrize("where", ["unpinned", "pinned"])
@pytest.mark.parametrize("command", ["verify", "audit"])
def test_a_fifo_key_is_a_problem_not_a_hang(request, where, command):
    spine = request.getfixturevalue(where)
    os.mkfifo(spine.root / KEYS / "fifo.pub")
    result = bounded_gates("receipts", command, "--root", str(spine.root))
    assert result.returncode == 1, result.stdout + result.stderr
    shown = result.stdout.replace("`", "")  # the audit's markdown quotes the file name
    assert f"{KEYS}/fifo.pub: not a regular file" in shown


@pytest.mark.parametrize("where", ["unpinned", "pinned"])
def test_a_key_linked_to_dev_zero_is_bad_input_not_a_hang(request, where):
    spine = request.getfixturevalue(where)
    (spine.root / KEYS / "zero.pub").symlink_to("/dev/zero")
    result = bounded_gates("receipts", "verify", "--root", str(spine.root))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: error: {KEYS}/zero.pub: resolves outside the spine "
                                    "root (a link or '..' leaves it)")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("where", ["unpinned", "pinned"])
def test_a_key_linked_from_outside_the_root_is_bad_input(request, where, tmp_path):
    spine = request.getfixturevalue(where)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "spine-gates.yaml").write_text("{}\n")  # another spine, whose key is linked in
    keygen(outside, spine.home, "evil")
    (spine.root / KEYS / "evil.pub").symlink_to(outside / KEYS / "evil.pub")
    result = run_gates("receipts", "verify", "--root", str(spine.root))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: error: {KEYS}/evil.pub: resolves outside the spine "
                                    "root")


def test_a_keys_folder_linked_outside_the_root_is_bad_input(unpinned, tmp_path):
    outside = tmp_path / "elsewhere"
    (unpinned.root / KEYS).rename(outside)
    (unpinned.root / KEYS).symlink_to(outside)
    result = run_gates("receipts", "verify", "--root", str(unpinned.root))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: error: {KEYS}: resolves outside the spine root")
