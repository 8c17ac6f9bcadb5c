"""`failover.watch` in spine-gates.yaml: the defaults, values read, and bad values named with
their file and line."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from spine_gates.errors import InputError
from spine_gates.failover.settings import WatchSettings, failover_settings
from spine_gates.failover.watch import renew_margin
from spine_gates.model.spine import load_config


def _watch(root: Path, text: str) -> WatchSettings:
    (root / "spine-gates.yaml").write_text(text)
    return failover_settings(load_config(root)).watch


def test_defaults_without_a_watch_block(spine: Path) -> None:
    watch = _watch(spine, "failover:\n  router_module: true\n")
    assert watch == WatchSettings(interval=_dt.timedelta(seconds=30), bad_probes=2,
                                  hold=_dt.timedelta(minutes=5),
                                  recovery_probe_interval=_dt.timedelta(minutes=5),
                                  max_changes_per_hour=6)


def test_values_are_read(spine: Path) -> None:
    watch = _watch(spine, "failover:\n  watch:\n    interval: 1m\n    bad_probes: 3\n"
                          "    hold: 10m\n    recovery_probe_interval: 15m\n"
                          "    max_changes_per_hour: 2\n")
    assert watch == WatchSettings(_dt.timedelta(minutes=1), 3, _dt.timedelta(minutes=10),
                                  _dt.timedelta(minutes=15), 2)


@pytest.mark.parametrize("body, line, what", [
    ("failover:\n  watch:\n    intervall: 30s\n", 3, "unknown failover.watch setting"),
    ("failover:\n  watch:\n    hold: 5\n", 3, "failover.watch.hold must be a duration"),
    ("failover:\n  watch:\n    interval: soon\n", 3, "failover.watch.interval: 'soon'"),
    ("failover:\n  watch:\n    bad_probes: 0\n", 3, "failover.watch.bad_probes must be"),
    ("failover:\n  watch:\n    max_changes_per_hour: true\n", 3, "max_changes_per_hour"),
    ("failover:\n  watch: 30s\n", 2, "failover.watch must be a mapping"),
])
def test_bad_watch_settings_name_file_and_line(spine: Path, body: str, line: int,
                                               what: str) -> None:
    with pytest.raises(InputError) as caught:
        _watch(spine, body)
    assert (caught.value.file, caught.value.line) == ("spine-gates.yaml", line)
    assert what in caught.value.message


def test_renewal_comes_three_rounds_before_expiry_but_never_past_half_the_ttl() -> None:
    minute = _dt.timedelta(minutes=1)
    assert renew_margin(_dt.timedelta(seconds=30), 30 * minute) == 90 * _dt.timedelta(seconds=1)
    assert renew_margin(_dt.timedelta(seconds=1), 30 * minute) == minute
    assert renew_margin(10 * minute, 30 * minute) == 15 * minute
