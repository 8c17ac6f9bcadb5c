"""The CLI conventions every findings command shares: -V, --color, --quiet and --severity.

--quiet and --severity narrow what a report lists; the exit code, the summary counts and the
receipt stay those of the whole run.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers import gates_env, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ESC = "\x1b["
# A waiver for a rule no pack defines: WAIVER-002, a warning that never fails the gate.
UNKNOWN_RULE_WAIVER = ("  - rule: NOPE-999\n    reason: typo\n    owner: '@ops'\n"
                       "    expires: 2099-01-01\n")


def _waivers(spine: Path, *entries: str) -> None:
    (spine / "waivers.yaml").write_text("waivers:\n" + "".join(entries))


def _schema_error(spine: Path) -> None:
    path = spine / PROVIDERS
    path.write_text(path.read_text().replace("cost_tier: paid", "cost_tier: pricey", 1))


@pytest.fixture
def warned(spine: Path) -> Path:
    """A spine whose registry-policy run passes with one warning."""
    _waivers(spine, UNKNOWN_RULE_WAIVER)
    return spine


@pytest.fixture
def failing(warned: Path) -> Path:
    """A spine whose registry-policy run fails with one error beside that warning."""
    _schema_error(warned)
    return warned


def _run(spine: Path, *extra: str, env: dict[str, str] | None = None):
    return run_gates("run", "registry-policy", "--root", str(spine), "--no-receipt", *extra,
                     env=env)


def test_dash_V_prints_the_version_as_dash_dash_version_does():
    short, long = run_gates("-V"), run_gates("--version")
    assert short.returncode == long.returncode == 0
    assert short.stdout == long.stdout and short.stdout.startswith("spine-gates ")


def test_color_always_paints_the_text_report_even_into_a_pipe(failing):
    assert ESC in _run(failing, "--color", "always").stdout


def test_color_auto_leaves_a_pipe_plain(failing):
    env = gates_env()
    env.pop("NO_COLOR")
    assert ESC not in _run(failing, env=env).stdout


def test_force_color_paints_the_report_without_a_terminal_even_with_no_color(failing):
    assert ESC in _run(failing, env=gates_env(FORCE_COLOR="1")).stdout


def test_an_empty_force_color_forces_nothing(failing):
    assert ESC not in _run(failing, env=gates_env(FORCE_COLOR="")).stdout


def test_color_never_wins_over_force_color(failing):
    done = _run(failing, "--color", "never", env=gates_env(FORCE_COLOR="1"))
    assert done.returncode == 1, done.stderr
    assert "SCHEMA-001 [error]" in done.stdout and ESC not in done.stdout


def test_color_never_reaches_an_output_file(failing, tmp_path):
    out = tmp_path / "report.txt"
    done = _run(failing, "--color", "always", "--output", str(out))
    assert done.returncode == 1
    assert ESC not in out.read_text()


def test_proxy_check_takes_the_same_color_option(spine, tmp_path):
    live = tmp_path / "config.json"
    live.write_text(json.dumps({"LOG": True, "Providers": [], "Router": {}}))
    done = run_gates("proxy", "check", "--root", str(spine), "--live", str(live),
                     "--no-activate", "--color", "always")
    assert done.returncode == 1, done.stderr
    assert ESC in done.stdout


def test_quiet_prints_nothing_for_a_passing_run(spine):
    done = _run(spine, "--quiet")
    assert done.returncode == 0
    assert done.stdout == "" and done.stderr == ""


def test_quiet_prints_the_findings_without_the_summary_line(failing):
    loud, quiet = _run(failing), _run(failing, "-q")
    assert quiet.returncode == loud.returncode == 1
    assert "SCHEMA-001 [error]" in quiet.stdout and "WAIVER-002 [warning]" in quiet.stdout
    assert loud.stdout.splitlines()[-1].startswith("gate registry-policy: FAIL")
    assert quiet.stdout == "".join(loud.stdout.splitlines(keepends=True)[:-1])


def test_quiet_leaves_out_waived_findings(warned):
    _schema_error(warned)
    _waivers(warned, UNKNOWN_RULE_WAIVER, "  - rule: SCHEMA-001\n    reason: migrating\n"
             "    owner: '@ops'\n    expires: 2099-01-01\n")
    loud, quiet = _run(warned), _run(warned, "--quiet")
    assert "SCHEMA-001 [error, waiver]" in loud.stdout
    assert quiet.returncode == loud.returncode == 0
    assert "SCHEMA-001" not in quiet.stdout and "WAIVER-002" in quiet.stdout


def test_quiet_keeps_a_machine_format_whole(failing):
    loud, quiet = _run(failing, "--format", "json"), _run(failing, "--format", "json", "-q")
    assert quiet.stdout == loud.stdout


def test_quiet_drops_the_receipt_note(failing, tmp_path):
    key = tmp_path / "keys" / "ci.key"
    made = run_gates("receipts", "keygen", "--root", str(failing), "--out", str(key))
    assert made.returncode == 0, made.stderr
    done = run_gates("run", "registry-policy", "--root", str(failing), "--receipt",
                     "--signing-key", str(key), "--quiet")
    assert done.returncode == 1
    assert "gates: receipt" not in done.stderr
    assert list((failing / "receipts").rglob("*.dsse.json"))  # written all the same


def test_quiet_hook_run_says_nothing_when_no_governed_file_changed(spine):
    loud = _run(spine, "README.md")
    quiet = _run(spine, "--quiet", "README.md")
    assert loud.returncode == quiet.returncode == 0
    assert loud.stdout and quiet.stdout == ""


def test_severity_error_lists_only_errors(failing):
    done = _run(failing, "--severity", "error")
    assert "SCHEMA-001 [error]" in done.stdout
    assert "WAIVER-002" not in done.stdout


def test_severity_keeps_the_summary_counts_and_the_exit_code(failing):
    loud, narrow = _run(failing), _run(failing, "--severity", "error")
    assert narrow.returncode == loud.returncode == 1
    assert narrow.stdout.splitlines()[-1] == loud.stdout.splitlines()[-1]
    assert "1 warning" in narrow.stdout.splitlines()[-1]


def test_severity_filters_the_json_findings_but_not_its_verdict(warned):
    loud = json.loads(_run(warned, "--format", "json").stdout)
    narrow = json.loads(_run(warned, "--format", "json", "--severity", "error").stdout)
    assert [f["rule"] for f in loud["findings"]] == ["WAIVER-002"]
    assert narrow["findings"] == []
    assert narrow["summary"] == loud["summary"] and narrow["passed"] is loud["passed"] is True


def _listed_rules(fmt: str, done) -> list[str]:
    """The rules a report lists findings for, read the way its consumer reads it."""
    if fmt == "sarif":
        return [r["ruleId"] for r in json.loads(done.stdout)["runs"][0]["results"]]
    if fmt == "junit":
        cases = ElementTree.fromstring(done.stdout).iter("testcase")
        return [c.get("name", "").split()[0] for c in cases if len(c)]  # failure or system-out
    if fmt == "github":
        return [line.split("title=")[1].split()[0] for line in done.stdout.splitlines()
                if line.startswith("::")]
    return [word for line in (done.stdout + done.stderr).splitlines()
            for word in line.split() if "-" in word and word[0].isupper()]


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "spine"])
def test_severity_filters_every_format(failing, fmt):
    loud = _run(failing, "--format", fmt)
    narrow = _run(failing, "--format", fmt, "--severity", "error")
    assert narrow.returncode == loud.returncode == 1
    assert "SCHEMA-001" in _listed_rules(fmt, narrow)
    if fmt != "spine":  # the spine's line names the first finding only, an error either way
        assert "WAIVER-002" in _listed_rules(fmt, loud)
    assert "WAIVER-002" not in _listed_rules(fmt, narrow)


def test_severity_never_changes_the_receipt(warned, tmp_path):
    key = tmp_path / "keys" / "ci.key"
    made = run_gates("receipts", "keygen", "--root", str(warned), "--out", str(key))
    assert made.returncode == 0, made.stderr
    done = run_gates("run", "registry-policy", "--root", str(warned), "--receipt",
                     "--signing-key", str(key), "--severity", "error", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["findings"] == []
    path = next((warned / "receipts").rglob(f"{report['receipt']['runKey']}.dsse.json"))
    statement = json.loads(base64.b64decode(json.loads(path.read_bytes())["payload"]))
    assert [f["rule"] for f in statement["predicate"]["findings"]] == ["WAIVER-002"]


def test_secrets_check_severity_filters_its_findings_not_its_verdict(failing, tmp_path):
    # an expired waiver for a finding that still occurs: WAIVER-001, a warning
    _waivers(failing, "  - rule: SEC-010\n    reason: moving keys\n    owner: '@ops'\n"
             "    expires: 2026-01-01\n")
    path = failing / PROVIDERS
    path.write_text(path.read_text().replace("providers/OPENAI_API_KEY",
                                             "providers/NOPE_API_KEY", 1))
    env = gates_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    args = ("secrets", "check", "--root", str(failing), "--offline")
    loud, narrow = run_gates(*args, env=env), run_gates(*args, "--severity", "error", env=env)
    assert narrow.returncode == loud.returncode == 1
    assert narrow.stdout.splitlines()[-1] == loud.stdout.splitlines()[-1]
    assert "WAIVER-001 [warning]" in loud.stdout and "WAIVER-001" not in narrow.stdout
    assert "SEC-010 [error]" in narrow.stdout


def test_secrets_check_quiet_prints_only_its_findings(failing, tmp_path):
    path = failing / PROVIDERS
    path.write_text(path.read_text().replace("providers/OPENAI_API_KEY",
                                             "providers/NOPE_API_KEY", 1))
    env = gates_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = run_gates("secrets", "check", "--root", str(failing), "--offline", "-q", env=env)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{PROVIDERS}:")
    assert "reference " not in done.stdout and "secrets check:" not in done.stdout


def test_secrets_check_quiet_prints_nothing_when_every_reference_resolves(spine, tmp_path):
    env = gates_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = run_gates("secrets", "check", "--root", str(spine), "--offline", "--quiet", env=env)
    assert done.returncode == 0 and done.stdout == ""


def test_severity_rejects_an_unknown_level_as_bad_input(spine):
    done = _run(spine, "--severity", "fatal")
    assert done.returncode == 3
    assert done.stderr.startswith("gates: error: argument --severity: invalid choice: 'fatal'")
