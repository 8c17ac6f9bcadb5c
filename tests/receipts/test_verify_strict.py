"""Well-formedness is exact (no trailing newline slips past a pattern, base64 is strict), and the
parallel verifier keeps index order and names the right receipt across batch boundaries."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from spine_gates.receipts import dsse
from spine_gates.receipts.store import INDEX_FILE, digest_bytes
from spine_gates.receipts.verify import _BATCH, verify_chain
from tests.receipts.receipt_helpers import Chain, build_chain


def reasons_for(root: Path, receipt: str) -> list[str]:
    return [p.reason for p in verify_chain(root).problems if p.receipt == receipt]


def resign(chain: Chain, index: int, edit) -> None:
    """Edit receipt `index`'s statement, sign it with the trusted key and re-index it, so only
    the statement checks can object."""
    path = chain.written[index].path
    statement = json.loads(base64.b64decode(json.loads(path.read_bytes())["payload"]))
    edit(statement)
    raw = dsse.sign(json.dumps(statement).encode(), chain.key).to_bytes()
    path.write_bytes(raw)
    index_file = chain.root / "receipts" / INDEX_FILE
    lines = index_file.read_text().splitlines(keepends=True)
    entry = json.loads(lines[index])
    entry["digest"] = digest_bytes(raw)
    lines[index] = json.dumps(entry) + "\n"
    index_file.write_text("".join(lines))


def _digest_newline(statement: dict) -> None:
    statement["subject"][0]["digest"]["sha256"] += "\n"


def _digest_upper(statement: dict) -> None:
    statement["subject"][0]["digest"]["sha256"] = statement["subject"][0]["digest"][
        "sha256"].upper()


def _time_newline(statement: dict) -> None:
    statement["predicate"]["time"] += "\n"


def _previous_newline(statement: dict) -> None:
    statement["predicate"]["previous"] += "\n"


@pytest.mark.parametrize(("edit", "reason"), [
    (_digest_newline, "has no well-formed sha256 digest"),
    (_digest_upper, "has no well-formed sha256 digest"),
    (_time_newline, "is not RFC 3339 UTC"),
    (_previous_newline, "predicate 'previous' is neither null nor a sha256 digest"),
])
def test_a_signed_statement_with_a_near_miss_value_is_rejected(chain, edit, reason):
    resign(chain, 3, edit)
    reasons = reasons_for(chain.root, chain.rel(3))
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize("mangle", [
    lambda b64: b64[:40] + "\n" + b64[40:],  # a line break inside
    lambda b64: b64 + "=",  # excess padding
    lambda b64: b64.rstrip("=") + "=A",  # data after padding
    lambda b64: b64[:-4] + "-_" + b64[-2:],  # the URL-safe alphabet
])
def test_base64_that_is_not_strict_standard_base64_is_rejected(chain, mangle):
    path = chain.written[2].path
    data = json.loads(path.read_bytes())
    data["signatures"][0]["sig"] = mangle(data["signatures"][0]["sig"])
    path.write_text(json.dumps(data))
    reasons = reasons_for(chain.root, chain.rel(2))
    assert "signature check failed: signature 0 is not valid base64" in reasons, reasons


def test_an_envelope_in_utf16_is_not_an_envelope(chain):
    path = chain.written[1].path
    path.write_bytes(path.read_text().encode("utf-16"))
    reasons = reasons_for(chain.root, chain.rel(1))
    assert any(r.startswith("signature check failed: envelope is not valid JSON") for r in reasons)


@pytest.fixture(scope="module")
def long_chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """More receipts than two worker batches, so the thread pool really splits the work."""
    import shutil

    from tests.helpers import REPO

    base = tmp_path_factory.mktemp("long")
    root = base / "spine"
    shutil.copytree(REPO / "docs" / "governance", root / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", root / "docs" / "brain")
    return build_chain(root, base / "keys", length=2 * _BATCH + 7)


def test_a_long_chain_verifies_in_index_order(long_chain):
    report = verify_chain(long_chain.root)
    assert report.ok, report.problems[:3]
    assert [r.seq for r in report.receipts] == list(range(1, 2 * _BATCH + 8))
    assert [r.digest for r in report.receipts] == [w.digest for w in long_chain.written]


def test_tampering_in_later_batches_names_exactly_those_receipts(long_chain, tmp_path):
    import shutil

    root = tmp_path / "spine"
    shutil.copytree(long_chain.root, root)
    flipped, deleted = _BATCH + 3, 2 * _BATCH + 1
    target = root / long_chain.written[flipped].path.relative_to(long_chain.root)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    (root / long_chain.written[deleted].path.relative_to(long_chain.root)).unlink()
    report = verify_chain(root)
    named = {p.receipt for p in report.problems}
    assert named == {long_chain.rel(flipped), long_chain.rel(deleted)}, report.problems
    assert len(report.receipts) == len(long_chain.written) - 2
