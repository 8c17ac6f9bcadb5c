"""Review regressions: keys in formats no pattern knows must not leave through the router paths.

A live config or a registry may hold a key typed by hand (`"key": "…"`, an `x-api-key` header, a
password): the redaction service recognises none of these by shape, so the compile error, the
drift sentences (sync, adopt) and the proxy and route reports must fingerprint them on their own.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from spine_gates.ccr.compile import placeholder_for
from spine_gates.secrets.redact import fingerprint
from tests.helpers import gates_env, run_gates

# Random-looking but of no known key format (no prefix, no hex/dot shape).
ROUTER_KEY = "Zr8Kq2Lm7Np4Xw9Tb3VcQe"
PROVIDER_KEY = "Hk29dLq8Pz0Xc7Vb6Nm5Qw"
HEADER_KEY = "Gg77hh88Ii99jj00Kk11Ll"
AUTH_TOKEN = "Tt12Yy34Uu56Ii78Oo90Pa"
ROTATION_KEY = "Rr55Ss66Tt77Uu88Vv99Ww"  # in a list: no field name above it says "key"
PASSWORD = "correct-horse-battery"  # typed by a person: no format, no digit, not random
KEYS = (ROUTER_KEY, PROVIDER_KEY, HEADER_KEY, AUTH_TOKEN, ROTATION_KEY, PASSWORD)
REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 10,
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
    request.write_text(json.dumps(REQUEST))
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
    request.write_text(json.dumps(REQUEST))
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
