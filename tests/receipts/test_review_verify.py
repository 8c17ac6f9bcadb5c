"""Review regression: a receipt filed under another month, or signed at a time its run key does
not carry, is rejected (no other test reached the time/folder check; disabling it passed all)."""

from __future__ import annotations

import base64
import datetime as _dt
import json

from spine_gates.receipts import dsse
from spine_gates.receipts.store import INDEX_FILE, IndexEntry, digest_bytes
from spine_gates.receipts.verify import verify_chain
from tests.receipts.receipt_helpers import Chain


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
