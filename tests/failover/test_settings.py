"""`failover:` in spine-gates.yaml: defaults, durations, bad values with their line, and the
router module setting in the compiled config."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from spine_gates.ccr.compile import compile_ccr_config, render_config
from spine_gates.ccr.profiles import get_profile
from spine_gates.errors import InputError
from spine_gates.failover.settings import FailoverSettings, failover_settings, parse_duration
from spine_gates.health.state import State
from spine_gates.model.governance import load_model
from spine_gates.model.spine import load_config
from tests.helpers import gates_env, one_error_line, run_gates


def _settings(root: Path, text: str) -> FailoverSettings:
    (root / "spine-gates.yaml").write_text(text)
    return failover_settings(load_config(root))


def test_defaults_without_a_failover_block(spine: Path) -> None:
    settings = _settings(spine, "ccr:\n  port: 3456\n")
    assert settings.triggers == (State.UNREACHABLE, State.QUOTA_EXHAUSTED)
    assert settings.default_ttl == _dt.timedelta(minutes=30)
    assert settings.max_ttl == _dt.timedelta(hours=4)
    assert settings.router_module is False


def test_values_are_read(spine: Path) -> None:
    settings = _settings(spine, "failover:\n  triggers: [unreachable, rate_limited]\n"
                                "  default_ttl: 90s\n  max_ttl: 1h30m\n  router_module: true\n")
    assert settings.triggers == (State.UNREACHABLE, State.RATE_LIMITED)
    assert settings.default_ttl == _dt.timedelta(seconds=90)
    assert settings.max_ttl == _dt.timedelta(minutes=90)
    assert settings.router_module is True


@pytest.mark.parametrize("body, line, what", [
    ("failover:\n  tiggers: [unreachable]\n", 2, "unknown failover setting 'tiggers'"),
    ("failover:\n  default_ttl: 30\n", 2, "must be a duration"),
    ("failover:\n  max_ttl: 2 hours\n", 2, "is not a duration"),
    ("failover:\n  triggers: [unreachable, healthy]\n", 2, "'healthy' is not a health state"),
    ("ccr:\n  port: 3456\nfailover:\n  default_ttl: 5h\n", 4, "longer than failover.max_ttl"),
    ("failover:\n  router_module: yes please\n", 2, "must be true or false"),
    ("failover: on\n", 1, "'failover' must be a mapping"),
])
def test_bad_settings_name_file_and_line(spine: Path, body: str, line: int, what: str) -> None:
    with pytest.raises(InputError) as caught:
        _settings(spine, body)
    assert (caught.value.file, caught.value.line) == ("spine-gates.yaml", line)
    assert what in caught.value.message


def test_ttl_option_is_capped_by_max_ttl() -> None:
    settings = FailoverSettings(max_ttl=_dt.timedelta(hours=1))
    assert settings.ttl(None) == _dt.timedelta(minutes=30)
    assert settings.ttl("45m") == _dt.timedelta(minutes=45)
    with pytest.raises(InputError, match="longer than failover.max_ttl"):
        settings.ttl("2h")
    with pytest.raises(InputError, match="not a duration"):
        parse_duration("0s1m")


def test_router_module_adds_custom_router_path_beside_the_live_config(
        spine: Path, tmp_path: Path) -> None:
    (spine / "spine-gates.yaml").write_text("failover:\n  router_module: true\n")
    live = tmp_path / "router-home" / "config.json"
    config = compile_ccr_config(load_model(spine), get_profile("2.0"), live_path=live)
    assert config["CUSTOM_ROUTER_PATH"] == str(live.parent / "spine-gates-failover.js")
    default = compile_ccr_config(load_model(spine), get_profile("2.0"))
    assert default["CUSTOM_ROUTER_PATH"] == str(
        Path.home() / ".claude-code-router" / "spine-gates-failover.js")


def test_without_the_setting_compiled_bytes_are_unchanged(spine: Path) -> None:
    before = render_config(compile_ccr_config(load_model(spine), get_profile("2.0")))
    (spine / "spine-gates.yaml").write_text("failover:\n  default_ttl: 10m\n")
    after = render_config(compile_ccr_config(load_model(spine), get_profile("2.0")))
    assert after == before and "CUSTOM_ROUTER_PATH" not in json.loads(after)


def test_router_module_is_refused_for_the_1_0_profile(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("failover:\n  router_module: true\n")
    with pytest.raises(InputError, match="for claude-code-router 2.0"):
        compile_ccr_config(load_model(spine), get_profile("1.0"))


@pytest.mark.parametrize("text", ["99999999999999h", "9999999h", "366000000s", "9" * 5000 + "m"])
def test_a_duration_over_a_year_is_bad_input_not_an_overflow(text: str) -> None:
    with pytest.raises(InputError, match="at most 365 days"):
        parse_duration(text, "--ttl")


def test_a_year_is_the_longest_duration() -> None:
    assert parse_duration("8760h") == _dt.timedelta(days=365)


@pytest.mark.parametrize("body, line", [
    ("failover:\n  max_ttl: 99999999999999h\n", 2),
    ("failover:\n  watch:\n    hold: '99999999999999h'\n", 3),
])
def test_an_overlong_setting_is_one_error_line_with_its_line(spine: Path, body: str,
                                                             line: int) -> None:
    (spine / "spine-gates.yaml").write_text(body)
    result = run_gates("failover", "plan", "--offline", "--root", str(spine))
    one_error_line(result, f"spine-gates.yaml:{line}:", "at most 365 days")


def test_an_overlong_ttl_option_is_one_error_line(spine: Path, tmp_path: Path) -> None:
    env = gates_env(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
                    XDG_CACHE_HOME=str(tmp_path / "cache"))
    live = tmp_path / "live.json"
    assert run_gates("sync", "--root", str(spine), "--live", str(live), env=env).returncode == 0
    result = run_gates("failover", "apply", "--ttl", "99999999999999h", "--yes", "--offline",
                       "--root", str(spine), "--live", str(live), env=env)
    one_error_line(result, "--ttl", "at most 365 days")
