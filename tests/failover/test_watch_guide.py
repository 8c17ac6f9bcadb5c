"""docs/guides/failover.md "Watching" and the `failover.watch` capability entry: the commands
they give run, in order, against fake providers; the systemd units, the cron line and the
capability entry run that same command and follow the spine's capability schema."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path
from typing import Any

import yaml

from spine_gates.failover.settings import WatchSettings, format_duration
from tests.failover.cli_setup import arm
from tests.health.fakes import KEYS, FakeProviders, closed_port
from tests.helpers import REPO, run_gates

GUIDE = REPO / "docs" / "guides" / "failover.md"
CAPABILITIES = REPO / "ops" / "capabilities.yaml"
SECRETS_PRECONDITIONS = {"secrets.binding", "secrets.auth.status"}  # the spine's own entries


def _between(name: str) -> str:
    text = GUIDE.read_text()
    block = text.split(f"<!-- {name}:start -->\n", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    return block.split("\n", 1)[1].rsplit("```", 1)[0]  # inside the fence


def _commands() -> list[list[str]]:
    return [shlex.split(line.partition("#")[0])[1:] for line in
            _between("watch-commands").splitlines() if line.startswith("gates ")]


def _after_infisical(command: str) -> list[str]:
    """The spine-gates command an `infisical run … -- gates …` line runs (keys come from
    infisical there; here from the test's environment)."""
    words = shlex.split(command)
    return words[words.index("--") + 1:]


def _capability() -> dict[str, Any]:
    entry: dict[str, Any] = yaml.safe_load(CAPABILITIES.read_text())["capabilities"][
        "failover.watch"]
    return entry


def test_the_watching_commands_run_in_order(tmp_path: Path) -> None:
    armed = arm(tmp_path)
    with FakeProviders() as fake:
        fake.all_healthy()
        env = {**armed.env, **armed.signed(), **KEYS, "SPINE_GATES_API_BASE_OVERRIDES":
               fake.overrides(openai=f"http://127.0.0.1:{closed_port()}/v1")}
        outputs = []
        for args in _commands():
            proc = run_gates(*args, cwd=armed.spine, env=env)
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
            outputs.append(proc.stdout)
        capability = run_gates(*_after_infisical(_capability()["command"])[1:], cwd=armed.spine,
                               env=env)
    assert outputs[0].count("bad round 1 of 2") == 2
    assert outputs[1].count("applied fo-") == 2 and "unreachable" in outputs[1]
    assert outputs[2].count("[active]") == 2
    assert capability.returncode == 0, capability.stderr
    assert "no change (2 override(s) in force)" in capability.stdout


def test_the_systemd_units_and_the_cron_line_run_the_guides_command() -> None:
    command = ["gates", *_commands()[0]]
    service = configparser.ConfigParser(interpolation=None)
    service.optionxform = str  # type: ignore[assignment,method-assign]
    service.read_string(_between("watch-service"))
    assert service["Service"]["Type"] == "oneshot"
    assert _after_infisical(service["Service"]["ExecStart"]) == command
    timer = configparser.ConfigParser(interpolation=None)
    timer.optionxform = str  # type: ignore[assignment,method-assign]
    timer.read_string(_between("watch-timer"))
    assert timer["Timer"]["OnUnitActiveSec"] == format_duration(WatchSettings().interval)
    assert timer["Install"]["WantedBy"] == "timers.target"
    cron = _between("watch-cron").strip()
    assert cron.split()[:5] == ["*"] * 5
    assert _after_infisical(cron.split(">>")[0].split(None, 5)[5]) == command


def test_the_capability_entry_follows_the_spines_schema() -> None:
    data = yaml.safe_load(CAPABILITIES.read_text())
    assert str(data["version"]) and len(str(data["updated"]).split("-")) == 3
    entry = _capability()
    assert entry["description"].strip() and entry["command"].strip()
    assert entry["safety"] in ("read-only", "mutating", "destructive")
    assert entry["safety"] == "mutating"  # it changes what the running router serves
    assert entry["approval"] in ("auto", "manual", "operator")
    assert entry["arg_protocol"] in ("passthrough", "argparse", "positional", "none")
    assert isinstance(entry["outputs"], list) and entry["outputs"]
    assert entry["plane"] in ("fabric", "domain_external")
    known = set(data["capabilities"]) | SECRETS_PRECONDITIONS
    assert set(entry["requires"]) <= known
    assert entry["touches_api"] is True and set(entry["requires"]) >= SECRETS_PRECONDITIONS
    assert _after_infisical(entry["command"])[:4] == ["gates", "failover", "watch", "--root"]
