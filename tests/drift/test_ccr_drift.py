"""`gates run provider-drift`: keyed comparison, verdicts in sync / pending / drift, ignore rules,
fingerprinted keys, and `gates adopt`'s patch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import gates_env, run_gates

LITERAL_KEY = "sk-proj-Xq7vT2mN9pL4rK8sW3yZ6bC1dF5gH0jA"


def setup(spine: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    result = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    return live, env


def drift(spine: Path, live: Path, env: dict[str, str]) -> tuple[int, list[dict]]:
    result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                       "--format", "json", env=env)
    assert result.returncode in (0, 2), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"]


def by_rule(findings: list[dict], rule: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule]


def verdict(findings: list[dict]) -> str:
    [summary] = by_rule(findings, "DRIFT-000")
    return summary["message"].split(":")[0]


def test_fresh_sync_is_in_sync(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings) == "verdict in_sync"


def test_provider_and_model_order_do_not_matter(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    data = json.loads(live.read_text())
    data["Providers"].reverse()
    for provider in data["Providers"]:
        provider["models"].reverse()
    live.write_text(json.dumps(data, indent=4))
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings) == "verdict in_sync"


def test_each_hand_edit_is_a_finding_with_pointer_line_and_sentence(spine: Path,
                                                                    tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    data = json.loads(live.read_text())
    data["Router"]["think"] = "nvidia_nim,z-ai/glm5"
    data["fallback"]["default"] = ["zai,glm-5"]
    data["Providers"][1]["models"] = ["o4-mini", "gpt-4o"]
    text = json.dumps(data, indent=2)
    live.write_text(text)
    code, findings = drift(spine, live, env)
    assert code == 2
    got = {f["pointer"]: f for f in by_rule(findings, "DRIFT-001")}
    assert set(got) == {"/Router/think", "/fallback/default", "/Providers/1/models"}
    assert got["/Router/think"]["message"] == (
        "Router.think: live is nvidia_nim,z-ai/glm5, SSOT says anthropic,claude-opus-4-5")
    assert got["/Providers/1/models"]["message"] == (
        "Providers[openai].models: live adds gpt-4o; live lacks gpt-5, gpt-5-codex")
    assert got["/fallback/default"]["message"].startswith(
        "fallback.default: live is [zai,glm-5], SSOT says [openrouter,anthropic/claude-sonnet-4-5")
    lines = text.splitlines()
    assert '"think": "nvidia_nim,z-ai/glm5"' in lines[got["/Router/think"]["line"] - 1]


def test_keys_appear_only_as_fingerprints(spine: Path, tmp_path: Path) -> None:
    from spine_gates.secrets.redact import fingerprint

    live, env = setup(spine, tmp_path)
    data = json.loads(live.read_text())
    data["Providers"][1]["api_key"] = LITERAL_KEY
    data["APIKEY"] = "router-secret-value-123"
    live.write_text(json.dumps(data, indent=2))
    for fmt in ("text", "json", "sarif"):
        result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                           "--format", fmt, env=env)
        assert result.returncode == 2
        assert LITERAL_KEY not in result.stdout + result.stderr
        assert "router-secret-value-123" not in result.stdout + result.stderr
        assert fingerprint(LITERAL_KEY) in result.stdout
    dry = run_gates("sync", "--dry-run", "--root", str(spine), "--live", str(live), env=env)
    assert LITERAL_KEY not in dry.stdout and fingerprint(LITERAL_KEY) in dry.stdout


def test_registry_edit_without_sync_is_pending_not_drift(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    # a model outside executor's chain: a repeated chain entry (REG-006) would block the sync
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: openai/gpt-5"))
    code, findings = drift(spine, live, env)
    assert code == 0
    assert verdict(findings) == "verdict pending"
    assert {f["pointer"] for f in by_rule(findings, "DRIFT-002")} == {"/Router/default",
                                                                      "/Router/webSearch"}
    assert by_rule(findings, "DRIFT-001") == []

    # a hand edit on top of a pending change is still drift, and only where edited
    data = json.loads(live.read_text())
    data["Router"]["background"] = "zai,glm-4.7-flash"
    live.write_text(json.dumps(data, indent=2))
    code, findings = drift(spine, live, env)
    assert code == 2
    assert [f["pointer"] for f in by_rule(findings, "DRIFT-001")] == ["/Router/background"]
    assert len(by_rule(findings, "DRIFT-002")) == 2

    assert run_gates("sync", "--root", str(spine), "--live", str(live), env=env).returncode == 0
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings) == "verdict in_sync"


def test_without_a_sync_stamp_every_difference_is_drift(spine: Path, tmp_path: Path) -> None:
    live = tmp_path / "config.json"
    compiled = run_gates("compile", "ccr", "--root", str(spine), "--out", str(live))
    assert compiled.returncode == 0
    roles = spine / "docs/governance/ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: zai/glm-5"))
    code, findings = drift(spine, live, gates_env(HOME=str(tmp_path)))
    assert code == 2 and len(by_rule(findings, "DRIFT-001")) == 2


def write_ignore(spine: Path, expires: str) -> None:
    (spine / "spine-gates.yaml").write_text(
        "ccr:\n  ignore:\n    - pointer: /Providers/local_lmstudio/api_base_url\n"
        "      reason: LM Studio listens on 1235 on this workstation\n"
        f"      owner: \"@ronny\"\n      expires: \"{expires}\"\n")


def test_ignore_rule_waives_the_difference_and_sync_keeps_the_override(
        spine: Path, tmp_path: Path) -> None:
    write_ignore(spine, "2027-01-31")
    live, env = setup(spine, tmp_path)
    local_url = "http://localhost:1235/v1/chat/completions"
    data = json.loads(live.read_text())
    data["Providers"][5]["api_base_url"] = local_url
    data["LOG_LEVEL"] = "warn"
    live.write_text(json.dumps(data, indent=2))
    result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                       "--format", "json", env=env)
    report = json.loads(result.stdout)
    assert result.returncode == 2  # LOG_LEVEL is not ignored
    assert report["summary"]["waived"] == 1
    assert [f["pointer"] for f in by_rule(report["findings"], "DRIFT-001")] == [
        "/LOG_LEVEL", "/Providers/5/api_base_url"]

    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0
    assert "keep    /Providers/local_lmstudio/api_base_url: ignored: LM Studio" in synced.stdout
    after = json.loads(live.read_text())
    assert after["Providers"][5]["api_base_url"] == local_url
    assert after["LOG_LEVEL"] == "info"
    code, findings = drift(spine, live, env)
    assert code == 0 and verdict(findings).startswith("verdict in_sync")


def test_expired_ignore_rule_ignores_nothing_and_says_so(spine: Path, tmp_path: Path) -> None:
    write_ignore(spine, "2026-11-01")
    live, env = setup(spine, tmp_path)
    data = json.loads(live.read_text())
    data["Providers"][5]["api_base_url"] = "http://localhost:1235/v1/chat/completions"
    live.write_text(json.dumps(data, indent=2))
    code, findings = drift(spine, live, env)
    assert code == 2
    [expired] = by_rule(findings, "DRIFT-003")
    assert "expired on 2026-11-01" in expired["message"]



@pytest.mark.parametrize(("today", "ignored"), [("2026-11-25", True), ("2026-11-26", False)])
def test_an_ignore_rule_still_ignores_on_its_expiry_day_and_not_the_day_after(
        spine: Path, tmp_path: Path, today: str, ignored: bool) -> None:
    write_ignore(spine, "2026-11-25")
    live, _ = setup(spine, tmp_path)
    env = gates_env(HOME=str(tmp_path / "home"), SPINE_GATES_TODAY=today)
    data = json.loads(live.read_text())
    data["Providers"][5]["api_base_url"] = "http://localhost:1235/v1/chat/completions"
    live.write_text(json.dumps(data, indent=2))
    code, findings = drift(spine, live, env)
    assert code == (0 if ignored else 2), findings
    assert bool(by_rule(findings, "DRIFT-003")) is not ignored

def test_malformed_ignore_rule_is_bad_input(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    (spine / "spine-gates.yaml").write_text("ccr:\n  ignore:\n    - pointer: /HOST\n")
    result = run_gates("run", "provider-drift", "--root", str(spine), "--live", str(live),
                       env=env)
    assert result.returncode == 3
    assert result.stderr.strip() == ("gates: error: spine-gates.yaml: ignore rule 1 needs a "
                                     "non-empty 'reason'")


def test_adopt_proposes_a_patch_that_makes_the_ssot_match(spine: Path, tmp_path: Path) -> None:
    live, env = setup(spine, tmp_path)
    data = json.loads(live.read_text())
    data["Router"]["think"] = data["Router"]["longContext"] = "nvidia_nim,moonshotai/kimi-k2.5"
    data["fallback"]["background"] = ["local_lmstudio,qwen2.5-coder"]
    data["Providers"][1]["models"].append("gpt-4o")
    data["LOG_LEVEL"] = "warn"
    live.write_text(json.dumps(data, indent=2))
    result = run_gates("adopt", "--root", str(spine), "--live", str(live), env=env)
    assert result.returncode == 0, result.stderr
    assert "+    primary: nvidia_nim/moonshotai/kimi-k2.5" in result.stdout
    assert "+    models: [o4-mini, gpt-5, gpt-5-codex, gpt-4o]" in result.stdout
    assert "# note: LOG_LEVEL: live is warn, SSOT says info" in result.stdout
    subprocess.run(["git", "init", "-q", str(spine)], check=True)
    applied = subprocess.run(["git", "apply", "--verbose", "-"], cwd=spine, input=result.stdout,
                             text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    code, findings = drift(spine, live, env)
    assert [f["pointer"] for f in by_rule(findings, "DRIFT-001")] == ["/LOG_LEVEL"]
    policy = run_gates("run", "registry-policy", "--root", str(spine), env=env)
    assert "SCHEMA-001" not in policy.stdout


# Review regression: with a live router config present (every developer machine), a registry
# violation that keeps the SSOT from compiling made `gates run all` exit 3 with one line, hiding
# every finding. The registry rules report it; the drift gate now says it did not compare.
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"


def test_an_ssot_that_does_not_compile_is_reported_not_an_abort(spine: Path,
                                                                tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    roles = spine / ROLES
    roles.write_text(roles.read_text().replace("      - nvidia_nim/moonshotai/kimi-k2.5\n",
                                               "      - nowhere/m1\n"))
    done = run_gates("run", "all", "--root", str(spine), "--format", "json", "--no-receipt",
                     env=env)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert any(f["rule"] == "REG-002" and "nowhere" in f["message"] for f in findings)
    (verdict,) = [f for f in findings if f["rule"] == "DRIFT-000"]
    assert verdict["message"].startswith("verdict not compared") and "nowhere" in \
        verdict["message"]
    assert verdict["file"] == ROLES and verdict["line"]
    # sync itself still refuses: a deploy blocker (REG-002), nothing written
    refused = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert refused.returncode == 1 and "REG-002" in refused.stderr
    assert "nowhere" in refused.stderr


def test_a_bad_spine_setting_is_still_bad_input_for_the_drift_gate(spine: Path,
                                                                   tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    assert run_gates("sync", "--root", str(spine), "--live", str(live), env=env).returncode == 0
    (spine / "spine-gates.yaml").write_text("ccr:\n  apikey_ref: file:///etc/key\n")
    done = run_gates("run", "provider-drift", "--root", str(spine), env=env)
    assert done.returncode == 3
    assert done.stderr.startswith("gates: error: spine-gates.yaml: ccr.apikey_ref:")


# Review regression: `gates run all` exits 2 when one gate drifts and another has violations
# (drift outranks violations, DESIGN's exit codes); replacing the rule passed every test.
SSOT = "docs/governance/SSOT_REGISTRY.yaml"


def test_drift_outranks_violations_in_the_exit_code(spine: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    live = home / ".claude-code-router" / "config.json"
    env = gates_env(HOME=str(home))
    synced = run_gates("sync", "--root", str(spine), "--live", str(live), env=env)
    assert synced.returncode == 0, synced.stderr
    config = json.loads(live.read_text())
    config["Router"]["default"] = "openrouter,qwen/qwen3-coder:free"  # a hand edit: drift
    live.write_text(json.dumps(config, indent=2))
    ssot = spine / SSOT  # an SSOT entry not reviewed for 36 days: a registry-policy violation
    text = ssot.read_text()
    assert 'last_reviewed: "2026-11-25"' in text
    ssot.write_text(text.replace('last_reviewed: "2026-11-25"', 'last_reviewed: "2026-10-20"', 1))
    done = run_gates("run", "all", "--root", str(spine), "--live", str(live), "--format",
                     "json", "--no-receipt", env=env)
    report = json.loads(done.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert "SSOT-004" in rules and any(r.startswith("DRIFT") for r in rules), rules
    assert done.returncode == 2, (done.returncode, done.stderr)
