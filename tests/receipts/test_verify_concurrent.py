"""verify reads the store as a consistent snapshot: it waits for a writer that is between
appending its index line and renaming its receipt into place, instead of reporting that
receipt missing (a false alarm a concurrent CI step would otherwise hit)."""

from __future__ import annotations

import os
import threading

from spine_gates.receipts.store import PENDING_FILE, locked, receipts_dir
from spine_gates.receipts.verify import ChainReport, verify_chain


def test_verify_waits_for_a_writer_mid_write_and_then_sees_it_whole(chain):
    directory = receipts_dir(chain.root)
    newest = chain.written[-1].path
    results: list[ChainReport] = []
    with locked(directory):  # a writer: index line appended, rename not done yet
        os.replace(newest, directory / PENDING_FILE)
        reader = threading.Thread(target=lambda: results.append(verify_chain(chain.root)))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive(), "verify read the store while a writer held it"
        os.replace(directory / PENDING_FILE, newest)  # the writer finishes
    reader.join(30)
    assert not reader.is_alive()
    (report,) = results
    assert report.ok, report.problems
    assert len(report.receipts) == len(chain.written)


def test_verify_of_a_spine_without_receipts_creates_nothing(spine):
    report = verify_chain(spine)
    assert report.ok and report.count == 0
    assert not (spine / "receipts").exists()
