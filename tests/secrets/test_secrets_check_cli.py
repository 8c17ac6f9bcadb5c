"""`gates secrets check` and the secret-refs gate, run as the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

from spine_gates.secrets.redact import fingerprint
from tests.helpers import gates_env, run_gates
from tests.secrets.fake_infisical import PROVIDER_KEYS, infisical_env

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
MANIFEST = "docs/governance/SECRETS_MANIFEST.yaml"


def _check(spine: Path, env: dict[str, str], *extra: str) -> tuple[int, dict]:
    result = run_gates("secrets", "check", "--root", str(spine), "--format", "json", *extra,
                       env=env)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _offline_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = gates_env(XDG_CACHE_HOME=str(tmp_path / "cache"),
                    XDG_CONFIG_HOME=str(tmp_path / "config"))
    for name in list(env):
        if name.startswith("INFISICAL_") or name in ("CI", "SPINE_GATES_REQUIRE_RESOLUTION"):
            env.pop(name)
    env.update(extra)
    return env


def _replace(spine: Path, rel: str, old: str, new: str) -> None:
    path = spine / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_reference_spine_resolves_offline_from_the_manifest(spine, tmp_path):
    code, report = _check(spine, _offline_env(tmp_path))
    assert code == 0 and report["passed"]
    refs = report["references"]
    assert sorted(r["reference"].rsplit("/", 1)[1] for r in refs) == sorted(PROVIDER_KEYS)
    assert {r["source"] for r in refs} == {"manifest"}
    assert {r["status"] for r in refs} == {"found"}
    assert not (tmp_path / "cache").exists()  # nothing asked, nothing cached


def test_live_infisical_answers_then_the_cache_answers_without_network(spine, tmp_path,
                                                                        infisical):
    env = infisical_env(infisical, tmp_path)
    code, report = _check(spine, env)
    assert code == 0
    assert {r["source"] for r in report["references"]} == {"infisical"}
    cache = tmp_path / "cache" / "spine-gates" / "secret-refs.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "API_KEY" not in cache.read_text()  # keyed by digest, no names, no values
    infisical.stop()
    asked = len(infisical.requests)
    code, report = _check(spine, env)
    assert code == 0
    assert {r["source"] for r in report["references"]} == {"cache"}
    assert len(infisical.requests) == asked


def test_a_reference_infisical_does_not_know_is_an_error(spine, tmp_path, infisical):
    _replace(spine, PROVIDERS, "providers/OPENAI_API_KEY", "providers/OPENAI_API_KEY_OLD")
    code, report = _check(spine, infisical_env(infisical, tmp_path))
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["rule"] == "SEC-010"]
    assert finding["severity"] == "error"
    assert finding["pointer"] == "/providers/openai/api_key_ref"
    assert "(source: infisical)" in finding["message"]


def test_a_reference_missing_from_the_manifest_is_an_error_offline(spine, tmp_path):
    _replace(spine, PROVIDERS, "providers/NVIDIA_API_KEY", "providers/NIM_API_KEY")
    code, report = _check(spine, _offline_env(tmp_path))
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["rule"] == "SEC-010"]
    assert "(source: manifest)" in finding["message"]


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_infisical_without_manifest_warns_and_fails_closed_on_demand(spine,
                                                                                  tmp_path):
    (spine / MANIFEST).unlink()
    env = _offline_env(tmp_path, INFISICAL_HOST=f"http://127.0.0.1:{_dead_port()}",
                       INFISICAL_CLIENT_ID="id", INFISICAL_CLIENT_SECRET="client-secret-x1",
                       INFISICAL_PROJECT_ID="p")
    code, report = _check(spine, env)
    assert code == 0
    unresolved = [f for f in report["findings"] if f["rule"] == "SEC-011"]
    assert len(unresolved) == 5 and {f["severity"] for f in unresolved} == {"warning"}
    assert "unresolved: infisical unreachable" in unresolved[0]["message"]
    code, report = _check(spine, env, "--require-resolution")
    assert code == 1
    assert {f["severity"] for f in report["findings"] if f["rule"] == "SEC-011"} == {"error"}


def test_require_resolution_does_not_accept_the_manifest(spine, tmp_path):
    code, report = _check(spine, _offline_env(tmp_path), "--require-resolution")
    assert code == 1
    assert all("manifest does not count" in f["message"] for f in report["findings"])


def test_offline_flag_skips_infisical_even_when_configured(spine, tmp_path, infisical):
    code, report = _check(spine, infisical_env(infisical, tmp_path), "--offline")
    assert code == 0
    assert {r["source"] for r in report["references"]} == {"manifest"}
    assert infisical.requests == []


def test_env_references_are_checked_against_the_environment(spine, tmp_path):
    _replace(spine, PROVIDERS, "infisical://spine/ai/providers/OPENAI_API_KEY",
             "env:SPINE_TEST_OPENAI_KEY")
    value = "value-from-env-7c1d2e3f"
    code, report = _check(spine, _offline_env(tmp_path, SPINE_TEST_OPENAI_KEY=value))
    row = next(r for r in report["references"] if r["reference"].startswith("env:"))
    assert code == 0 and row["source"] == "env" and row["status"] == "found"
    code, report = _check(spine, _offline_env(tmp_path))
    (finding,) = [f for f in report["findings"] if f["rule"] == "SEC-011"]
    assert code == 0 and finding["severity"] == "warning"
    assert "SPINE_TEST_OPENAI_KEY is not set" in finding["message"]


def test_a_value_learned_from_the_environment_is_scrubbed_from_other_findings(spine, tmp_path):
    value = "plain-env-value-4e5f6a7b"
    _replace(spine, PROVIDERS, "infisical://spine/ai/providers/OPENAI_API_KEY",
             "env:SPINE_TEST_OPENAI_KEY")
    _replace(spine, "docs/governance/ROLE_PROVIDER_MAPS.yaml",
             "inject: docs/brain/roles/executor.md", f"inject: {value}")
    result = run_gates("run", "all", "--root", str(spine), "--format", "json", "--no-receipt",
                       env=_offline_env(tmp_path, SPINE_TEST_OPENAI_KEY=value))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    (echo,) = [f for f in report["findings"] if f["rule"] == "REG-007"]  # echoes the path
    assert value not in result.stdout + result.stderr
    assert echo["message"] == f"role executor: inject file {fingerprint(value)} does not exist"


def test_secret_refs_gate_fails_closed_with_the_environment_switch(spine, tmp_path):
    result = run_gates("run", "secret-refs", "--root", str(spine), "--no-receipt",
                       env=_offline_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_gates("run", "secret-refs", "--root", str(spine), "--no-receipt",
                       env=_offline_env(tmp_path, SPINE_GATES_REQUIRE_RESOLUTION="1"))
    assert result.returncode == 1
    assert "SEC-011 [error]" in result.stdout


def test_a_manifest_holding_a_value_is_bad_input(spine, tmp_path):
    (spine / MANIFEST).write_text("paths:\n  /spine/ai/providers:\n    - OPENAI_API_KEY\n"
                                  "    - sk-proj-abcdefghijklmnopqrstuvwxyz012345\n")
    result = run_gates("secrets", "check", "--root", str(spine), env=_offline_env(tmp_path))
    assert result.returncode == 3
    assert result.stderr.startswith(f"gates: error: {MANIFEST}:4: ")
    assert "sk-proj-abcdefghijklmnopqrstuvwxyz012345" not in result.stderr


def test_credentials_in_spine_config_are_refused(spine, tmp_path):
    (spine / "spine-gates.yaml").write_text("secrets:\n  infisical:\n"
                                            "    client_secret: do-not-commit-me-123\n")
    result = run_gates("secrets", "check", "--root", str(spine), env=_offline_env(tmp_path))
    assert result.returncode == 3
    assert "do-not-commit-me-123" not in result.stderr


def test_user_config_file_supplies_infisical_settings(spine, tmp_path, infisical):
    from tests.secrets.fake_infisical import CLIENT_ID, CLIENT_SECRET

    config = tmp_path / "infisical.yaml"
    config.write_text(f"host: {infisical.url}\nclient_id: {CLIENT_ID}\n"
                      f"client_secret: {CLIENT_SECRET}\nproject_id: proj-9\n")
    code, report = _check(spine, _offline_env(tmp_path, SPINE_GATES_INFISICAL_CONFIG=str(config)))
    assert code == 0
    assert {r["source"] for r in report["references"]} == {"infisical"}
    assert infisical.requests[-1]["query"]["workspaceId"] == "proj-9"


def test_text_output_names_the_source_of_every_answer(spine, tmp_path):
    result = run_gates("secrets", "check", "--root", str(spine), env=_offline_env(tmp_path))
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("infisical://")]
    assert len(lines) == 5 and all(" found " in ln and " manifest " in ln for ln in lines)
    assert "5 found (5 manifest)" in result.stdout


def test_gates_run_all_passes_on_the_reference_spine_without_network(spine, tmp_path):
    env = _offline_env(tmp_path, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    result = run_gates("run", "all", "--root", str(spine), "--no-receipt", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert os.environ.get("SPINE_GATES_REQUIRE_RESOLUTION") is None


def test_a_key_infisical_has_but_the_manifest_does_not_list_is_a_warning(spine, tmp_path,
                                                                          infisical):
    infisical.add("/spine/ai/providers", "GROQ_API_KEY")
    _replace(spine, PROVIDERS, "providers/OPENAI_API_KEY", "providers/GROQ_API_KEY")
    code, report = _check(spine, infisical_env(infisical, tmp_path))
    assert code == 0
    (finding,) = report["findings"]
    assert finding["rule"] == "SEC-012" and finding["severity"] == "warning"
    assert "exists (infisical) but is not listed" in finding["message"]
