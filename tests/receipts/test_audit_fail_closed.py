"""`gates receipts audit` fails closed like `verify`: a store that does not verify is exit 1 (the
review is still written, problems first), a store that cannot be read at all is exit 3 with one
line, and a receipt with any problem is never shown as evidence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from spine_gates.receipts.store import INDEX_FILE
from spine_gates.receipts.verify import verify_chain
from tests.helpers import run_gates
from tests.receipts.receipt_helpers import CHAIN_LENGTH, Chain

INDEX = f"receipts/{INDEX_FILE}"
# The chain fixture lives outside git, so nothing pins its keyring and stderr says so first.
UNPINNED = ("gates: warning: receipts/keys/: the keyring is unpinned (the spine root is not in a "
            "git repository): every .pub in it is trusted; trust anchors are the keys committed "
            "at HEAD\n")


def audit(chain: Chain, fmt: str = "json", *extra: str):
    return run_gates("receipts", "audit", "--root", str(chain.root), "--format", fmt, *extra)


def index_path(chain: Chain) -> Path:
    return chain.root / "receipts" / INDEX_FILE


def timeline_seqs(stdout: str) -> list[int]:
    return [row["seq"] for row in json.loads(stdout)["timeline"]]


def assert_broken(result, *expected: str) -> dict:
    """Exit 1, one stderr line saying the chain is broken (after the unpinned warning), and the
    review names each problem."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith(UNPINNED), result.stderr
    broken = result.stderr.removeprefix(UNPINNED)
    assert broken.count("\n") == 1, result.stderr
    assert broken.startswith("gates: receipt chain BROKEN: "), result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["chain"]["ok"] is False
    shown = [f"{p['receipt']}: {p['reason']}" for p in data["chain"]["problems"]]
    for text in expected:
        assert any(text in line for line in shown), (text, shown)
    return data


def test_the_untouched_chain_audits_with_exit_0(chain):
    result = audit(chain)
    assert result.returncode == 0, result.stderr
    assert result.stderr == UNPINNED
    assert timeline_seqs(result.stdout) == list(range(1, CHAIN_LENGTH + 1))


def test_a_truncated_last_index_line_fails_the_audit(chain):
    data = index_path(chain).read_bytes()
    index_path(chain).write_bytes(data[:-40])  # a torn append: half a line, no newline
    result = assert_broken(audit(chain), f"{INDEX}:{CHAIN_LENGTH}: index line is not JSON",
                           f"{INDEX}:{CHAIN_LENGTH}: the last index line has no newline",
                           f"{chain.rel(CHAIN_LENGTH - 1)}: not in the index")
    assert timeline_seqs(json.dumps(result)) == list(range(1, CHAIN_LENGTH))


def test_a_line_truncated_in_the_middle_of_the_index_fails_and_breaks_the_chain_after_it(chain):
    lines = index_path(chain).read_text().splitlines(keepends=True)
    lines[2] = lines[2][:30] + "\n"
    index_path(chain).write_text("".join(lines))
    data = assert_broken(audit(chain), f"{INDEX}:3: index line is not JSON",
                         f"{chain.rel(3)}: chain cannot be checked here")
    assert timeline_seqs(json.dumps(data)) == [1, 2, 5, 6]


def test_a_non_json_index_line_fails_the_markdown_audit_too(chain):
    lines = index_path(chain).read_text().splitlines(keepends=True)
    lines[1] = "this is not json\n"
    index_path(chain).write_text("".join(lines))
    result = audit(chain, "markdown")
    assert result.returncode == 1, result.stderr
    assert "chain BROKEN" in result.stdout
    assert "**The receipt store does not verify.**" in result.stdout
    assert f"`{INDEX}:2`: index line is not JSON" in result.stdout
    # problems come before the timeline, so nobody reads a clean timeline first
    assert result.stdout.index("## Verification problems") < result.stdout.index("## Timeline")


def test_binary_garbage_as_the_index_fails_with_nothing_verified(chain):
    index_path(chain).write_bytes(bytes(range(256)) * 8 + b"\x00\xff\xfe")
    data = assert_broken(audit(chain), "index line is not JSON", "not in the index")
    assert data["chain"]["verified"] == 0
    assert data["timeline"] == []


def test_binary_garbage_index_lines_are_numbered_by_newlines_only(chain):
    """Form feeds and other separators str.splitlines knows must not shift the line numbers."""
    lines = index_path(chain).read_text().splitlines(keepends=True)
    lines[1] = "\x0c\x1c\x85garbage\u2028more\n"
    index_path(chain).write_text("".join(lines))
    data = assert_broken(audit(chain), f"{INDEX}:2: index line is not JSON")
    assert not any(p["receipt"].startswith(f"{INDEX}:3") for p in data["chain"]["problems"])


def test_a_missing_receipt_file_fails_and_leaves_the_timeline(chain):
    chain.written[2].path.unlink()
    data = assert_broken(audit(chain), f"{chain.rel(2)}: receipt file is missing")
    assert 3 not in timeline_seqs(json.dumps(data))


def test_a_receipt_replaced_by_garbage_fails(chain):
    chain.written[4].path.write_bytes(os.urandom(512))
    assert_broken(audit(chain), f"{chain.rel(4)}: file does not match the digest",
                  f"{chain.rel(4)}: signature check failed")


def test_a_receipt_with_a_problem_is_never_evidence(chain):
    """A receipt signed by a key revoked before it signed still has a valid signature; it must
    not appear in the timeline (or cover content) just because the signature checks out."""
    (chain.root / "receipts" / "keys" / "revoked.yaml").write_text(
        'revoked:\n  - key: ci\n    revoked_at: "2026-11-20T12:00:00Z"\n    reason: test\n')
    data = assert_broken(audit(chain), "was revoked at 2026-11-20T12:00:00Z")
    assert timeline_seqs(json.dumps(data)) == [1, 2, 3]  # signed 09:00, 10:00, 11:00
    assert len(verify_chain(chain.root).receipts) == 3


def test_the_broken_audit_is_still_written_to_output_and_exits_1(chain, tmp_path):
    chain.written[1].path.unlink()
    out = tmp_path / "audit.html"
    result = audit(chain, "html", "--output", str(out))
    assert result.returncode == 1
    assert "receipt chain BROKEN" in result.stderr
    html = out.read_text()
    assert "BROKEN" in html and "receipt file is missing" in html


def test_an_index_that_is_a_directory_is_bad_input(chain):
    index_path(chain).unlink()
    index_path(chain).mkdir()
    for command in ("audit", "verify"):
        result = run_gates("receipts", command, "--root", str(chain.root))
        assert result.returncode == 3, (command, result.stderr)
        assert result.stderr == (f"gates: error: {INDEX}: is not a regular file, expected the "
                                 "receipt index (JSON lines)\n")


def test_a_dangling_index_link_is_bad_input_not_an_empty_chain(chain):
    index_path(chain).unlink()
    index_path(chain).symlink_to(chain.root / "nowhere.jsonl")
    result = audit(chain)
    assert result.returncode == 3
    assert result.stderr.startswith(f"gates: error: {INDEX}: is a dangling symbolic link")


def test_a_fifo_in_place_of_a_receipt_is_a_problem_not_a_hang(chain):
    chain.written[3].path.unlink()
    os.mkfifo(chain.written[3].path)
    result = run_gates("receipts", "verify", "--root", str(chain.root), timeout=30)
    assert result.returncode == 1
    assert f"{chain.rel(3)}: receipt file is not a regular file" in result.stdout


def _plant_socket(path: Path) -> None:
    """A Unix socket file where the receipt was (made under a short path: AF_UNIX paths are
    limited to 108 bytes, then moved; the file stays after close and opening it is ENXIO)."""
    import socket
    import tempfile

    path.unlink()
    short = Path(tempfile.mkdtemp(prefix="sg", dir="/tmp"))
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(short / "s"))
        (short / "s").rename(path)
    finally:
        short.rmdir()


def _plant_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


@pytest.mark.parametrize(("plant", "reason"), [
    (_plant_socket, "receipt file cannot be read (No such device or address)"),
    (_plant_loop, "receipt file cannot be read (Too many levels of symbolic links)"),
])
def test_an_unopenable_receipt_is_a_problem_and_the_review_is_written(chain, plant, reason):
    plant(chain.written[3].path)
    result = run_gates("receipts", "verify", "--root", str(chain.root), timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{chain.rel(3)}: {reason}" in result.stdout
    reviewed = audit(chain)
    assert reviewed.returncode == 1 and json.loads(reviewed.stdout), reviewed.stderr


def test_a_nul_in_an_index_path_is_a_problem_not_a_crash(chain):
    lines = index_path(chain).read_text().splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["path"] = entry["path"][:2] + "\x00" + entry["path"][2:]
    lines[1] = json.dumps(entry) + "\n"
    index_path(chain).write_text("".join(lines))
    result = run_gates("receipts", "verify", "--root", str(chain.root))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "receipt path cannot name a file" in result.stdout


def test_a_broken_spine_settings_file_is_bad_input_for_the_audit(chain):
    (chain.root / "spine-gates.yaml").write_text("registries: [\n")
    result = audit(chain)
    assert result.returncode == 3
    assert result.stderr.startswith("gates: error: spine-gates.yaml:")
    assert result.stderr.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_index_is_bad_input(chain):
    index_path(chain).chmod(0)
    try:
        result = audit(chain)
    finally:
        index_path(chain).chmod(0o644)
    assert result.returncode == 3
    assert result.stderr.startswith(f"gates: error: {INDEX}: cannot read the receipt index")


def test_an_index_that_is_a_link_loop_is_bad_input(chain):
    """Unreadable for root too (ELOOP), so this runs wherever the suite does."""
    index = index_path(chain)
    index.unlink()
    index.symlink_to(index.name)
    result = audit(chain)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: error: {INDEX}:")
    assert result.stderr.count("\n") == 1


def test_control_characters_planted_in_the_index_are_shown_escaped(chain):
    lines = index_path(chain).read_text().splitlines(keepends=True)
    entry = json.loads(lines[2])
    entry["path"] = "2026/11/\x1b[2J\x1b]0;pwned\x07.dsse.json"
    lines[2] = json.dumps(entry) + "\n"
    index_path(chain).write_text("".join(lines))
    for fmt in ("markdown", "json"):
        result = audit(chain, fmt)
        assert result.returncode == 1
        assert "\x1b" not in result.stdout + result.stderr
        assert "\x07" not in result.stdout + result.stderr
    verify = run_gates("receipts", "verify", "--root", str(chain.root))
    assert verify.returncode == 1
    assert "\x1b" not in verify.stdout
    assert "receipts/2026/11/\\x1b[2J\\x1b]0;pwned\\x07.dsse.json: index path is not" \
        in verify.stdout
