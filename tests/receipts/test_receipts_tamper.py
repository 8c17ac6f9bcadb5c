"""The tamper suite: every mutation of a receipt chain is rejected, naming receipt and reason."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import shutil
from pathlib import Path

import git
import pytest

from spine_gates.receipts import dsse
from spine_gates.receipts.keys import generate_key, load_signing_key
from spine_gates.receipts.store import INDEX_FILE, IndexEntry, digest_bytes
from spine_gates.receipts.verify import verify_chain
from tests.helpers import run_gates
from tests.receipts.receipt_helpers import CHAIN_LENGTH, Chain


def problems(root: Path) -> list[tuple[str, str]]:
    return [(p.receipt, p.reason) for p in verify_chain(root).problems]


def index_lines(root: Path) -> list[str]:
    return (root / "receipts" / INDEX_FILE).read_text().splitlines(keepends=True)


def write_index(root: Path, lines: list[str]) -> None:
    (root / "receipts" / INDEX_FILE).write_text("".join(lines))


def reasons_for(root: Path, receipt: str) -> list[str]:
    return [reason for name, reason in problems(root) if name == receipt]


def envelope(chain: Chain, index: int) -> dict:
    return json.loads(chain.written[index].path.read_bytes())


def save_envelope(chain: Chain, index: int, data: dict) -> None:
    chain.written[index].path.write_text(json.dumps(data))


def test_the_untouched_chain_verifies(chain):
    report = verify_chain(chain.root)
    assert report.ok, report.problems
    assert len(report.receipts) == report.count == CHAIN_LENGTH


def test_the_untouched_chain_verifies_through_the_cli(chain):
    result = run_gates("receipts", "verify", "--root", str(chain.root))
    assert result.returncode == 0, result.stderr
    assert f"ok: {CHAIN_LENGTH} receipt(s) verified" in result.stdout


def test_a_flipped_byte_in_the_signed_payload_is_rejected(chain):
    data = envelope(chain, 2)
    payload = bytearray(base64.b64decode(data["payload"]))
    payload[len(payload) // 2] ^= 0x01
    data["payload"] = base64.b64encode(bytes(payload)).decode()
    save_envelope(chain, 2, data)
    reasons = reasons_for(chain.root, chain.rel(2))
    assert any("no trusted key verifies the signature" in r for r in reasons), reasons


def test_a_payload_rewritten_and_reindexed_still_fails_the_signature(chain):
    """Even with the index digest updated to match, the signature does not."""
    data = envelope(chain, 1)
    statement = json.loads(base64.b64decode(data["payload"]))
    statement["predicate"]["verdict"]["passed"] = False
    data["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    raw = (json.dumps(data) + "\n").encode()
    chain.written[1].path.write_bytes(raw)
    lines = index_lines(chain.root)
    entry = json.loads(lines[1])
    entry["digest"] = digest_bytes(raw)
    lines[1] = json.dumps(entry) + "\n"
    write_index(chain.root, lines)
    reasons = reasons_for(chain.root, chain.rel(1))
    assert reasons == ["signature check failed: no trusted key verifies the signature"]
    assert any("chain broken" in r for r in reasons_for(chain.root, chain.rel(2)))


def test_a_flipped_byte_in_the_signature_is_rejected(chain):
    data = envelope(chain, 4)
    sig = bytearray(base64.b64decode(data["signatures"][0]["sig"]))
    sig[7] ^= 0x80
    data["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    save_envelope(chain, 4, data)
    assert any("no trusted key verifies" in r for r in reasons_for(chain.root, chain.rel(4)))


def test_every_single_byte_flip_in_a_receipt_file_is_rejected(chain):
    """Flip one bit at each position of a stored receipt; verify must name it every time."""
    path = chain.written[3].path
    original = path.read_bytes()
    missed = []
    for position in range(len(original)):
        mutated = bytearray(original)
        mutated[position] ^= 0x01
        path.write_bytes(bytes(mutated))
        if not reasons_for(chain.root, chain.rel(3)):
            missed.append(position)
    path.write_bytes(original)
    assert not missed, f"flips at {missed[:10]} went unnoticed"
    assert verify_chain(chain.root).ok


def test_a_deleted_receipt_file_is_named(chain):
    chain.written[2].path.unlink()
    assert reasons_for(chain.root, chain.rel(2)) == ["receipt file is missing (deleted?)"]


def test_a_receipt_deleted_with_its_index_line_breaks_the_chain(chain):
    chain.written[2].path.unlink()
    lines = index_lines(chain.root)
    del lines[2]
    write_index(chain.root, lines)
    reasons = reasons_for(chain.root, chain.rel(3))
    assert any("chain broken" in r for r in reasons), reasons
    assert any("index sequence is 4 at position 3" in r for r in reasons), reasons


def test_a_receipt_deleted_and_the_index_renumbered_still_breaks_the_chain(chain):
    chain.written[2].path.unlink()
    lines = index_lines(chain.root)
    del lines[2]
    renumbered = []
    for seq, line in enumerate(lines, 1):
        entry = json.loads(line)
        entry["seq"] = seq
        renumbered.append(json.dumps(entry) + "\n")
    write_index(chain.root, renumbered)
    reasons = reasons_for(chain.root, chain.rel(3))
    assert any(f"names previous {chain.written[2].digest}" in r for r in reasons), reasons


def _forged(chain: Chain, previous: str, when: _dt.datetime, signer, keyid: str | None = None):
    """A well-formed receipt for `previous`, signed by `signer` (possibly untrusted)."""
    template = json.loads(base64.b64decode(envelope(chain, 0)["payload"]))
    run_key = f"CAP-{when:%Y%m%d-%H%M%S}__gates.registry-policy__RFAKE"[:-5] + "RZZZZ"
    template["predicate"].update({"previous": previous, "runKey": run_key,
                                  "time": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
    payload = json.dumps(template, sort_keys=True).encode()
    env = dsse.sign(payload, signer)
    if keyid is not None:
        env = dsse.Envelope(env.payload, env.payload_type,
                            (dsse.Signature(keyid, env.signatures[0].sig),))
    raw = env.to_bytes()
    relative = f"{when:%Y/%m}/{run_key}.dsse.json"
    path = chain.root / "receipts" / relative
    path.write_bytes(raw)
    return relative, run_key, raw


def _untrusted_signer(tmp_path: Path):
    pem, _public = generate_key()
    key_file = tmp_path / "untrusted.key"
    key_file.write_bytes(pem)
    return load_signing_key(str(key_file))


def test_an_appended_receipt_signed_by_an_untrusted_key_is_rejected(chain, tmp_path):
    head = chain.written[-1]
    relative, run_key, raw = _forged(chain, head.digest, _dt.datetime(2026, 11, 21, tzinfo=_dt.UTC),
                                     _untrusted_signer(tmp_path))
    entry = IndexEntry(CHAIN_LENGTH + 1, relative, digest_bytes(raw), run_key, 0)
    write_index(chain.root, [*index_lines(chain.root), entry.to_line()])
    assert reasons_for(chain.root, f"receipts/{relative}") == [
        "signature check failed: no trusted key verifies the signature"]


def test_an_untrusted_signature_claiming_a_trusted_keyid_is_rejected(chain, tmp_path):
    """The keyid is a hint: naming the trusted key's id does not make a signature valid."""
    head = chain.written[-1]
    relative, run_key, raw = _forged(chain, head.digest, _dt.datetime(2026, 11, 21, tzinfo=_dt.UTC),
                                     _untrusted_signer(tmp_path), keyid=chain.key.keyid)
    entry = IndexEntry(CHAIN_LENGTH + 1, relative, digest_bytes(raw), run_key, 0)
    write_index(chain.root, [*index_lines(chain.root), entry.to_line()])
    assert any("no trusted key verifies" in r
               for r in reasons_for(chain.root, f"receipts/{relative}"))


def test_an_untrusted_receipt_inserted_mid_chain_is_rejected(chain, tmp_path):
    relative, run_key, raw = _forged(
        chain, chain.written[1].digest, _dt.datetime(2026, 11, 20, 10, 30, tzinfo=_dt.UTC),
        _untrusted_signer(tmp_path))
    lines = index_lines(chain.root)
    lines.insert(2, IndexEntry(3, relative, digest_bytes(raw), run_key, 0).to_line())
    write_index(chain.root, lines)
    found = problems(chain.root)
    assert (f"receipts/{relative}",
            "signature check failed: no trusted key verifies the signature") in found
    assert any(name == chain.rel(2) and "index sequence" in reason for name, reason in found)


def test_a_trusted_receipt_inserted_mid_chain_breaks_the_chain(chain):
    """Even the real key cannot splice a receipt in: its successor names another digest."""
    relative, run_key, raw = _forged(
        chain, chain.written[1].digest, _dt.datetime(2026, 11, 20, 10, 30, tzinfo=_dt.UTC),
        chain.key)
    lines = index_lines(chain.root)
    renumbered = [*lines[:2], IndexEntry(3, relative, digest_bytes(raw), run_key, 0).to_line()]
    for seq, line in enumerate(lines[2:], 4):
        entry = json.loads(line)
        entry["seq"] = seq
        renumbered.append(json.dumps(entry) + "\n")
    write_index(chain.root, renumbered)
    assert any("chain broken" in r for r in reasons_for(chain.root, chain.rel(2)))


def test_a_receipt_file_without_an_index_line_is_named(chain, tmp_path):
    relative, _run_key, _raw = _forged(
        chain, chain.written[-1].digest, _dt.datetime(2026, 11, 21, tzinfo=_dt.UTC), chain.key)
    assert reasons_for(chain.root, f"receipts/{relative}") == [
        "not in the index (inserted, or left by a crashed write)"]


def test_reordered_receipts_are_rejected(chain):
    lines = index_lines(chain.root)
    first, second = json.loads(lines[2]), json.loads(lines[3])
    first["seq"], second["seq"] = 4, 3
    lines[2], lines[3] = json.dumps(second) + "\n", json.dumps(first) + "\n"
    write_index(chain.root, lines)
    found = problems(chain.root)
    assert any(name == chain.rel(3) and "chain broken" in reason for name, reason in found)
    assert any(name == chain.rel(2) and "chain broken" in reason for name, reason in found)


def test_swapped_envelope_files_are_rejected(chain):
    """Moving one receipt's content into another's file name: run key and chain disagree."""
    a, b = chain.written[1].path, chain.written[2].path
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    reasons = reasons_for(chain.root, chain.rel(1))
    assert any("does not match the digest recorded in the index" in r for r in reasons)
    assert any("does not match the file name" in r for r in reasons)


def test_a_revoked_key_invalidates_receipts_signed_at_or_after_the_revocation(chain):
    (chain.root / "receipts" / "keys" / "revoked.yaml").write_text(
        "revoked:\n  - key: ci\n    revoked_at: \"2026-11-20T12:00:00Z\"\n"
        "    reason: laptop lost\n")
    found = problems(chain.root)
    named = {name for name, _ in found}
    assert named == {chain.rel(i) for i in (3, 4, 5)}
    assert all("was revoked at 2026-11-20T12:00:00Z" in reason for _, reason in found)


def test_a_revocation_by_date_starts_at_midnight_utc(chain):
    (chain.root / "receipts" / "keys" / "revoked.yaml").write_text(
        "revoked:\n  - key: ci\n    revoked_at: 2026-11-20\n")
    assert {name for name, _ in problems(chain.root)} == {chain.rel(i) for i in range(6)}


def test_a_swapped_public_key_rejects_every_receipt(chain, tmp_path):
    pem, _ = generate_key()
    other = tmp_path / "other.key"
    other.write_bytes(pem)
    from spine_gates.receipts.keys import public_key_from_raw, public_pem

    signer = load_signing_key(str(other))
    (chain.root / "receipts" / "keys" / "ci.pub").write_bytes(
        public_pem(public_key_from_raw(signer.raw_public)))
    found = problems(chain.root)
    assert {name for name, _ in found} == {chain.rel(i) for i in range(CHAIN_LENGTH)}
    assert all("no trusted key verifies" in reason for _, reason in found)


def test_removing_every_public_key_fails_closed(chain):
    (chain.root / "receipts" / "keys" / "ci.pub").unlink()
    found = problems(chain.root)
    assert ("receipts/keys/", "no trusted public keys (*.pub): nothing can verify") in found


def test_a_subject_digest_that_is_not_sha256_hex_is_rejected(chain):
    """Signed with the trusted key, still rejected: subject digests must be well-formed."""
    template = json.loads(base64.b64decode(envelope(chain, 5)["payload"]))
    template["subject"][0]["digest"]["sha256"] = "not-a-digest"
    raw = dsse.sign(json.dumps(template).encode(), chain.key).to_bytes()
    chain.written[5].path.write_bytes(raw)
    lines = index_lines(chain.root)
    entry = json.loads(lines[5])
    entry["digest"] = digest_bytes(raw)
    lines[5] = json.dumps(entry) + "\n"
    write_index(chain.root, lines)
    reasons = reasons_for(chain.root, chain.rel(5))
    assert any("has no well-formed sha256 digest" in r for r in reasons), reasons


def test_a_garbled_index_line_is_named_by_line(chain):
    lines = index_lines(chain.root)
    lines[1] = "{not json\n"
    write_index(chain.root, lines)
    assert ("receipts/index.jsonl:2", "index line is not JSON") in problems(chain.root)


MUTATIONS = ["payload", "signature", "delete", "untrusted", "reorder", "revoked", "swapped-key"]


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_cli_rejects_each_mutation_with_exit_1_naming_receipt_and_reason(
        mutation, chain, tmp_path):
    target = chain.rel(2)
    if mutation == "payload":
        data = envelope(chain, 2)
        data["payload"] = base64.b64encode(b"{}" + base64.b64decode(data["payload"])).decode()
        save_envelope(chain, 2, data)
        expect = "no trusted key verifies"
    elif mutation == "signature":
        data = envelope(chain, 2)
        data["signatures"][0]["sig"] = base64.b64encode(bytes(64)).decode()
        save_envelope(chain, 2, data)
        expect = "no trusted key verifies"
    elif mutation == "delete":
        chain.written[2].path.unlink()
        expect = "missing"
    elif mutation == "untrusted":
        relative, run_key, raw = _forged(
            chain, chain.written[-1].digest, _dt.datetime(2026, 11, 21, tzinfo=_dt.UTC),
            _untrusted_signer(tmp_path))
        write_index(chain.root, [*index_lines(chain.root), IndexEntry(
            CHAIN_LENGTH + 1, relative, digest_bytes(raw), run_key, 0).to_line()])
        target, expect = f"receipts/{relative}", "no trusted key verifies"
    elif mutation == "reorder":
        lines = index_lines(chain.root)
        lines[1], lines[2] = lines[2], lines[1]
        write_index(chain.root, lines)
        expect = "chain broken"
    elif mutation == "revoked":
        (chain.root / "receipts" / "keys" / "revoked.yaml").write_text(
            "revoked:\n  - key: ci\n    revoked_at: \"2026-11-20T11:00:00Z\"\n")
        expect = "revoked"
    else:
        shutil.copy(Path(__file__).parent / "data" / "foreign.pub",
                    chain.root / "receipts" / "keys" / "ci.pub")
        expect = "no trusted key verifies"
    result = run_gates("receipts", "verify", "--root", str(chain.root))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(f"FAIL {target}: ")]
    assert any(expect in ln for ln in lines), result.stdout
    as_json = json.loads(run_gates("receipts", "verify", "--root", str(chain.root), "--format",
                                   "json").stdout)
    assert as_json["ok"] is False
    assert any(p["receipt"] == target for p in as_json["problems"])


def _commit_receipts(root: Path) -> git.Repo:
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Author")
        config.set_value("user", "email", "author@example.invalid")
    repo.index.add(["receipts", "docs"])
    repo.index.commit("receipts")
    return repo


def test_an_index_staged_but_not_yet_committed_verifies(chain):
    """The pre-commit moment: receipts are staged, HEAD has none (or only the docs)."""
    repo = git.Repo.init(chain.root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Author")
        config.set_value("user", "email", "author@example.invalid")
    repo.index.add(["docs", "receipts/keys"])  # the trust anchors are committed
    repo.index.commit("docs and keys first")
    repo.index.add(["receipts"])
    for command in (("receipts", "verify"), ("receipts", "audit", "--format", "json")):
        done = run_gates(*command, "--root", str(chain.root))
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_truncated_tail_is_caught_when_the_index_is_committed(chain):
    _commit_receipts(chain.root)
    assert verify_chain(chain.root).ok
    lines = index_lines(chain.root)
    write_index(chain.root, lines[:-2])
    chain.written[-1].path.unlink()
    chain.written[-2].path.unlink()
    assert ("receipts/index.jsonl", "the worktree index does not extend the committed one "
            "(receipts were removed or rewritten since HEAD)") in problems(chain.root)


def test_a_commit_that_truncates_the_index_is_named(chain):
    repo = _commit_receipts(chain.root)
    write_index(chain.root, index_lines(chain.root)[:-1])
    chain.written[-1].path.unlink()
    repo.index.add(["receipts/index.jsonl"])
    repo.index.remove([chain.rel(5)])
    sha = repo.index.commit("drop the last receipt").hexsha
    found = problems(chain.root)
    assert ("receipts/index.jsonl", f"commit {sha[:12]} removed or rewrote 1 index line(s); "
            "the index is append-only") in found


def test_receipts_appended_after_the_committed_index_verify(chain):
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate
    from spine_gates.receipts.emit import emit_receipt

    _commit_receipts(chain.root)
    result = run_gate(load_gates()["registry-policy"], prepare(chain.root))
    emit_receipt(result, chain.key, when=_dt.datetime(2026, 11, 22, tzinfo=_dt.UTC))
    report = verify_chain(chain.root)
    assert report.ok, report.problems
    assert report.receipts[-1].predicate["git"]["commit"] == git.Repo(chain.root).head.commit.hexsha


def test_a_drift_gates_live_config_digest_becomes_a_subject(chain):
    """Drift gates hand over the redacted live config's digest; the worktree check skips it."""
    import dataclasses
    import hashlib

    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate
    from spine_gates.receipts.emit import emit_receipt
    from spine_gates.receipts.verify import check_worktree

    live = hashlib.sha256(b'{"Providers": []}').hexdigest()
    result = run_gate(load_gates()["registry-policy"], prepare(chain.root))
    drift = dataclasses.replace(result, gate="provider-drift",
                                extras={"live_config_digest": f"sha256:{live}"})
    written = emit_receipt(result, chain.key, when=_dt.datetime(2026, 11, 22, tzinfo=_dt.UTC),
                           git=None, parts=(drift,))
    statement = json.loads(base64.b64decode(json.loads(written.path.read_bytes())["payload"]))
    assert {"name": "live-config:redacted", "digest": {"sha256": live}} in statement["subject"]
    report = verify_chain(chain.root)
    assert report.ok, report.problems
    assert check_worktree(chain.root, report, [s["name"] for s in statement["subject"]
                                               if s["name"].startswith("docs/")]) == []


# Review regression: a receipt filed under another month, or signed at a time its run key does
# not carry, is rejected (no other test reached the time/folder check; disabling it passed all).
def _reasons(chain: Chain) -> list[tuple[str, str]]:
    return [(p.receipt, p.reason) for p in verify_chain(chain.root).problems]


def test_the_untouched_chain_has_no_time_problem(chain: Chain) -> None:
    assert _reasons(chain) == []


def test_a_receipt_moved_to_another_month_with_its_index_line_is_rejected(chain: Chain) -> None:
    last = chain.written[-1]
    old_rel = last.path.relative_to(chain.root / "receipts").as_posix()
    new_rel = "2025/01/" + last.path.name
    target = chain.root / "receipts" / new_rel
    target.parent.mkdir(parents=True)
    last.path.rename(target)
    index = chain.root / "receipts" / INDEX_FILE
    text = index.read_text()
    assert text.count(old_rel) == 1
    index.write_text(text.replace(old_rel, new_rel))
    found = _reasons(chain)
    assert found == [(f"receipts/{new_rel}", "signed time does not match the run key and folder")]


def test_a_signed_time_other_than_the_run_keys_is_rejected(chain: Chain) -> None:
    """Even with the trusted key: the time inside must be the time the file is named by."""
    last = chain.written[-1]
    statement = json.loads(base64.b64decode(json.loads(last.path.read_bytes())["payload"]))
    when = _dt.datetime.strptime(statement["predicate"]["time"], "%Y-%m-%dT%H:%M:%SZ")
    shifted = when + _dt.timedelta(minutes=5)
    run_key = last.run_key
    statement["predicate"].update({"previous": last.digest,
                                   "time": shifted.strftime("%Y-%m-%dT%H:%M:%SZ")})
    raw = dsse.sign(json.dumps(statement, sort_keys=True).encode(), chain.key).to_bytes()
    relative = f"{shifted:%Y/%m}/{run_key}.dsse.json"
    (chain.root / "receipts" / relative).write_bytes(raw)
    index = chain.root / "receipts" / INDEX_FILE
    with index.open("a") as handle:
        handle.write(IndexEntry(len(chain.written) + 1, relative, digest_bytes(raw), run_key,
                                0).to_line())
    reasons = [reason for name, reason in _reasons(chain) if name == f"receipts/{relative}"]
    assert "signed time does not match the run key and folder" in reasons
