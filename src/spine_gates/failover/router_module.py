"""The router module: claude-code-router 2.0.0's `CUSTOM_ROUTER_PATH`, rendered and installed.

The source is `router_module.js` (package data) with the override file's absolute path baked in
(as a JSON string literal, so no path can break out of it). The router `require`s it once at
start, so what the module does is frozen until a restart; everything that changes (which slot,
what route, until when) is data in the override file. Drift compares the installed file's
sha256 with the one rendered here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from spine_gates.atomic import write_atomic
from spine_gates.errors import InputError

MODULE_NAME = "spine-gates-failover.js"
_TEMPLATE = Path(__file__).with_name("router_module.js")
_MARK = "__OVERRIDES_PATH__"


@dataclass(frozen=True)
class InstalledModule:
    path: Path
    digest: str  # "sha256:<hex>" of the bytes written


def module_path(live_config: Path) -> Path:
    """Where the module lives: beside the live config (the router's home)."""
    return live_config.expanduser().parent / MODULE_NAME


def render(overrides_file: Path) -> str:
    """The module's source, reading `overrides_file` (made absolute) on every request."""
    template = _TEMPLATE.read_text(encoding="utf-8")
    if template.count(_MARK) != 1:
        raise AssertionError(f"{_TEMPLATE.name} must hold {_MARK} exactly once")
    literal = json.dumps(str(overrides_file.expanduser().absolute()))
    return template.replace(_MARK, literal)


def digest(source: str | bytes) -> str:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return "sha256:" + hashlib.sha256(data).hexdigest()


def expected_digest() -> str:
    """The digest of the module this version renders for the user's override file: what an
    installed module must match."""
    from spine_gates.failover.overrides import overrides_path

    return digest(render(overrides_path()))


def install(live_config: Path, overrides_file: Path | None = None) -> InstalledModule:
    """Write the module beside `live_config` (atomic, 0644: the router only reads it)."""
    if overrides_file is None:
        from spine_gates.failover.overrides import overrides_path

        overrides_file = overrides_path()
    source = render(overrides_file)
    target = module_path(live_config)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
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
