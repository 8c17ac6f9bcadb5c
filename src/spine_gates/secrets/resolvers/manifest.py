"""The offline manifest: a committed list of secret names per Infisical path, never values.

It lets machines without Infisical access check references, and it is where a new key is
listed before it may be referenced (the spine's namespace policy).

    version: "1.0"
    project: infrastructure
    environment: prod
    paths:
      /spine/ai/providers: [ANTHROPIC_API_KEY, OPENAI_API_KEY]
"""

from __future__ import annotations

import re
from pathlib import Path

from spine_gates.errors import InputError
from spine_gates.model.loader import load_yaml
from spine_gates.secrets.detect import known_formats, looks_random
from spine_gates.secrets.refs import SecretRef, normalise_namespace
from spine_gates.secrets.resolvers.interface import Resolution, Resolver, Status
from spine_gates.spine_files import SECRETS_MANIFEST

DEFAULT_MANIFEST = SECRETS_MANIFEST
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _is_name(entry: object) -> bool:
    """A secret's name, not a pasted value: the shape of a name and no known key format."""
    if not isinstance(entry, str) or not _NAME.match(entry):
        return False
    return not any(True for _ in known_formats(entry)) and not looks_random(entry)


class ManifestResolver(Resolver):
    name = "manifest"

    def __init__(self, paths: dict[str, set[str]], source: str = DEFAULT_MANIFEST,
                 environment: str = "") -> None:
        self.paths = paths
        self.source = source
        self.environment = environment

    @classmethod
    def load(cls, path: Path, name: str) -> ManifestResolver:
        """Read a manifest; a malformed one is an input error with file and line."""
        document = load_yaml(path, name)
        data = document.data
        if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
            raise InputError("a secrets manifest needs a 'paths:' mapping", name, 1)
        paths: dict[str, set[str]] = {}
        for folder, names in data["paths"].items():
            pointer = "/paths/" + str(folder).replace("~", "~0").replace("/", "~1")
            line = document.line_of(pointer)
            if not isinstance(names, list):
                raise InputError(f"{folder}: expected a list of secret names", name, line)
            for index, entry in enumerate(names):
                if not _is_name(entry):
                    raise InputError(f"{folder}: entry {index + 1} is not a secret name "
                                     "(names only, never values)", name,
                                     document.line_of(f"{pointer}/{index}"))
            paths[normalise_namespace(str(folder))] = set(names)
        return cls(paths, name, str(data.get("environment", "")))

    def resolve(self, refs: list[SecretRef]) -> list[Resolution]:
        out = []
        for ref in refs:
            listed = self.paths.get(normalise_namespace(ref.path))
            if listed is not None and ref.name in listed:
                out.append(Resolution(ref, Status.FOUND, self.name, f"listed in {self.source}"))
            else:
                out.append(Resolution(ref, Status.MISSING, self.name,
                                      f"not listed under {ref.path} in {self.source}"))
        return out
