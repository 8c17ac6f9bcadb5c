"""Run and parse `ccr activate`: the lines agent CLIs eval to reach the router.

The router prints `export NAME="value"` and `unset NAME` lines, unescaped; the base URL host is
always 127.0.0.1 whatever HOST says, so the only thing that can go wrong is the port.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from spine_gates.ccr.live import LiveConfig
from spine_gates.ccr.safety import finding, interpolate
from spine_gates.finding import Finding
from spine_gates.secrets.redact import register_secret

_EXPORT = re.compile(r'^export ([A-Za-z_][A-Za-z0-9_]*)="(.*)"$')
_UNSET = re.compile(r"^unset ([A-Za-z_][A-Za-z0-9_]*)$")
DEFAULT_PORT = 3456
TIMEOUT_S = 30


@dataclass(frozen=True)
class ActivateOutput:
    exports: dict[str, str] = field(default_factory=dict)
    unsets: tuple[str, ...] = ()
    unparsed: tuple[str, ...] = ()


def parse_activate_output(text: str) -> ActivateOutput:
    """Split the router's output into exports, unsets and lines that are neither."""
    exports: dict[str, str] = {}
    unsets: list[str] = []
    unparsed: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if match := _EXPORT.match(line):
            exports[match.group(1)] = match.group(2)
        elif match := _UNSET.match(line):
            unsets.append(match.group(1))
        else:
            unparsed.append(line)
    return ActivateOutput(exports, tuple(unsets), tuple(unparsed))


def find_ccr(explicit: str | None = None) -> str | None:
    """The router CLI: `--ccr`, $SPINE_GATES_CCR, PATH, then ./node_modules/.bin/ccr."""
    for candidate in (explicit, os.environ.get("SPINE_GATES_CCR")):
        if candidate:
            return candidate
    found = shutil.which("ccr")
    if found:
        return found
    local = Path.cwd() / "node_modules" / ".bin" / "ccr"
    return str(local) if local.exists() else None


def run_activate(ccr: str, live: LiveConfig, env: Mapping[str, str]) -> str:
    """`ccr activate` against exactly this file, in a throw-away HOME (never the user's)."""
    with tempfile.TemporaryDirectory(prefix="gates-ccr-activate-") as home:
        router_home = Path(home) / ".claude-code-router"
        router_home.mkdir(mode=0o700)
        (router_home / "config.json").write_bytes(live.raw)
        child_env = {**env, "HOME": home}
        completed = subprocess.run([ccr, "activate"], env=child_env, capture_output=True,
                                   text=True, timeout=TIMEOUT_S, check=False)
    return completed.stdout


def expected_base_url(live: LiveConfig, env: Mapping[str, str]) -> str:
    port = live.data.get("PORT", DEFAULT_PORT)
    port_text = interpolate(port, env) if isinstance(port, str) else str(port)
    return f"http://127.0.0.1:{port_text}"


def check_activate(output: str, live: LiveConfig, env: Mapping[str, str]) -> list[Finding]:
    """CCR-ACTIVATE-001 unless ANTHROPIC_BASE_URL is this config's loopback URL."""
    parsed = parse_activate_output(output)
    token = parsed.exports.get("ANTHROPIC_AUTH_TOKEN")
    if token:
        register_secret(token)
    base = parsed.exports.get("ANTHROPIC_BASE_URL")
    if base is None:
        return [finding("CCR-ACTIVATE-002", "`ccr activate` printed no ANTHROPIC_BASE_URL "
                        f"({len(parsed.unparsed)} unrecognised line(s))", live, "/PORT")]
    expected = expected_base_url(live, env)
    if base != expected:
        return [finding("CCR-ACTIVATE-001", f"`ccr activate` sets ANTHROPIC_BASE_URL={base}, "
                        f"expected {expected}", live, "/PORT")]
    return []
