"""Control, bidi and zero-width characters in a spine never reach an output raw.

A registry can carry any character YAML's double-quoted escapes allow. Such a character in an id,
a path or a model name must not colour or clear the terminal, reorder the line (bidi overrides),
hide in plain sight (zero-width), start a forged GitHub workflow command on a new line, or make
the JUnit XML ill-formed. Text-like formats show visible escapes (`\\x1b`, `\\n`, `\\u202e`);
JSON and SARIF use JSON's own escaping and round-trip the value; the ids themselves are flagged.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import REPO, drain_pty, gates_env

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"

BIDI_AND_INVISIBLE = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x2010),
                      0x2028, 0x2029, 0xFEFF]
# What must never appear raw: C0 (newline aside: it separates lines), DEL, C1, bidi, zero-width.
RAW = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), *BIDI_AND_INVISIBLE] if c != 0x0A}

EVIL_PROVIDER = "evil\x1b[2J\u202e\u200b\r"
EVIL_MODEL = "m\x1b[31m\n::error file=x::forged\r\u202e\u200b\x00\x07\x7f\x85\x9b%0A"
EVERY_CHAR_MODEL = "all" + "".join(chr(c) for c in [*range(0xA0), *BIDI_AND_INVISIBLE])
EVIL_INJECT = "docs/brain/roles/missing\x1b[31m\n::error file=x::forged\u202e.md"


def _yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar holding `text` (YAML forbids most controls raw)."""
    return '"' + "".join(
        c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


@pytest.fixture
def hostile(spine: Path) -> Path:
    """A spine whose ids, a model catalogue and an inject path carry hostile characters."""
    providers = spine / PROVIDERS
    entry = (f"  {_yaml_quoted(EVIL_PROVIDER)}:\n"
             "    type: hosted\n    api_format: openai\n    api_base: https://evil.example/v1\n"
             "    quota_type: credits\n    cost_tier: paid\n    api_key_ref: env:EVIL_API_KEY\n"
             f"    models: [{_yaml_quoted(EVIL_MODEL)}, {_yaml_quoted(EVERY_CHAR_MODEL)}]\n\n")
    providers.write_text(providers.read_text().replace("providers:\n", "providers:\n" + entry, 1))
    roles = spine / ROLES
    roles.write_text(roles.read_text().replace(
        "inject: docs/brain/roles/executor.md", f"inject: {_yaml_quoted(EVIL_INJECT)}", 1))
    return spine


def _run(gates, root: Path, fmt: str) -> subprocess.CompletedProcess[str]:
    result = gates("run", "registry-policy", "--root", str(root), "--format", fmt)
    assert result.returncode == 1, result.stderr
    return result


def _raw_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if c in RAW})


def _json_findings(gates, root: Path) -> list[dict]:
    return json.loads(_run(gates, root, "json").stdout)["findings"]


def test_text_report_shows_hostile_characters_as_visible_escapes(gates, hostile):
    result = _run(gates, hostile, "text")
    assert _raw_in(result.stdout + result.stderr) == []
    assert "\\x1b[2J\\u202e\\u200b\\r" in result.stdout
    assert "missing\\x1b[31m\\n::error file=x::forged\\u202e.md" in result.stdout
    assert not any(line.startswith("::") for line in result.stdout.splitlines())


def _on_a_tty(*args: str) -> str:
    """Run the CLI with stdout on a pseudo-terminal (the path that paints colours)."""
    env = gates_env()
    env.pop("NO_COLOR")
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "spine_gates", *args], cwd=REPO, env=env,
                                stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        slave = -1
        out = drain_pty(master)
        assert proc.wait(timeout=60) == 1
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    return out.decode().replace("\r\n", "\n")


def test_coloured_text_report_emits_only_its_own_colour_codes(hostile):
    out = _on_a_tty("run", "registry-policy", "--root", str(hostile))
    own_colours = re.compile(r"\x1b\[(?:0|2|31|32|33|36)m")
    assert own_colours.search(out), "the report is coloured on a terminal"
    assert _raw_in(own_colours.sub("", out)) == []
    assert "\\x1b[2J" in out


def test_github_report_has_one_workflow_command_per_active_finding(gates, hostile):
    active = [f for f in _json_findings(gates, hostile) if "suppressed" not in f]
    lines = _run(gates, hostile, "github").stdout.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(active)
    assert all(re.match(r"::(error|warning|notice) ", line) for line in commands)
    assert len(lines) == len(commands) + 1 and lines[-1].startswith("gate registry-policy: FAIL")
    assert _raw_in("\n".join(lines)) == []
    assert any("%0A::error file=x::forged" in line for line in commands), "GitHub's escape"
    assert any("%250A" in line for line in commands), "a literal %0A is not decoded by GitHub"


def test_spine_report_is_one_line_without_raw_characters(gates, hostile):
    result = _run(gates, hostile, "spine")
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("D120 FAIL: ")
    assert _raw_in(result.stderr) == []


def test_junit_report_parses_with_every_control_bidi_and_zero_width_character(gates, hostile):
    result = _run(gates, hostile, "junit")
    root = ET.fromstring(result.stdout)
    text = "".join(root.itertext()) + "".join(
        value for node in root.iter() for value in node.attrib.values())
    assert _raw_in(text) == []
    assert "all\\x00\\x01" in text and "\\x9f\\u202a" in text


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_round_trip_hostile_values_in_ascii(gates, hostile, fmt):
    out = _run(gates, hostile, fmt).stdout
    assert out.isascii(), "bidi and zero-width characters are \\u-escaped, not raw"
    document = json.loads(out)
    if fmt == "json":
        messages = [f["message"] for f in document["findings"]]
    else:
        messages = [r["message"]["text"] for r in document["runs"][0]["results"]]
    assert any(EVIL_INJECT in m for m in messages)
    assert any(EVIL_MODEL in m for m in messages)
    assert any(EVERY_CHAR_MODEL in m for m in messages)


def test_a_rule_flags_hostile_provider_and_model_ids(gates, hostile):
    findings = _json_findings(gates, hostile)
    ids = {(f["rule"], f["pointer"]) for f in findings if f["rule"] in ("REG-013", "REG-014")}
    provider = "/providers/" + EVIL_PROVIDER
    assert ids == {("REG-013", provider), ("REG-014", provider + "/models/0"),
                   ("REG-014", provider + "/models/1")}
    assert all(f["severity"] == "error" for f in findings if f["rule"] in ("REG-013", "REG-014"))


def test_the_error_line_shows_a_hostile_path_as_visible_escapes(gates, spine):
    path = "/nonexistent/req\x1b[2J\u202e\n::error file=x::forged.json"
    result = gates("route", "explain", path, "--root", str(spine))
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gates: error: ")
    assert _raw_in(result.stderr) == []
    assert "req\\x1b[2J\\u202e\\n::error file=x::forged.json" in result.stderr


# Other commands that print values from a spine, a router config or git in plain text.

FORGED = "x\x1b[2J\n::error file=x::forged\u202e\u200b"


def _assert_clean(text: str) -> None:
    assert _raw_in(text) == []
    assert not any(line.startswith("::") for line in text.splitlines())
    assert "x\\x1b[2J\\n::error file=x::forged\\u202e\\u200b" in text


@pytest.fixture
def router_config(tmp_path: Path) -> Path:
    """A router config whose default route names a hostile model."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "Providers": [{"name": "p", "api_base_url": "http://127.0.0.1:9", "api_key": "k",
                       "models": [FORGED, "ok"]}],
        "Router": {"default": f"p,{FORGED}", "think": "p,ok"}}))
    return config


def test_route_explain_text_shows_hostile_router_values_escaped(gates, router_config, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model": "claude-sonnet-4-5",
                                   "messages": [{"role": "user", "content": "hi"}]}))
    result = gates("route", "explain", str(request), "--ccr-config", str(router_config))
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr)


def test_route_resilience_text_shows_hostile_router_values_escaped(gates, router_config, spine):
    result = gates("route", "resilience", "--ccr-config", str(router_config), "--root",
                   str(spine))
    assert result.returncode in (0, 1), result.stderr
    _assert_clean(result.stdout + result.stderr)


@pytest.fixture
def hostile_live(gates, spine: Path, tmp_path: Path) -> Path:
    """The live router config compiled from the spine, then hand-edited with a hostile route."""
    compiled = gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 0, compiled.stderr
    config = json.loads(compiled.stdout)
    config["Router"]["think"] = f"p,{FORGED}"
    live = tmp_path / "live.json"
    live.write_text(json.dumps(config))
    return live


def test_sync_dry_run_shows_hostile_live_values_escaped(gates, spine, hostile_live):
    result = gates("sync", "--root", str(spine), "--live", str(hostile_live), "--dry-run")
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr)


def test_adopt_notes_show_hostile_live_values_escaped(gates, spine, hostile_live):
    config = json.loads(hostile_live.read_text())
    config["HOST"] = f"127.0.0.1{FORGED}"
    hostile_live.write_text(json.dumps(config))
    result = gates("adopt", "--root", str(spine), "--live", str(hostile_live))
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr)
    assert all(line.startswith(("#", "---", "+++", "@@", " ", "-", "+"))
               for line in result.stdout.splitlines() if line)


def test_providers_status_text_shows_hostile_model_refs_escaped(gates, spine, tmp_path):
    providers = spine / PROVIDERS
    providers.write_text(providers.read_text().replace(
        "models: [glm-5, glm-4.7-flash]", f"models: [glm-5, {_yaml_quoted(FORGED)}]"))
    roles = spine / ROLES
    roles.write_text(roles.read_text().replace(
        "primary: anthropic/claude-opus-4-5", f"primary: {_yaml_quoted('zai/' + FORGED)}", 1))
    env = gates_env(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "c"))
    result = subprocess.run(
        [sys.executable, "-m", "spine_gates", "providers", "status", "--root", str(spine),
         "--offline"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    _assert_clean(result.stdout + result.stderr)


@pytest.fixture
def hostile_pack(spine: Path) -> Path:
    """A spine with its own rule pack whose title and test case name carry hostile text."""
    (spine / "policies" / "tests").mkdir(parents=True)
    (spine / "policies" / "team.yaml").write_text(
        "pack: team\nrules:\n  - id: TEAM-001\n"
        f"    title: {_yaml_quoted('Roles ' + FORGED)}\n"
        f"    rationale: {_yaml_quoted('Because ' + FORGED)}\n"
        "    severity: error\n    select: \"roles[]\"\n"
        "    assert:\n      count: {value: chain, min: 1}\n"
        "    message: \"role {id} has no chain\"\n    fix: \"Give role {id} a chain.\"\n")
    (spine / "policies" / "tests" / "team.yaml").write_text(
        "cases:\n"
        f"  - {{name: {_yaml_quoted('clean ' + FORGED)}, rule: TEAM-001, expect: []}}\n"
        f"  - {{name: {_yaml_quoted('wrong ' + FORGED)}, rule: TEAM-001,\n"
        "     expect: [{pointer: /roles/nowhere}]}\n")
    return spine


def test_policy_test_output_shows_hostile_case_names_escaped(gates, hostile_pack):
    result = gates("policy", "test", "--root", str(hostile_pack))
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_rule_catalogue_shows_hostile_spine_rule_titles_escaped(gates, hostile_pack, fmt):
    result = gates("policy", "rules", "--root", str(hostile_pack), "--format", fmt)
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_receipt_audit_shows_a_hostile_commit_subject_escaped(gates, spine, tmp_path, fmt):
    made = gates("receipts", "keygen", "--root", str(spine), "--out",
                 str(tmp_path / "keys" / "ci.key"), "--name", "ci")
    assert made.returncode == 0, made.stderr

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@example.invalid",
                        "-c", "commit.gpgsign=false", *args], cwd=spine, check=True,
                       capture_output=True)

    git("init", "-q")
    git("add", "docs", "receipts")
    git("commit", "-q", "-m", "initial spine")
    providers = spine / PROVIDERS
    providers.write_text(providers.read_text() + "\n")
    git("commit", "-q", "-am", f"edit {FORGED.replace(chr(10), ' ')} and {FORGED}")
    result = gates("receipts", "audit", "--root", str(spine), "--format", fmt)
    assert result.returncode in (0, 1), result.stderr
    assert _raw_in(result.stdout + result.stderr) == []
    assert "edit x\\x1b[2J ::error file=x::forged\\u202e\\u200b" in result.stdout
