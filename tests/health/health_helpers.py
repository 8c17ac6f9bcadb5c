"""Helpers the health tests import: read a `providers status` JSON report, and check that no
provider key leaked into output."""

from __future__ import annotations

import json
import subprocess

from tests.health.fakes import KEYS


def assert_no_keys(text: str) -> None:
    for value in KEYS.values():
        assert value not in text
        assert value[8:30] not in text


def provider(proc: subprocess.CompletedProcess[str], ident: str) -> dict:
    data = json.loads(proc.stdout)
    return next(p for p in data["providers"] if p["id"] == ident)


def role(proc: subprocess.CompletedProcess[str], ident: str) -> dict:
    data = json.loads(proc.stdout)
    return next(r for r in data["roles"] if r["role"] == ident)
