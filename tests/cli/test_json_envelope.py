"""Every `--format json` output names the tool that wrote it and the schema it follows.

The commands are read from the real parser: a command that gains `--format json` and has no case
here fails the first test, so a new JSON output cannot ship unstamped.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from spine_gates import __version__
from spine_gates.cli import build_parser
from tests.helpers import copy_reference_spine, gates_env, run_gates

REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 64,
           "messages": [{"role": "user", "content": "plan the migration"}]}

# command path -> its arguments after the path; {live} and {request} are files in the world,
# {fresh} a new directory each time.
CASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("run",): ("registry-policy", "--no-receipt"),
    ("list",): (),
    ("policy", "test"): (),
    ("policy", "rules"): (),
    ("receipts", "verify"): (),
    ("receipts", "audit"): (),
    ("providers", "status"): ("--offline",),
    ("proxy", "check"): ("--no-activate", "--live", "{live}"),
    ("secrets", "check"): ("--offline",),
    ("route", "explain"): ("{request}",),
    ("route", "simulate"): ("--rate", "executor=30/min", "--duration", "10m"),
    ("route", "resilience"): ("--fail", "openai=http_429"),
    ("failover", "plan"): ("--offline", "--live", "{live}"),
    ("failover", "status"): ("--live", "{live}"),
    ("failover", "bypass"): ("--offline",),
    ("import", "ccr"): ("{live}", "--into", "{fresh}"),
}


def _json_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                   ) -> set[tuple[str, ...]]:
    """Every command path whose --format offers json."""
    found: set[tuple[str, ...]] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _json_commands(sub, (*path, name))
        elif "--format" in action.option_strings and "json" in (action.choices or ()):
            found.add(path)
    return found


class World:
    """A reference spine, its compiled router config as the live one, a request, a fresh HOME."""

    def __init__(self, base: Path) -> None:
        self.spine = copy_reference_spine(base / "spine")
        home = base / "home"
        home.mkdir()
        self.env = gates_env(HOME=str(home), XDG_STATE_HOME=str(home / "state"),
                             XDG_CONFIG_HOME=str(home / "config"),
                             XDG_CACHE_HOME=str(home / "cache"))
        self.live = base / "live.json"
        done = self.gates("compile", "ccr", "--out", str(self.live))
        assert done.returncode == 0, done.stderr
        self.request = base / "request.json"
        self.request.write_text(json.dumps(REQUEST))

    def gates(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return run_gates(*argv, cwd=self.spine, env=self.env)

    def json_output(self, path: tuple[str, ...]) -> dict[str, object]:
        fresh = Path(tempfile.mkdtemp(dir=self.spine.parent)) / "imported"
        extra = [a.format(live=self.live, request=self.request, fresh=fresh)
                 for a in CASES[path]]
        done = self.gates(*path, *extra, "--format", "json")
        assert done.returncode in (0, 1, 2), (done.returncode, done.stderr)
        data = json.loads(done.stdout)
        assert isinstance(data, dict), f"{' '.join(path)}: a JSON {type(data).__name__}"
        return data


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("envelope"))


def test_every_command_with_json_output_has_a_case_here() -> None:
    assert _json_commands(build_parser()) == set(CASES)


@pytest.mark.parametrize("path", sorted(CASES), ids=" ".join)
def test_the_json_output_names_the_tool_and_the_schema_version(
        world: World, path: tuple[str, ...]) -> None:
    data = world.json_output(path)
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "spine-gates", "version": __version__}


@pytest.mark.parametrize("path", [("failover", "plan"), ("failover", "bypass")], ids=" ".join)
def test_an_output_that_already_had_a_version_keeps_it(world: World,
                                                       path: tuple[str, ...]) -> None:
    data = world.json_output(path)
    assert data["version"] == data["schema_version"] == 1


def test_a_report_written_to_a_file_is_stamped_too(world: World, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = world.gates("run", "registry-policy", "--no-receipt", "--format", "json",
                       "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["tool"]["name"] == "spine-gates"


def test_the_compiled_router_config_stays_the_routers_format(world: World) -> None:
    config = json.loads(world.live.read_text())
    assert "schema_version" not in config and "tool" not in config


def test_the_receipts_in_toto_predicate_stays_camel_case(world: World, tmp_path: Path) -> None:
    key = tmp_path / "receipt.key"
    done = world.gates("receipts", "keygen", "--name", "envelope", "--out", str(key))
    assert done.returncode == 0, done.stderr
    done = world.gates("run", "registry-policy", "--receipt", "--signing-key", str(key),
                       "--format", "json")
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)["receipt"]
    envelope = json.loads((world.spine / receipt["path"]).read_text())
    predicate = json.loads(base64.b64decode(envelope["payload"]))["predicate"]
    assert predicate["runKey"] and "exitCode" in predicate["verdict"]
    assert "schema_version" not in predicate
