"""Which directory a command acts on: a spine, found by its markers, never a silent fallback.

A directory that has a registry at its default path or a `spine-gates.yaml` (which may move the
registries) is a spine. The bundled reference spine is used only when asked for (`--reference`),
and a command that writes never acts on it. No YAML here: `gates session check` imports this on
its ~100 ms path.
"""

from __future__ import annotations

from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.spine_files import CONFIG_FILE as CONFIG_FILE  # re-exported

REGISTRY_PATHS: dict[str, str] = {
    "providers": "docs/governance/PROVIDER_REGISTRY.yaml",
    "cli_interfaces": "docs/governance/CLI_INTERFACE_REGISTRY.yaml",
    "roles": "docs/governance/ROLE_PROVIDER_MAPS.yaml",
    "ssot": "docs/governance/SSOT_REGISTRY.yaml",
}
MARKERS = (CONFIG_FILE, *REGISTRY_PATHS.values())


def bundled_dir(name: str) -> Path:
    """A folder shipped with the tool: in the wheel under `_bundled/`, else the source tree."""
    package = Path(__file__).resolve().parent.parent
    wheel = package / "_bundled" / name
    if wheel.is_dir():
        return wheel
    return package.parent.parent / ("." if name == "spine" else name)


def reference_root() -> Path:
    """The bundled reference spine (in a source checkout: the checkout itself)."""
    return bundled_dir("spine").resolve()


def _installed_reference() -> Path | None:
    """The reference spine inside an installed package, where nothing may ever be written.

    In a source checkout the reference spine is the checkout: a spine like any other there."""
    wheel = Path(__file__).resolve().parent.parent / "_bundled" / "spine"
    return wheel.resolve() if wheel.is_dir() else None


def is_spine(path: Path) -> bool:
    """True when `path` has a registry or spine-gates.yaml (a broken link counts: the loader
    then names the broken file, which says more than "no spine")."""
    return any(_present(path / rel) for rel in MARKERS)


def _present(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:  # an unreadable folder on the way: not a spine we can use
        return False


def here_is_spine() -> bool:
    """True when the current directory is a spine (False when it is gone)."""
    try:
        return is_spine(Path.cwd())
    except OSError:
        return False


def spine_root(root: str | None, *, reference: bool = False, writer: str | None = None) -> Path:
    """The spine a command acts on: `--root DIR`, else the current directory, each only if it is
    a spine; or the bundled reference spine with `--reference`.

    `writer` is the command's name when it writes into the spine or deploys what the spine says
    (`sync`, `adopt`, `baseline create`, `receipts keygen`): such a command never acts on the
    bundled reference spine. Anything else is an InputError (exit 3) naming what was looked for.
    """
    if reference and root is not None:
        raise InputError("--reference and --root: pass one (--reference checks the bundled "
                         "reference spine, --root DIR your spine)")
    if reference:
        if writer:
            raise InputError(f"{writer} never acts on the bundled reference spine: "
                             "pass --root DIR naming your spine")
        return reference_root()
    if root is not None:
        given = Path(root)
        if not given.is_dir():
            raise InputError("--root is not a directory", root)
        path, where = given.resolve(), f"at --root {root}"
    else:
        try:
            path = Path.cwd()
        except OSError as exc:  # the folder was deleted under the shell
            raise InputError(f"the current directory is gone ({exc.strerror}): cd into your "
                             "spine or pass --root DIR") from None
        where = f"in the current directory {path}"
    if not is_spine(path):
        raise InputError(no_spine_message(path, where, writer))
    installed = _installed_reference()
    if writer and installed is not None and path == installed:
        raise InputError(f"{writer} never acts on the bundled reference spine ({path}): "
                         "pass --root DIR naming your spine")
    return path


def no_spine_message(path: Path, where: str, writer: str | None = None) -> str:
    """What was looked for, and the ways out (one line)."""
    looked = ", ".join(MARKERS)
    if writer:
        ways = (f"pass --root DIR naming your spine ({writer} never acts on the bundled "
                "reference spine)")
    else:
        ways = ("pass --root DIR naming your spine, or --reference to check the bundled "
                "reference spine")
    above = next((parent for parent in path.parents if is_spine(parent)), None)
    hint = f"; {above} above it is a spine: --root {above}" if above is not None else ""
    return f"no spine {where} (looked for {looked}){hint}; {ways}"
