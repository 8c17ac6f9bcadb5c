"""Imports point one way: model <- check interfaces <- features <- check table <- runner <-
commands <- cli. No import cycle, no feature package reaching up into the runner or the commands
layer, the pre-commit gate importing no more of the engine than it did, and imports deferred into
functions only where they keep something heavy off a fast path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, gates_env

SRC = REPO / "src" / "spine_gates"
FEATURES = ("model", "policy", "secrets", "ccr", "drift", "routing", "health", "receipts",
            "report", "checks", "targets", "failover")
UPWARD = ("spine_gates.gates", "spine_gates.commands", "spine_gates.cli")

# Spine-gates modules `gates run registry-policy` imported on main before the check table
# (measured in-process after cli.main, `spine_gates*` in sys.modules): the pre-commit path.
REGISTRY_POLICY_MODULE_CEILING = 39

# Function-level imports of spine_gates modules outside the commands layer and cli.py (whose lazy
# command table keeps each command group off the others' paths), measured after failover/, drift/,
# receipts/ and health/session_brief moved theirs to the top. Each one left keeps a heavy library
# or module off a fast path (the hook and its changed-files filter, the offline secrets hook,
# `session check`, the time before `providers status` starts its probes, the CLI's `--target`
# choices), and the importing module's docstring or a comment beside it says which. Lower this
# when one goes; raise it only with such a reason written down. 24 -> 31 with the team-scale and
# errors-that-teach merges: the store modules providers status opens only for the backend the
# spine names (breakers_sqlite, state_redis, and for Redis the gateway reader with its YAML
# compiler: 4), the litellm target's factory beside ccr's (the `--target` choices), and the
# did-you-mean and schema-hint modules, loaded only when a rule or the schema fails (the hook).
ENGINE_LAZY_IMPORT_CEILING = 31
LAZY_LAYERS = ("commands/", "cli.py")

# Third-party libraries worth importing inside a function (each costs tens of milliseconds or
# more); any other library (yaml, jmespath) is imported at the top of the module that uses it.
# redis: only a spine with `state: {backend: redis}` needs it (health/state_redis.py), and
# importing it costs 190 ms or more here, which every other command would pay.
HEAVY_LIBRARIES = frozenset({"bpe_openai", "cerberus", "cryptography", "deepdiff", "git", "httpx",
                             "infisical_sdk", "pyjson5", "redis", "requests"})


def _module_name(path: Path) -> str:
    parts = ["spine_gates", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_edges() -> dict[str, set[str]]:
    """Module -> the spine_gates modules it imports, at any depth: top-level, inside functions
    and under TYPE_CHECKING (a type-only cycle is still a knot in the design)."""
    paths = {_module_name(path): path for path in _all_modules()}
    edges: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import sub` imports the submodule when there is one
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                           for alias in node.names]
            edges[name].update(t for t in targets if t in paths and t != name)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_engine_has_no_import_cycle() -> None:
    edges = _import_edges()
    assert len(edges) > 100 and edges["spine_gates.gates"], "the import graph was not read"
    assert _cycles(edges) == []


def _upward_imports(path: Path) -> list[str]:
    """Every import of the runner, the commands layer or the CLI in `path`, at any depth
    (function-level and TYPE_CHECKING imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found += [f"{name} (line {node.lineno})" for name in names
                  if any(name == up or name.startswith(up + ".") for up in UPWARD)]
    return found


def _feature_modules() -> list[str]:
    return sorted(path.relative_to(SRC).as_posix() for package in FEATURES
                  for path in (SRC / package).rglob("*.py"))


def test_no_feature_package_imports_the_runner_or_the_commands_layer() -> None:
    offenders = {name: _upward_imports(SRC / name) for name in _feature_modules()}
    assert {name: found for name, found in offenders.items() if found} == {}


_COUNT_MODULES = """
import sys
from spine_gates import cli
try:
    code = cli.main(["run", "registry-policy", "--no-receipt"])
except SystemExit as exc:
    code = exc.code
print(code, sorted(m for m in sys.modules if m.split(".")[0] == "spine_gates"), file=sys.stderr)
"""


def test_the_pre_commit_gate_imports_no_more_engine_modules_than_before() -> None:
    done = subprocess.run([sys.executable, "-c", _COUNT_MODULES], cwd=REPO, env=gates_env(),
                          capture_output=True, text=True, timeout=60)
    code, modules = done.stderr.strip().splitlines()[-1].split(" ", 1)
    assert code == "0", done.stdout + done.stderr
    imported = ast.literal_eval(modules)
    assert len(imported) <= REGISTRY_POLICY_MODULE_CEILING, imported


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module name) of each import inside a function of `path`; relative
    imports count as spine_gates."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                top = "spine_gates" if node.level else (node.module or "").split(".")[0]
                found.append((node.lineno, top))
    return found


def _all_modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_engine_defers_no_more_of_its_own_imports_than_it_needs() -> None:
    lazy = [f"{path.relative_to(SRC).as_posix()}:{line}" for path in _all_modules()
            if not path.relative_to(SRC).as_posix().startswith(LAZY_LAYERS)
            for line, top in _function_level_imports(path) if top == "spine_gates"]
    assert len(lazy) <= ENGINE_LAZY_IMPORT_CEILING, lazy


def test_a_third_party_library_is_imported_inside_a_function_only_when_it_is_heavy() -> None:
    light = [f"{path.relative_to(SRC).as_posix()}:{line} {top}" for path in _all_modules()
             for line, top in _function_level_imports(path)
             if top != "spine_gates" and top not in sys.stdlib_module_names
             and top not in HEAVY_LIBRARIES]
    assert light == []
