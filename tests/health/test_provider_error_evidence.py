"""Provider-error evidence echoes no piece of a key: live probes against fakes that echo the
request's key back (whole, and masked the way real providers mask it) in every string field of
their error bodies and in headers, and a router log that quotes the same bodies.

Every channel of `providers status` and `session check` is read — text and JSON on stdout and
stderr, `--output` files, the offline view, the session brief — and so is every file the run
leaves under HOME and the XDG state and cache folders (the health store, its WAL, the snapshot
`session check` and `route explain --live-state` read).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.health.fakes import FakeProviders
from tests.helpers import run_gates
from tests.secrets.corpus import ALNUM, HEX, echoes_a_piece, fake

# One realistic key per provider env var, with its public prefix.
ECHO_KEYS = {
    "ANTHROPIC_API_KEY": ("sk-ant-api03-", "sk-ant-api03-" + fake(ALNUM, 90, "echo-ant") + "AA"),
    "OPENAI_API_KEY": ("sk-proj-", "sk-proj-" + fake(ALNUM, 120, "echo-openai")),
    "NVIDIA_API_KEY": ("nvapi-", "nvapi-" + fake(ALNUM, 64, "echo-nvidia")),
    "OPENROUTER_API_KEY": ("sk-or-v1-", "sk-or-v1-" + fake(HEX, 64, "echo-openrouter")),
    "Z_AI_API_KEY": ("", fake(HEX, 32, "echo-zai-id") + "." + fake(ALNUM, 16, "echo-zai")),
}


def _forms(prefix: str, key: str) -> list[str]:
    """How providers echo a key: whole, with the middle masked, or its head and tail only."""
    body = key[len(prefix):]
    return [key, f"{prefix}{body[:12]}{'*' * 20}{body[-4:]}", f"{prefix}****{body[-4:]}",
            f"{body[:10]}...{body[-10:]}"]


def _echo(prefix: str, key: str) -> str:
    return " / ".join(_forms(prefix, key))


def _bodies() -> dict[str, tuple[int, dict[str, object], dict[str, str]]]:
    """Per fake provider: status, an error body whose every string field echoes its key, and
    headers that echo it too. The fields are the ones each dialect's classifier reads."""
    e = {name: _echo(prefix, key) for name, (prefix, key) in ECHO_KEYS.items()}
    headers = {name: {"x-request-key": value, "www-authenticate":
                      f'Bearer error="invalid_token", error_description="{value}"',
                      "retry-after": value}
               for name, value in e.items()}
    return {
        "anthropic": (429, {"type": "error", "error": {
            "type": e["ANTHROPIC_API_KEY"],
            "message": f"invalid x-api-key {e['ANTHROPIC_API_KEY']}",
            "details": {"error_code": e["ANTHROPIC_API_KEY"]}}}, headers["ANTHROPIC_API_KEY"]),
        "openai": (429, {"error": {
            "message": f"Incorrect API key provided: {e['OPENAI_API_KEY']}",
            "type": e["OPENAI_API_KEY"], "code": e["OPENAI_API_KEY"]}},
            headers["OPENAI_API_KEY"]),
        "nvidia_nim": (418, {"status": 418, "title": e["NVIDIA_API_KEY"],
                             "detail": e["NVIDIA_API_KEY"], "error": {
                                 "code": e["NVIDIA_API_KEY"], "type": e["NVIDIA_API_KEY"]}},
                       headers["NVIDIA_API_KEY"]),
        "openrouter": (402, {"error": {"code": 402, "message": e["OPENROUTER_API_KEY"],
                                       "metadata": {"limit_source": e["OPENROUTER_API_KEY"],
                                                    "error_type": e["OPENROUTER_API_KEY"]}}},
                       headers["OPENROUTER_API_KEY"]),
        "zai": (429, {"error": {"code": e["Z_AI_API_KEY"], "message": e["Z_AI_API_KEY"]}},
                headers["Z_AI_API_KEY"]),
    }


def _router_log(home: Path) -> None:
    """The router met the same echoing errors on real traffic (the passive channel)."""
    logs = home / ".claude-code-router" / "logs"
    logs.mkdir(parents=True)
    now = int(time.time() * 1000)
    records = []
    for provider, model, (status, body, _headers) in (
            ("openai", "o4-mini", _bodies()["openai"]),
            ("zai", "glm-5", _bodies()["zai"]),
            ("openrouter", "anthropic/claude-opus-4-5", (429, {"error": {"code": 429, "metadata": {
                "error_type": _echo(*ECHO_KEYS["OPENROUTER_API_KEY"])}}}, {})),
            ("anthropic", "claude-opus-4-5", _bodies()["anthropic"])):
        records.append({"level": 50, "time": now, "msg": f"Error from provider({provider},"
                        f"{model}: {status}): {json.dumps(body)}"})
    (logs / "ccr-20261125180000.log").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n")


def _files_under(*folders: Path, skip: Path) -> dict[str, str]:
    return {str(p): p.read_bytes().decode("utf-8", "replace")
            for folder in folders if folder.exists()
            for p in sorted(folder.rglob("*")) if p.is_file() and skip not in p.parents}


@pytest.fixture
def evidence(spine: Path, fake: FakeProviders, health_env: dict[str, str],
             tmp_path: Path) -> dict[str, str]:
    """Every channel's text, after live and offline runs in both formats and a session check."""
    for provider, (status, body, headers) in _bodies().items():
        fake.script(provider, status=status, body=body, headers=headers)
    env = dict(health_env, XDG_CACHE_HOME=str(tmp_path / "cache"),
               **{name: key for name, (_prefix, key) in ECHO_KEYS.items()})
    home = Path(env["HOME"])
    _router_log(home)
    texts: dict[str, str] = {}
    for fmt in ("text", "json"):
        for mode in ((), ("--offline",)):
            out = tmp_path / f"status-{fmt}{''.join(mode)}.out"
            proc = run_gates("providers", "status", "--root", str(spine), "--timeout", "2",
                             "--format", fmt, "--output", str(out), *mode, env=env)
            assert proc.returncode in (1, 2), proc.stderr
            name = " ".join(["providers status --format", fmt, *mode])
            texts[f"{name} --output"] = proc.stdout + proc.stderr + out.read_text()
            shown = run_gates("providers", "status", "--root", str(spine), "--timeout", "2",
                              "--format", fmt, *mode, env=env)
            texts[name] = shown.stdout + shown.stderr
    session = run_gates("session", "check", "--root", str(spine), env=env)
    assert session.returncode == 0
    texts["session check"] = session.stdout + session.stderr
    assert fake.seen, "the probes reached the fake providers"
    files = _files_under(home, Path(env["XDG_STATE_HOME"]), tmp_path / "cache",
                         skip=home / ".claude-code-router")
    assert any(name.endswith("health.sqlite3") for name in files)
    texts.update({f"file {name}": text for name, text in files.items()})
    return texts


def _leaks(text: str) -> list[str]:
    return [name for name, (prefix, key) in ECHO_KEYS.items()
            if echoes_a_piece(text, key, prefix)]


def test_echoing_providers_made_every_provider_unhealthy(evidence: dict[str, str]) -> None:
    data = json.loads(evidence["providers status --format json"])
    states = {p["id"]: p["state"] for p in data["providers"]}
    assert all(states[p] != "healthy" for p in ("anthropic", "openai", "nvidia_nim",
                                                 "openrouter", "zai")), states


def test_no_channel_of_providers_status_or_session_check_echoes_a_piece_of_a_key(
        evidence: dict[str, str]) -> None:
    leaked = {channel: _leaks(text) for channel, text in evidence.items() if _leaks(text)}
    assert not leaked, leaked

