"""No key appears in any output of `providers status` or `session check`, even when a provider
echoes it back in an error body and the router log holds it in an Authorization header."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from tests.helpers import run_gates


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_echoed_and_logged_keys_never_reach_any_output(spine, fake, health_env, fmt, tmp_path):
    keys = {name: f"sk-{secrets.token_urlsafe(24)}" for name in
            ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "NVIDIA_API_KEY", "OPENROUTER_API_KEY",
             "Z_AI_API_KEY")}
    env = dict(health_env, **keys)
    echo = keys["OPENAI_API_KEY"]
    fake.script("openai", status=401, body={"error": {
        "message": f"Incorrect API key provided: {echo}", "type": "invalid_request_error",
        "code": "invalid_api_key"}})
    fake.script("zai", status=429, body={"error": {"code": "1113", "message": echo}},
                headers={"x-echo": keys["Z_AI_API_KEY"]})
    logs = Path(env["HOME"]) / ".claude-code-router" / "logs"
    logs.mkdir(parents=True)
    now = int(time.time() * 1000)
    (logs / "ccr-20261125180000.log").write_text("\n".join(json.dumps(r) for r in [
        {"level": 20, "time": now, "msg": "upstream request",
         "headers": {"authorization": f"Bearer {keys['ANTHROPIC_API_KEY']}"}},
        {"level": 50, "time": now, "msg": "Error from provider(anthropic,claude-opus-4-5: 401): "
         + json.dumps({"error": {"type": "authentication_error",
                                 "message": f"invalid x-api-key {keys['ANTHROPIC_API_KEY']}"}})},
    ]) + "\n")
    out = tmp_path / "report.out"
    outputs = []
    for args in (("--format", fmt), ("--format", fmt, "--offline"),
                 ("--format", fmt, "--output", str(out))):
        proc = run_gates("providers", "status", "--root", str(spine), "--timeout", "2", *args,
                         env=env)
        assert proc.returncode in (1, 2), proc.stderr
        outputs += [proc.stdout, proc.stderr]
    outputs.append(out.read_text())
    session = run_gates("session", "check", "--root", str(spine), env=env)
    outputs += [session.stdout, session.stderr]
    state_files = sorted((Path(env["XDG_STATE_HOME"]) / "spine-gates").iterdir())
    assert state_files
    state_db = b"".join(p.read_bytes() for p in state_files)  # the db and its WAL
    for text in outputs:
        for key in keys.values():
            assert key not in text
    for key in keys.values():
        assert key.encode() not in state_db
    assert "auth_failed" in outputs[0]
