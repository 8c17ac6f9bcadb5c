"""Every output format is built from the same findings and is structurally valid."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from spine_gates.checks.interface import GateResult, RuleMeta
from spine_gates.finding import Finding, Severity
from spine_gates.report import github_format, sarif_format

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"


@pytest.fixture
def broken(spine: Path) -> Path:
    """Two errors and a warning: a dangling provider, an unknown model, a vague catalogue."""
    path = spine / ROLES
    text = path.read_text()
    text = text.replace("      - nvidia_nim/moonshotai/kimi-k2.5\n", "      - nowhere/m1\n")
    text = text.replace("primary: anthropic/claude-opus-4-5", "primary: anthropic/claude-opus-9")
    path.write_text(text)
    providers = spine / "docs/governance/PROVIDER_REGISTRY.yaml"
    providers.write_text(providers.read_text().replace(
        "      - qwen/qwen3-coder:free\n", "      - qwen/qwen3-coder:free\n      - many\n"))
    return spine


def _json(gates, root: Path) -> dict:
    result = gates("run", "registry-policy", "--root", str(root), "--format", "json")
    assert result.returncode == 1
    return json.loads(result.stdout)


def test_json_report_has_the_fixed_shape(gates, broken):
    report = _json(gates, broken)
    assert set(report) >= {"gate", "passed", "summary", "findings", "receipt"}
    assert report["gate"] == "registry-policy" and report["passed"] is False
    assert report["summary"] == {"error": 2, "warning": 1, "info": 0, "waived": 0, "baselined": 0}
    for finding in report["findings"]:
        assert set(finding) >= {"rule", "severity", "file", "line", "pointer", "message", "fix",
                                "fingerprint"}
        assert isinstance(finding["line"], int) and finding["line"] > 0
        assert finding["pointer"].startswith("/")
        assert len(finding["fingerprint"]) == 16


def test_sarif_report_is_sarif_2_1_0_with_rules_and_locations(gates, broken):
    result = gates("run", "registry-policy", "--root", str(broken), "--format", "sarif")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    for rule_id in ("REG-002", "REG-003", "REG-004", "SCHEMA-001"):
        rule = rules[ids.index(rule_id)]
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    expected = {(f["rule"], f["line"]) for f in _json(gates, broken)["findings"]}
    got = set()
    for item in run["results"]:
        assert ids[item["ruleIndex"]] == item["ruleId"]
        assert item["level"] in ("error", "warning", "note")
        location = item["locations"][0]["physicalLocation"]
        assert not Path(location["artifactLocation"]["uri"]).is_absolute()
        got.add((item["ruleId"], location["region"]["startLine"]))
    assert got == expected


def test_junit_report_counts_failures_per_rule(gates, broken):
    result = gates("run", "registry-policy", "--root", str(broken), "--format", "junit")
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "registry-policy"
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) >= 20
    failed = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
    assert failed == {"REG-002", "REG-003"}  # the warning does not fail at fail_on: error
    assert int(suite.get("failures")) == 2
    failure = next(c for c in cases if c.get("name").startswith("REG-002")).find("failure")
    assert f"{ROLES}:13" in failure.text


def test_github_annotations_carry_file_line_and_title(gates, broken):
    result = gates("run", "registry-policy", "--root", str(broken), "--format", "github")
    lines = result.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 2 and len(warnings) == 1
    assert errors[0].startswith(f"::error file={ROLES},line=")
    assert "title=REG-" in errors[0]


def test_spine_format_prints_pass_on_stdout_and_fail_on_stderr(gates, spine, broken):
    result = gates("run", "registry-policy", "--root", str(broken), "--format", "spine")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("D120 FAIL: spine-gates registry-policy: 2 error(s)")
    assert "Traceback" not in result.stderr and "ERROR:" not in result.stderr


def test_spine_format_pass_line(gates, spine):
    result = gates("run", "registry-policy", "--root", str(spine), "--format", "spine")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("D120 PASS: spine-gates registry-policy")


def test_output_file_is_written_and_stdout_stays_empty(gates, broken, tmp_path):
    out = tmp_path / "report.sarif"
    result = gates("run", "registry-policy", "--root", str(broken), "--format", "sarif",
                   "--output", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_text_report_uses_colour_only_when_asked(broken):
    from spine_gates.checks.interface import prepare
    from spine_gates.checks.table import load_gates
    from spine_gates.gates import run_gate
    from spine_gates.report import renderer

    result = run_gate(load_gates()["registry-policy"], prepare(broken))
    plain = renderer("text")(result, False)
    coloured = renderer("text")(result, True)
    assert "\x1b[" not in plain and "\x1b[31m" in coloured
    assert plain.count("REG-002") == coloured.count("REG-002")


def test_spine_format_for_all_prints_a_line_per_gate_on_the_right_stream(gates, broken):
    result = gates("run", "all", "--root", str(broken), "--format", "spine")
    assert result.returncode == 1
    assert result.stderr.startswith("D120 FAIL: spine-gates registry-policy")
    passed = result.stdout.splitlines()
    assert passed and all(" PASS: spine-gates " in line for line in passed)
    ids = {line.split()[0] for line in passed + result.stderr.splitlines()}
    assert ids == {"D120", "D121", "D122", "D123", "D124"}


# Review regressions: the SARIF levels and the GitHub annotation escaping (changing either
# passed every existing test).
FINDINGS = (
    Finding("T-ERR", Severity.ERROR, "broken", "docs/a,b:c.yaml", 3, "/x", title="Err"),
    Finding("T-WARN", Severity.WARNING, "50% done\nsecond line", "docs/w.yaml", 4, "/y",
            title="Warn, with: punctuation"),
    Finding("T-INFO", Severity.INFO, "for your information", "docs/i.yaml", 5, "/z",
            title="Info"),
)


def _result() -> GateResult:
    rules = tuple(RuleMeta(f.rule, f.title, f.severity, "", "") for f in FINDINGS)
    return GateResult("review", False, 1, FINDINGS, rules, Severity.ERROR, "/spine",
                      ("docs/a,b:c.yaml",), 1.0)


def test_sarif_levels_follow_the_severity() -> None:
    sarif = json.loads(sarif_format.render(_result()))
    run = sarif["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"T-ERR": "error", "T-WARN": "warning", "T-INFO": "note"}
    defaults = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert defaults == levels


def test_github_annotations_escape_properties_and_data() -> None:
    lines = github_format.render(_result()).splitlines()
    assert lines[0] == "::error file=docs/a%2Cb%3Ac.yaml,line=3,title=T-ERR Err::broken"
    assert lines[1] == ("::warning file=docs/w.yaml,line=4,title=T-WARN Warn%2C with%3A "
                        "punctuation::50%25 done%0Asecond line")
    assert lines[2].startswith("::notice file=docs/i.yaml,line=5,")
    assert lines[3].startswith("gate review: FAIL")
    assert len(lines) == 4  # a message's newline never starts a command of its own
