"""Signed, chained receipts of gate runs: DSSE envelopes carrying in-toto Statements."""
