"""The router module: claude-code-router 2.0.0's `CUSTOM_ROUTER_PATH`, rendered and installed.

The source is `router_module.js` (package data) with the override file's absolute path baked in
(as a JSON string literal, so no path can break out of it). The router `require`s it once at
start, so what the module does is frozen until a restart; everything that changes (which slot,
what route, until when) is data in the override file. Drift compares the installed file's
sha256 with the one rendered here.

A user's own `CUSTOM_ROUTER_PATH` is chained, not replaced: `gates sync` records its absolute path
in `spine-gates-failover.chain.json` beside the module and bakes it into the module, which hands
every request it does not override to that module. The record is what the expected digest is
rendered from, so a changed module or record is drift.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError
from spine_gates.failover.overrides import overrides_path

MODULE_NAME = "spine-gates-failover.js"
CHAIN_NAME = "spine-gates-failover.chain.json"
_TEMPLATE = Path(__file__).with_name("router_module.js")
_MARK = "__OVERRIDES_PATH__"
_CHAINED_MARK = "__CHAINED_PATH__"


@dataclass(frozen=True)
class InstalledModule:
    path: Path
    digest: str  # "sha256:<hex>" of the bytes written


def module_path(live_config: Path) -> Path:
    """Where the module lives: beside the live config (the router's home)."""
    return live_config.expanduser().parent / MODULE_NAME


def chain_path(module: Path) -> Path:
    """The record of the user's module the failover module chains (beside the module)."""
    return module.parent / CHAIN_NAME


def render(overrides_file: Path, chained: str | None = None) -> str:
    """The module's source, reading `overrides_file` (made absolute) on every request and
    handing the requests it does not override to `chained` (an absolute path, or None)."""
    template = _TEMPLATE.read_text(encoding="utf-8")
    for mark in (_MARK, _CHAINED_MARK):
        if template.count(mark) != 1:
            raise AssertionError(f"{_TEMPLATE.name} must hold {mark} exactly once")
    literal = json.dumps(str(overrides_file.expanduser().absolute()))
    return template.replace(_MARK, literal).replace(_CHAINED_MARK, json.dumps(chained))


def recorded_chain(module: Path) -> str | None:
    """The user's module recorded as chained beside `module`, or None. A record that is not
    `{"version": 1, "chained": "<absolute path>"}` is an InputError naming it."""
    record = chain_path(module)
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the chained router record: {exc}; fix or remove it "
                         "(removing it stops chaining at the next sync)", str(record)) from None
    chained = data.get("chained") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(chained, str) \
            or not Path(chained).is_absolute():
        raise InputError('the chained router record is not {"version": 1, "chained": '
                         '"<absolute path>"}; fix or remove it', str(record))
    return chained


def chain_for(live: dict[str, object], module: Path) -> str | None:
    """The user's module the failover module at `module` must chain: the live config's own
    CUSTOM_ROUTER_PATH when it names another module, else the one already recorded. A relative
    or missing path is an InputError: the router resolves neither the way the user meant."""
    named = live.get("CUSTOM_ROUTER_PATH")
    if not isinstance(named, str) or not named or named == str(module):
        return recorded_chain(module)
    path = Path(named).expanduser()
    if not path.is_absolute():
        raise InputError(f"the live config's CUSTOM_ROUTER_PATH {named!r} is relative: the "
                         "failover module chains a user's own router module by absolute path; "
                         "make it absolute, then sync again", "CUSTOM_ROUTER_PATH")
    if not path.is_file():
        raise InputError(f"the live config's CUSTOM_ROUTER_PATH names {named!r}, which does "
                         "not exist: the failover module would chain nothing; fix or remove it, "
                         "then sync again", "CUSTOM_ROUTER_PATH")
    return str(path)


def digest(source: str | bytes) -> str:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return "sha256:" + hashlib.sha256(data).hexdigest()


def expected_digest(module: Path | None = None, chained: str | None = None) -> str:
    """The digest of the module this version renders for the user's override file (chaining
    `chained`, else what is recorded beside `module`): what an installed module must match."""
    if chained is None and module is not None:
        chained = recorded_chain(module)
    return digest(render(overrides_path(), chained))


def install(live_config: Path, overrides_file: Path | None = None,
            chained: str | None = None) -> InstalledModule:
    """Write the module beside `live_config` (atomic, 0644: the router only reads it), and the
    record of the module it chains (removed when it chains none)."""
    if overrides_file is None:
        overrides_file = overrides_path()
    source = render(overrides_file, chained)
    target = module_path(live_config)
    record = chain_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # the record first: a module that chains is never on disk without it
        if chained is None:
            record.unlink(missing_ok=True)
        else:
            write_atomic(record, json.dumps({"version": 1, "chained": chained}) + "\n",
                         mode=0o644)
        write_atomic(target, source, mode=0o644)
    except OSError as exc:
        raise InputError(f"cannot install the failover router module: {exc}",
                         str(target)) from None
    return InstalledModule(target, digest(source))


def installed_digest(path: Path) -> str | None:
    """The digest of the module at `path`, or None when there is none."""
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read the failover router module: {exc}", str(path)) from None
