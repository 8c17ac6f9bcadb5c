"""Leaked keys stay leaked until rotated, and no channel of the CLI echoes a piece of one.

A baseline or a waiver accepts a finding; a literal key in the spine is not a finding to accept
(it is already out, in the history), so `baseline create` refuses it and an entry or waiver that
would cover one does not. Every channel the CLI still writes to (reports in every format, files,
stderr, receipts, refusals, diffs) is checked for every corpus key: no 8-character window of the
part after its public prefix may appear.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from spine_gates.ccr.compile import placeholder_for
from spine_gates.secrets.redact import fingerprint
from tests.helpers import gates_env, run_gates
from tests.secrets.corpus import (
    KEY_SAMPLES,
    PROVIDERS,
    SAMPLES_BY_NAME,
    copy_reference_spine,
    echoes_a_piece,
    write_spine_with_keys,
    write_spine_with_keys_everywhere,
)

LEAKED_KEY_RULES = {"SEC-001", "SEC-002", "SEC-003", "SEC-007"}


def _findings(root: Path) -> list[dict[str, object]]:
    result = run_gates("run", "all", "--root", str(root), "--format", "json", "--no-baseline")
    assert result.returncode == 1, result.stderr
    return list(json.loads(result.stdout)["findings"])


@pytest.fixture
def keyed_spine(tmp_path: Path) -> Path:
    root = tmp_path / "spine"
    write_spine_with_keys(root, "registry-key-field")
    return root



def test_baseline_create_refuses_a_leaked_key_and_writes_nothing(keyed_spine: Path) -> None:
    result = run_gates("baseline", "create", "--root", str(keyed_spine))
    assert result.returncode == 1, result.stderr
    assert "rotate" in result.stderr and "remove" in result.stderr
    assert not (keyed_spine / ".spine-gates-baseline.json").exists()
    assert not _windows_in(result.stdout + result.stderr)



def test_a_baseline_entry_for_a_leaked_key_does_not_suppress_it(keyed_spine: Path) -> None:
    findings = _findings(keyed_spine)
    entries = [{"fingerprint": f["fingerprint"], "rule": f["rule"]} for f in findings]
    (keyed_spine / ".spine-gates-baseline.json").write_text(
        json.dumps({"version": 1, "findings": entries}))
    result = run_gates("run", "all", "--root", str(keyed_spine), "--format", "json")
    assert result.returncode == 1
    after = json.loads(result.stdout)["findings"]
    leaked = [f for f in after if f["rule"] in LEAKED_KEY_RULES]
    assert leaked and all("suppressed" not in f for f in leaked)
    assert all("rotate it" in f["message"] and ".spine-gates-baseline.json" in f["message"]
               for f in leaked)
    # the other findings' fingerprints did not change, so their entries still match
    others = [f for f in after if f["rule"] not in LEAKED_KEY_RULES and f["severity"] != "info"]
    assert others and all(f.get("suppressed", {}).get("by") == "baseline" for f in others)
    assert {f["fingerprint"] for f in after} == {f["fingerprint"] for f in findings}



def test_a_waiver_for_a_leaked_key_does_not_suppress_it(keyed_spine: Path) -> None:
    (keyed_spine / "waivers.yaml").write_text(
        "waivers:\n  - rule: SEC-001\n    reason: we will move it later\n"
        "    owner: \"@ronny\"\n    expires: \"2099-01-01\"\n")
    result = run_gates("run", "all", "--root", str(keyed_spine), "--format", "json")
    assert result.returncode == 1
    leaked = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "SEC-001"]
    assert len(leaked) == len(KEY_SAMPLES)
    assert all("suppressed" not in f for f in leaked)
    assert all("rotate it" in f["message"] and "waivers.yaml:2" in f["message"] for f in leaked)


def _windows_in(text: str) -> list[str]:
    """The corpus keys of which an 8-character window (after the public prefix) is in `text`."""
    return [sample.name for sample in KEY_SAMPLES
            if echoes_a_piece(text, sample.secret, sample.prefix)]


def test_adopt_shows_no_piece_of_a_key_in_its_diff_context(tmp_path: Path) -> None:
    root = tmp_path / "spine"
    copy_reference_spine(root)
    live = tmp_path / "config.json"
    made = run_gates("compile", "ccr", "--root", str(root), "--out", str(live))
    assert made.returncode == 0, made.stderr
    # keys next to the line adopt rewrites: whole, and split over two comment lines
    registry = root / PROVIDERS
    lines = registry.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("models:"))
    planted = []
    for sample in KEY_SAMPLES:
        text = sample.one_line
        half = len(text) // 2
        planted += [f"    # old key: {text}", f"    # split: {text[:half]}",
                    f"    #   {text[half:]}"]
    registry.write_text("\n".join(lines[:at] + planted[:6] + [lines[at]] + planted[6:]
                                  + lines[at + 1:]) + "\n")
    config = json.loads(live.read_text())
    config["Providers"][0]["models"].append("claude-opus-4-9")
    config["Providers"][0]["api_key"] = SAMPLES_BY_NAME["anthropic"].text
    live.write_text(json.dumps(config, indent=2))
    result = run_gates("adopt", "--root", str(root), "--live", str(live))
    assert result.returncode == 0, result.stderr
    assert "claude-opus-4-9" in result.stdout  # the proposal itself is still made
    assert not _windows_in(result.stdout + result.stderr)


# Every output channel, run once against a spine with every corpus key planted in every place.
REPORT_FORMATS = ("text", "json", "sarif", "junit", "github", "spine")
REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 64,
           "messages": [{"role": "user", "content": "Say hello."}]}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _decode_payloads(value: object) -> object:
    """A receipt's JSON with the `payload` of every DSSE envelope base64-decoded (the encoded
    form is checked through its decoding: base64 of ordinary JSON shares 8-character runs with
    the corpus JWT's base64 claims by chance, which is no leak)."""
    if isinstance(value, dict):
        return {key: base64.b64decode(item).decode("utf-8", "replace")
                if key == "payload" and isinstance(item, str) else _decode_payloads(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_payloads(item) for item in value]
    return value


def _out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + "\n" + result.stderr


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("channels")
    root = base / "spine"
    write_spine_with_keys_everywhere(root)
    clean = copy_reference_spine(base / "clean")
    texts: dict[str, str] = {}

    for fmt in REPORT_FORMATS:
        report = base / "reports" / f"report.{fmt}"
        report.parent.mkdir(exist_ok=True)
        result = run_gates("run", "all", "--root", str(root), "--format", fmt,
                           "--output", str(report))
        written = report.read_text(encoding="utf-8") if report.exists() else ""
        texts[f"run-all-{fmt}"] = _out(result) + "\n" + written

    key = base / "keys" / "ci.key"
    keygen = run_gates("receipts", "keygen", "--root", str(root), "--out", str(key),
                       "--name", "ci")
    assert keygen.returncode == 0, keygen.stderr
    receipt = run_gates("run", "registry-policy", "--root", str(root), "--receipt",
                        "--signing-key", str(key))
    parts = [_out(keygen), _out(receipt)]
    receipt_files = sorted((root / "receipts").rglob("*.json"))
    assert receipt_files, receipt.stderr
    for path in receipt_files:
        decoded = _decode_payloads(json.loads(path.read_text(encoding="utf-8")))
        parts.append(json.dumps(decoded, indent=1))
    texts["receipt"] = "\n".join(parts)

    texts["compile-ccr"] = _out(run_gates("compile", "ccr", "--root", str(root)))

    live_dir = base / "live"
    live_dir.mkdir()
    live = live_dir / "config.json"
    made = run_gates("compile", "ccr", "--root", str(clean), "--out", str(live))
    assert made.returncode == 0, made.stderr
    before = _snapshot(live_dir)
    synced = run_gates("sync", "--root", str(root), "--live", str(live))
    after = _snapshot(live_dir)
    texts["sync"] = _out(synced) + "\n" + "\n".join(
        b.decode("utf-8", "replace") for b in after.values())

    request = base / "request.json"
    request.write_text(json.dumps(REQUEST))
    texts["route-explain"] = _out(run_gates("route", "explain", str(request),
                                            "--root", str(root)))
    texts["providers-status"] = _out(run_gates("providers", "status", "--offline",
                                               "--root", str(root)))
    texts["baseline-create"] = _out(run_gates("baseline", "create", "--root", str(root)))
    baseline = root / ".spine-gates-baseline.json"
    if baseline.exists():
        texts["baseline-create"] += "\n" + baseline.read_text(encoding="utf-8")
    return {"texts": texts, "live_before": before, "live_after": after}


CHANNELS = (*(f"run-all-{fmt}" for fmt in REPORT_FORMATS), "receipt", "compile-ccr", "sync",
            "route-explain", "providers-status", "baseline-create")


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_channel_echoes_a_piece_of_any_planted_key(channels: dict[str, object],
                                                      channel: str) -> None:
    texts = channels["texts"]
    assert isinstance(texts, dict)
    text = texts[channel]
    leaked = _windows_in(text)
    assert not leaked, f"channel {channel} echoes a piece of: " + "; ".join(
        f"{name} ({_first_window(name, text)!r})" for name in leaked)


def _first_window(name: str, text: str) -> str:
    """The first 8-character window of a sample's secret found in `text`, with context."""
    sample = SAMPLES_BY_NAME[name]
    body = sample.secret.removeprefix(sample.prefix)
    for i in range(max(len(body) - 7, 0)):
        at = text.find(body[i:i + 8])
        if at >= 0:
            return text[max(at - 40, 0):at + 48]
    return ""


def test_sync_from_a_keyed_spine_leaves_the_live_config_and_its_folder_untouched(
        channels: dict[str, object]) -> None:
    assert channels["live_after"] == channels["live_before"]


# Review regressions: keys in formats no pattern knows must not leave through the router paths.
#
# A live config or a registry may hold a key typed by hand (`"key": "…"`, an `x-api-key` header, a
# password): the redaction service recognises none of these by shape, so the compile error, the
# drift sentences (sync, adopt) and the proxy and route reports must fingerprint them on their own.
# Random-looking but of no known key format (no prefix, no hex/dot shape).
ROUTER_KEY = "Zr8Kq2Lm7Np4Xw9Tb3VcQe"
PROVIDER_KEY = "Hk29dLq8Pz0Xc7Vb6Nm5Qw"
HEADER_KEY = "Gg77hh88Ii99jj00Kk11Ll"
AUTH_TOKEN = "Tt12Yy34Uu56Ii78Oo90Pa"
ROTATION_KEY = "Rr55Ss66Tt77Uu88Vv99Ww"  # in a list: no field name above it says "key"
PASSWORD = "correct-horse-battery"  # typed by a person: no format, no digit, not random
KEYS = (ROUTER_KEY, PROVIDER_KEY, HEADER_KEY, AUTH_TOKEN, ROTATION_KEY, PASSWORD)
ROUTE_REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 10,
                 "messages": [{"role": "user", "content": "hi"}]}


def pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaked(text: str, keys: tuple[str, ...] = KEYS) -> list[str]:
    return [key for key in keys if any(piece in text for piece in pieces(key))]


def live_with_hand_typed_keys(spine: Path, tmp_path: Path) -> Path:
    compiled = run_gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 0, compiled.stderr
    config = json.loads(compiled.stdout)
    config["APIKEY"] = ROUTER_KEY
    config["Providers"][0]["key"] = PROVIDER_KEY
    config["Providers"][1]["headers"] = {"x-api-key": HEADER_KEY}
    config["auth_token"] = AUTH_TOKEN
    config["Providers"][2]["api_keys"] = [ROTATION_KEY]
    config["CUSTOM"] = {"password": PASSWORD}
    live = tmp_path / "home" / ".claude-code-router" / "config.json"
    live.parent.mkdir(parents=True)
    live.write_text(json.dumps(config, indent=2))
    live.chmod(0o644)
    return live


def test_a_literal_in_place_of_a_reference_is_named_by_fingerprint(spine: Path,
                                                                  tmp_path: Path) -> None:
    registry = spine / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    text = registry.read_text()
    ref = "api_key_ref: infisical://spine/ai/providers/ANTHROPIC_API_KEY"
    assert ref in text
    registry.write_text(text.replace(ref, f"api_key_ref: {PROVIDER_KEY}"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(ROUTE_REQUEST))
    # compile refuses it as a deploy blocker (SEC-001, exit 1); route explain as bad input
    for argv, code in ((("compile", "ccr"), 1), (("route", "explain", str(request)), 3)):
        result = run_gates(*argv, "--root", str(spine))
        assert result.returncode == code, result.stderr
        assert "PROVIDER_REGISTRY.yaml:" in result.stderr
        assert fingerprint(PROVIDER_KEY) in result.stderr
        assert not leaked(result.stdout + result.stderr), argv


def test_a_reference_like_value_is_still_quoted_so_the_typo_can_be_found() -> None:
    try:
        placeholder_for("file:///etc/key")
    except ValueError as exc:
        assert "'file:///etc/key'" in str(exc)
    else:
        raise AssertionError("file: is not a reference the router can interpolate")


def test_hand_typed_live_keys_never_reach_sync_adopt_proxy_or_route_output(
        spine: Path, tmp_path: Path) -> None:
    live = live_with_hand_typed_keys(spine, tmp_path)
    env = gates_env(HOME=str(tmp_path / "home"))
    request = tmp_path / "request.json"
    request.write_text(json.dumps(ROUTE_REQUEST))
    outputs = {}
    for argv in (("sync", "--live", str(live), "--dry-run"),
                 ("adopt", "--live", str(live)),
                 ("proxy", "check", "--live", str(live), "--no-activate", "--format", "json"),
                 ("route", "explain", str(request), "--ccr-config", str(live)),
                 ("route", "explain", str(request), "--ccr-config", str(live),
                  "--format", "json"),
                 ("sync", "--live", str(live))):
        result = run_gates(*argv, "--root", str(spine), env=env)
        assert result.returncode in (0, 1), (argv, result.stderr)
        outputs[" ".join(argv[:2])] = result.stdout + result.stderr
    dry_run = outputs["sync --live"]
    # The drift sentences name each hand-typed key, by fingerprint only.
    for key in KEYS:
        assert fingerprint(key) in dry_run, key
    for where, text in outputs.items():
        assert not leaked(text), f"{where} leaks {leaked(text)}"
    # What sync writes next to the live config: the backup holds the keys, so only its owner
    # may read it; the stamp (the compiled SSOT) holds none.
    written = sorted(p for p in live.parent.iterdir() if p != live)
    backups = [p for p in written if p.name.endswith(".bak")]
    assert backups
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if path not in backups:
            assert not leaked(path.read_text()), path
    assert not leaked(live.read_text())


# Review regression: a secret with characters a report format escapes is still scrubbed there.
#
# JSON writes `"` and `\` escaped, JUnit XML writes `&`, `<`, `>` (and `"` in attributes) as
# entities, GitHub annotations write `%` as `%25`; the redaction service registers those forms too,
# or a password such as `Pw"9&<…%` would reach those reports whole. No other test plants one.
SECRET = 'Pw"9&<Kx7Lm2\\Nq8Rt5>Vz&Qe%Ab3'


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "spine"])
def test_a_secret_with_escaped_characters_never_reaches_a_report(spine: Path, fmt: str) -> None:
    governance = spine / "docs" / "governance"
    providers = yaml.safe_load((governance / "PROVIDER_REGISTRY.yaml").read_text())
    providers["providers"]["openai"]["x_api_key"] = SECRET  # SEC-001 registers it
    (governance / "PROVIDER_REGISTRY.yaml").write_text(yaml.safe_dump(providers, width=200))
    roles = yaml.safe_load((governance / "ROLE_PROVIDER_MAPS.yaml").read_text())
    roles["roles"]["architect"]["inject"] = SECRET  # REG-007 echoes the missing inject path
    (governance / "ROLE_PROVIDER_MAPS.yaml").write_text(yaml.safe_dump(roles, width=200))
    result = run_gates("run", "registry-policy", "--root", str(spine), "--format", fmt)
    assert result.returncode == 1, result.stderr
    out = result.stdout + result.stderr
    if fmt != "spine":  # the one-line spine format names only the first finding
        assert "REG-007" in out and "SEC-001" in out  # both findings are there, the value not
    leaked = sorted(piece for piece in pieces(SECRET) if piece in out)
    assert not leaked, leaked
    for escaped in ('\\"', "&amp;", "&lt;", "\\\\", "%25"):  # no escaped fragment of it either
        assert f"Pw{escaped}" not in out and f"Kx7Lm2{escaped}" not in out
