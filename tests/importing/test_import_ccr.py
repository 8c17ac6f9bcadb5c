"""`gates import ccr PATH --into DIR`: a hand-written router config becomes a spine whose gates
pass, whose compiled config is the original with each literal key as `$NAME`, and which holds
no key anywhere (files, output, receipts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyjson5
import pytest

from tests.helpers import gates_env, run_gates
from tests.init.real_spine import make_real_spine
from tests.secrets.corpus import echoes_a_piece

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Each fixture -> {where a literal key sits: the $NAME compile writes in its place}.
LITERAL_KEYS = {
    "deepseek-openrouter-ollama.json5": {
        "APIKEY": "$CCR_APIKEY", "Providers[deepseek].api_key": "$DEEPSEEK_API_KEY",
        "Providers[openrouter].api_key": "$OPENROUTER_API_KEY",
        "Providers[ollama].api_key": "$OLLAMA_API_KEY"},
    "gemini-fallback.json": {"Providers[openrouter].api_key": "$OPENROUTER_API_KEY"},
    "v1-no-fallback.json": {"Providers[deepseek].api_key": "$DEEPSEEK_API_KEY",
                            "Providers[ollama].api_key": "$OLLAMA_API_KEY"},
}
PROFILES = {"deepseek-openrouter-ollama.json5": "2.0", "gemini-fallback.json": "2.0",
            "v1-no-fallback.json": "1.0"}


def original(name: str) -> dict:
    return pyjson5.decode((FIXTURES / name).read_text())


def secrets_of(config: dict) -> list[str]:
    """The fixture's real-shaped keys (the local server's `ollama` is its name, not a secret)."""
    keys = [p["api_key"] for p in config["Providers"]] + [config.get("APIKEY", "")]
    return [k for k in keys if len(k) >= 16 and not k.startswith("$")]


def imported(name: str, tmp_path: Path, *extra: str) -> tuple[Path, str]:
    into = tmp_path / "governed"
    result = run_gates("import", "ccr", str(FIXTURES / name), "--into", str(into), *extra,
                       env=gates_env(HOME=str(tmp_path / "home")))
    assert result.returncode == 0, result.stderr
    return into, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(LITERAL_KEYS))
def test_the_imported_spine_passes_registry_routing_and_secret_gates(name: str,
                                                                      tmp_path: Path) -> None:
    into, _ = imported(name, tmp_path)
    env = gates_env(HOME=str(tmp_path / "home"))
    for gate in ("registry-policy", "routing-scenarios", "secret-refs"):
        result = run_gates("run", gate, "--root", str(into), "--no-receipt", env=env)
        assert result.returncode == 0, (gate, result.stdout, result.stderr)


@pytest.mark.parametrize("name", sorted(LITERAL_KEYS))
def test_drift_against_the_original_is_only_each_literal_key_becoming_a_reference(
        name: str, tmp_path: Path) -> None:
    into, _ = imported(name, tmp_path)
    result = run_gates("run", "provider-drift", "--root", str(into), "--live",
                       str(FIXTURES / name), "--format", "json", "--no-receipt",
                       env=gates_env(HOME=str(tmp_path / "home")))
    assert result.returncode == 2, result.stderr
    drifted = [f for f in json.loads(result.stdout)["findings"] if f["rule"] != "DRIFT-000"]
    assert {f["rule"] for f in drifted} == {"DRIFT-001"}
    got = {}
    for finding in drifted:
        match = re.fullmatch(r"(.+): live is a literal key sha256:[0-9a-f]{8}, SSOT says (\$\w+)",
                             finding["message"])
        assert match, finding["message"]
        got[match.group(1)] = match.group(2)
        assert "`gates sync`" in finding["fix"]
    assert got == LITERAL_KEYS[name]


@pytest.mark.parametrize("name", sorted(LITERAL_KEYS))
def test_compile_gives_the_original_back_with_keys_as_placeholders(name: str,
                                                                   tmp_path: Path) -> None:
    into, _ = imported(name, tmp_path)
    result = run_gates("compile", "ccr", "--root", str(into))
    assert result.returncode == 0, result.stderr
    expected = original(name)
    placeholders = LITERAL_KEYS[name]
    for provider in expected["Providers"]:
        provider["api_key"] = placeholders.get(f"Providers[{provider['name']}].api_key",
                                               provider["api_key"])
    if "APIKEY" in placeholders:
        expected["APIKEY"] = placeholders["APIKEY"]
    assert json.loads(result.stdout) == expected


def test_no_key_is_written_or_shown_anywhere(tmp_path: Path) -> None:
    name = "deepseek-openrouter-ollama.json5"
    home = tmp_path / "home"
    env = gates_env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    into = tmp_path / "governed"
    shown = []
    for fmt in ("text", "json"):
        target = into if fmt == "text" else tmp_path / "again"
        result = run_gates("import", "ccr", str(FIXTURES / name), "--into", str(target),
                           "--format", fmt, env=env)
        assert result.returncode == 0, result.stderr
        shown.append(result.stdout + result.stderr)
    keygen = run_gates("receipts", "keygen", "--root", str(into), "--name", "t", env=env)
    assert keygen.returncode == 0, keygen.stderr
    run = run_gates("run", "all", "--root", str(into), "--live", str(FIXTURES / name),
                    "--receipt", env=env)
    assert run.returncode == 2, run.stderr  # the drift gate: the literal keys
    assert list((into / "receipts").rglob("*.json")), "a receipt was written"
    shown.append(run.stdout + run.stderr)
    for key in secrets_of(original(name)):
        for text in shown:
            assert not echoes_a_piece(text, key), key[:4]
        for path in [*into.rglob("*"), *home.rglob("*")]:
            if path.is_file() and ".git" not in path.parts:
                assert not echoes_a_piece(path.read_text(errors="replace"), key), path


def test_guesses_keys_and_waivers_are_listed_in_json(tmp_path: Path) -> None:
    _, out = imported("v1-no-fallback.json", tmp_path, "--format", "json")
    report = json.loads(out)
    assert report["profile"] == "1.0"
    assert {"file": "docs/governance/PROVIDER_REGISTRY.yaml", "pointer": "/providers/deepseek",
            "value": "type hosted, cost_tier paid, quota_type credits",
            "why": "not known to be free"} in report["guesses"]
    assert any(g["pointer"] == "/providers/ollama" and "cost_tier free" in g["value"]
               for g in report["guesses"])
    assert any(g["pointer"] == "/cli_interfaces/claude_code" for g in report["guesses"])
    assert [k["ref"] for k in report["keys"]] == ["env:DEEPSEEK_API_KEY", "env:OLLAMA_API_KEY"]
    assert all(re.fullmatch(r"a literal key sha256:[0-9a-f]{8}", k["was"])
               for k in report["keys"])
    assert {w["rule"] for w in report["waivers"]} == {"ROLE-001", "ROLE-110"}


def test_openrouter_free_models_and_kept_references_are_not_guessed_paid(
        tmp_path: Path) -> None:
    into, _ = imported("gemini-fallback.json", tmp_path)
    text = (into / "docs/governance/PROVIDER_REGISTRY.yaml").read_text()
    assert "cost_tier: free" in text and "type: hosted-free" in text
    assert '"env:GEMINI_API_KEY"' in text or "env:GEMINI_API_KEY" in text
    manifest = (into / "docs/governance/SECRETS_MANIFEST.yaml").read_text()
    assert "[GEMINI_API_KEY, OPENROUTER_API_KEY]" in manifest


def test_an_existing_spine_with_registries_is_refused_and_nothing_written(
        spine: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in spine.rglob("*") if p.is_file()}
    result = run_gates("import", "ccr", str(FIXTURES / "gemini-fallback.json"), "--into",
                       str(spine), "--yes")
    assert result.returncode == 3
    assert result.stderr.startswith("gates: error: ") and result.stderr.count("\n") == 1
    assert "docs/governance/PROVIDER_REGISTRY.yaml" in result.stderr
    assert "nothing written" in result.stderr
    assert {p: p.read_bytes() for p in spine.rglob("*") if p.is_file()} == before


def test_a_spine_without_registries_gets_them_and_keeps_its_own_files(tmp_path: Path) -> None:
    root = make_real_spine(tmp_path / "agentic-spine")
    ssot = (root / "docs/governance/SSOT_REGISTRY.yaml").read_text()
    result = run_gates("import", "ccr", str(FIXTURES / "gemini-fallback.json"), "--into",
                       str(root), "--yes")
    assert result.returncode == 0, result.stderr
    after = iter((root / "docs/governance/SSOT_REGISTRY.yaml").read_text().splitlines())
    assert all(line in after for line in ssot.splitlines()), "the spine's lines, in order"
    for gate in ("registry-policy", "routing-scenarios", "secret-refs"):
        run = run_gates("run", gate, "--root", str(root), "--no-receipt")
        assert run.returncode == 0, (gate, run.stdout)


@pytest.mark.parametrize(("config", "needle"), [
    ('{"Providers": [], "Router": {"default": "nope,x"}', "not valid JSON5"),
    ('{"Providers": [], "Router": {"default": "nope,x"}}', "names provider 'nope'"),
    ('{"Providers": [{"name": "a", "api_base_url": "https://a.example/v1/chat/completions",'
     ' "api_key": "k", "models": ["m"], "tokenizer": {}}], "Router": {}}',
     "Providers[0].tokenizer"),
])
def test_a_config_the_spine_cannot_express_is_one_error_line_and_nothing_written(
        config: str, needle: str, tmp_path: Path) -> None:
    source = tmp_path / "config.json"
    source.write_text(config)
    result = run_gates("import", "ccr", str(source), "--into", str(tmp_path / "governed"))
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"gates: error: {source}") and needle in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "governed").exists()


GOOGLE_KEY = "AIzaSy" + "Qx7mT2vLk9Pz4RwB8nJcY3dHs6FgA1eKu0o"  # a fake, Google-key-shaped
URL_CREDENTIALS = {
    "userinfo password": ("https://user:hunter2secretpassword@api.deepseek.com/chat/completions",
                          "hunter2secretpassword"),
    "key in the query": ("https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"
                         f"?key={GOOGLE_KEY}", GOOGLE_KEY),
}


@pytest.mark.parametrize("where", sorted(URL_CREDENTIALS))
def test_a_credential_in_a_providers_url_is_refused_and_nothing_written(
        where: str, tmp_path: Path) -> None:
    url, secret = URL_CREDENTIALS[where]
    source = tmp_path / "config.json"
    source.write_text(json.dumps({
        "Providers": [{"name": "p", "api_base_url": url, "api_key": "$P_API_KEY",
                       "models": ["m"]}],
        "Router": {"default": "p,m"}}, indent=2))
    result = run_gates("import", "ccr", str(source), "--into", str(tmp_path / "governed"),
                       env=gates_env(HOME=str(tmp_path / "home")))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.startswith(f"gates: error: {source}:")
    assert "Providers[0].api_base_url" in result.stderr and "credential" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not echoes_a_piece(result.stdout + result.stderr, secret, "AIza")
    assert not (tmp_path / "governed").exists()
