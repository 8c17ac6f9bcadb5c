"""Messages, explanations and pointers echo no piece of a key.

- Scenario failures: `gates run routing-scenarios` (the gate alone, without the secrets pack
  that would register what it finds) reports a failing scenario whose name, request body and
  expected value hold every corpus key.
- A key the detector cannot recognise (a prefix-less 30-character token) that the SSOT marks as
  a secret — the value behind a provider's `api_key_ref`, in the environment as `infisical run`
  puts it there — never appears, wherever it was pasted (a model id, an `api_base` path, a role's
  route, a scenario, a `ccr.ignore` reason); the same token with nothing marking it is config
  data, shown as written.
- A key pasted as a mapping key under `providers:` makes non-SEC findings (SCHEMA-001, REG-*)
  whose pointer names it: every report format and the baseline file hold the redacted pointer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import gates_env, run_gates
from tests.secrets.corpus import (
    ALNUM,
    KEY_SAMPLES,
    PROVIDERS,
    ROLES,
    copy_reference_spine,
    echoes_a_piece,
    fake,
)

REPORT_FORMATS = ("text", "json", "sarif", "junit", "github", "spine")
# Prefix-less and 24 characters: below the detector's generated-secret length (32) even as
# `openai/<token>`, so unrecognised wherever it is planted.
UNDETECTED = fake(ALNUM, 24, "undetected-key")


def _corpus_leaks(text: str) -> list[str]:
    return [s.name for s in KEY_SAMPLES if echoes_a_piece(text, s.secret, s.prefix)]


def _report(root: Path, gate: str, fmt: str, out: Path,
            env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit code and everything a gate run wrote (stdout, stderr, the --output file)."""
    result = run_gates("run", gate, "--root", str(root), "--format", fmt, "--output", str(out),
                       "--no-receipt", env=env)
    written = out.read_text(encoding="utf-8") if out.exists() else ""
    return result.returncode, result.stdout + "\n" + result.stderr + "\n" + written


# Scenario failure messages -----------------------------------------------------------------

def _keyed_scenarios(root: Path) -> None:
    lines = ["scenarios:"]
    for sample in KEY_SAMPLES:
        text = json.dumps(sample.one_line)
        lines += [f"  - name: {json.dumps('routes with ' + sample.one_line)}",
                  "    when:", "      request:", "        model: claude-sonnet-4-5",
                  f"        messages: [{{role: user, content: {text}}}]",
                  f"    then: {{model: {json.dumps('openai/' + sample.one_line)}}}"]
    (root / "scenarios").mkdir()
    (root / "scenarios" / "keyed.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_a_failing_scenario_holding_keys_echoes_no_piece_of_them(tmp_path: Path,
                                                                   fmt: str) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _keyed_scenarios(root)
    code, text = _report(root, "routing-scenarios", fmt, tmp_path / f"report.{fmt}")
    assert code == 1, text
    assert "SCEN-001" in text or fmt == "spine"  # the spine format names the first finding
    assert not _corpus_leaks(text)


# A key the SSOT marks as a secret, in a format the detector does not know --------------------

def _plant_undetected(root: Path) -> None:
    registry = root / PROVIDERS
    text = registry.read_text(encoding="utf-8")
    text = text.replace("models: [o4-mini, gpt-5, gpt-5-codex]",
                        f"models: [o4-mini, gpt-5, gpt-5-codex, {UNDETECTED}]")
    text = text.replace("api_base: https://api.openai.com/v1\n",
                        f"api_base: https://api.openai.com/v1/{UNDETECTED}\n")
    registry.write_text(text, encoding="utf-8")
    roles = root / ROLES
    roles.write_text(roles.read_text(encoding="utf-8").replace(
        "primary: openai/o4-mini", f"primary: openai/{UNDETECTED}", 1), encoding="utf-8")
    (root / "spine-gates.yaml").write_text(
        "ccr:\n  ignore:\n    - pointer: /Router/background\n"
        f"      reason: \"background stays local, token {UNDETECTED}\"\n"
        "      owner: \"@ronny\"\n      expires: \"2099-01-01\"\n", encoding="utf-8")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "undetected.yaml").write_text(
        "scenarios:\n"
        f"  - name: \"executor routes to {UNDETECTED}\"\n"
        "    when: {role: executor}\n"
        f"    then: {{model: \"zai/{UNDETECTED}\"}}\n", encoding="utf-8")


def _channels(root: Path, tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """Each channel's text for a spine with the undetected token planted."""
    texts: dict[str, str] = {}
    for fmt in REPORT_FORMATS:
        _code, texts[f"run all --format {fmt}"] = _report(
            root, "all", fmt, tmp_path / f"all.{fmt}", env)
    _code, texts["run routing-scenarios"] = _report(
        root, "routing-scenarios", "text", tmp_path / "scenarios.txt", env)
    compiled = run_gates("compile", "ccr", "--root", str(root), env=env)
    texts["compile ccr"] = compiled.stdout + compiled.stderr
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [
        {"role": "user", "content": "fix the test"}]}))
    for fmt in ("text", "json"):
        explained = run_gates("route", "explain", str(request), "--root", str(root),
                              "--format", fmt, env=env)
        texts[f"route explain --format {fmt}"] = explained.stdout + explained.stderr
    live = tmp_path / "live.json"
    clean = copy_reference_spine(tmp_path / "clean")
    assert run_gates("compile", "ccr", "--root", str(clean), "--out", str(live)).returncode == 0
    config = json.loads(live.read_text())
    config["Router"]["background"] = "anthropic,claude-haiku-4-5"
    live.write_text(json.dumps(config, indent=2))
    for fmt in ("text", "json"):
        drift = run_gates("run", "provider-drift", "--root", str(root), "--live", str(live),
                          "--format", fmt, "--no-receipt", env=env)
        texts[f"run provider-drift --format {fmt}"] = drift.stdout + drift.stderr
    synced = run_gates("sync", "--root", str(root), "--live", str(live), "--dry-run", env=env)
    texts["sync --dry-run"] = synced.stdout + synced.stderr
    return texts


def test_an_unmarked_token_is_config_data_and_shown_as_written(tmp_path: Path) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _plant_undetected(root)
    texts = _channels(root, tmp_path, gates_env())
    assert UNDETECTED in texts["compile ccr"]
    assert UNDETECTED in texts["route explain --format json"]


def test_the_value_behind_an_api_key_ref_is_shown_in_no_channel(tmp_path: Path) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _plant_undetected(root)
    texts = _channels(root, tmp_path, gates_env(OPENAI_API_KEY=UNDETECTED))
    leaked = {name: text for name, text in texts.items() if echoes_a_piece(text, UNDETECTED)}
    assert not leaked, sorted(leaked)


# Keys in JSON pointers -----------------------------------------------------------------------

def _providers_keyed_by(root: Path, keys: list[str]) -> None:
    registry = root / PROVIDERS
    entries = "".join(f"  {json.dumps(key)}:\n    type: hosted\n" for key in keys)
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "providers:\n", "providers:\n" + entries, 1), encoding="utf-8")


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_pointers_naming_a_pasted_key_are_redacted_in_every_format(tmp_path: Path,
                                                                     fmt: str) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _providers_keyed_by(root, [s.one_line for s in KEY_SAMPLES])
    code, text = _report(root, "registry-policy", fmt, tmp_path / f"report.{fmt}")
    assert code == 1
    assert "SCHEMA-001" in text or fmt == "spine"  # the spine format names the first finding
    assert not _corpus_leaks(text)


def test_baseline_create_refuses_a_spine_keyed_by_a_pasted_key(tmp_path: Path) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _providers_keyed_by(root, [s.one_line for s in KEY_SAMPLES])
    result = run_gates("baseline", "create", "--root", str(root))
    assert result.returncode == 1
    assert not (root / ".spine-gates-baseline.json").exists()
    assert not _corpus_leaks(result.stdout + result.stderr)


def test_the_baseline_holds_the_redacted_pointer_of_a_marked_key(tmp_path: Path) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _providers_keyed_by(root, [UNDETECTED])
    env = gates_env(OPENAI_API_KEY=UNDETECTED)
    result = run_gates("baseline", "create", "--root", str(root), env=env)
    assert result.returncode == 0, result.stderr
    baseline = (root / ".spine-gates-baseline.json").read_text(encoding="utf-8")
    entries = json.loads(baseline)["findings"]
    assert any(e["rule"] == "SCHEMA-001" and e["pointer"].startswith("/providers/sha256:")
               for e in entries)
    assert not echoes_a_piece(baseline + result.stdout + result.stderr, UNDETECTED)
    # the accepted findings stay accepted on the next run
    again = run_gates("run", "registry-policy", "--root", str(root), "--format", "json",
                      "--no-receipt", env=env)
    assert again.returncode == 0, again.stdout
    assert not echoes_a_piece(again.stdout + again.stderr, UNDETECTED)


def test_compile_and_sync_refuse_to_deploy_the_value_behind_an_api_key_ref(
        tmp_path: Path) -> None:
    root = copy_reference_spine(tmp_path / "spine")
    _plant_undetected(root)
    env = gates_env(OPENAI_API_KEY=UNDETECTED)
    folder = tmp_path / "live"
    folder.mkdir()
    live = folder / "config.json"
    clean = copy_reference_spine(tmp_path / "clean")
    assert run_gates("compile", "ccr", "--root", str(clean), "--out", str(live)).returncode == 0
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    synced = run_gates("sync", "--root", str(root), "--live", str(live), env=env)
    assert synced.returncode == 1, synced.stdout
    assert "refusing to sync" in synced.stderr and "api_key_ref" in synced.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    out = tmp_path / "compiled.json"
    compiled = run_gates("compile", "ccr", "--root", str(root), "--out", str(out), env=env)
    assert compiled.returncode == 1 and not out.exists()
    assert not echoes_a_piece(synced.stdout + synced.stderr + compiled.stderr, UNDETECTED)
