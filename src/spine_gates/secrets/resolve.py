"""The resolution loop: find every reference in the spine, ask the sources, make findings.

Order for `infisical://` refs: a fresh cache answer, then Infisical itself (bounded), then the
offline manifest; `env:` refs ask the environment. Each answer keeps the name of its source.
The Infisical resolver (sockets, temp dirs) is imported only when a run goes online: the offline
pre-commit hook (`secrets check --offline`) never needs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spine_gates.checks.interface import rule_meta
from spine_gates.finding import Finding, Severity
from spine_gates.model.scope import inside_root
from spine_gates.secrets import detect, refs
from spine_gates.secrets.cache import DEFAULT_TTL_SECONDS, ExistenceCache
from spine_gates.secrets.config import SecretsSettings
from spine_gates.secrets.resolvers.env import EnvResolver
from spine_gates.secrets.resolvers.interface import Resolution, Status
from spine_gates.secrets.resolvers.manifest import DEFAULT_MANIFEST, ManifestResolver

MISSING_RULE = "SEC-010"
UNRESOLVED_RULE = "SEC-011"
UNLISTED_RULE = "SEC-012"


@dataclass(frozen=True)
class RefUse:
    """A reference where it is written: which field of which file."""

    ref: refs.SecretRef
    field: str
    file: str
    pointer: str
    line: int | None


def collect_refs(view: dict[str, Any], line_of: Any) -> list[RefUse]:
    """Every valid reference in a key-bearing field of the governed files."""
    uses = []
    for leaf in view.get("string_leaves") or []:
        keys = tuple(str(k) for k in leaf.get("keys") or ())
        value = leaf.get("value")
        if not keys or not isinstance(value, str):
            continue
        if detect.field_kind(keys[-1], keys[:-1]) not in ("ref", "strict"):
            continue
        try:
            ref = refs.parse_ref(value)
        except refs.RefError:
            continue  # SEC-001/SEC-005 report these
        file, pointer = str(leaf.get("_file", "")), str(leaf.get("_pointer", ""))
        uses.append(RefUse(ref, keys[-1], file, pointer, line_of(file, pointer)))
    return uses


def resolve_refs(uses: list[RefUse], settings: SecretsSettings, root: Path, offline: bool = False,
                 require: bool = False, cache: ExistenceCache | None = None
                 ) -> dict[refs.SecretRef, Resolution]:
    """One resolution per distinct reference."""
    distinct = list(dict.fromkeys(use.ref for use in uses))
    env_refs = [r for r in distinct if r.scheme == "env"]
    infisical_refs = [r for r in distinct if r.scheme == "infisical"]
    answers: dict[refs.SecretRef, Resolution] = {}
    for resolution in EnvResolver().resolve(env_refs):
        answers[resolution.ref] = resolution
    if not infisical_refs:
        return answers

    cache = cache or ExistenceCache(settings.infisical.scope,
                                    settings.cache_ttl or DEFAULT_TTL_SECONDS)
    pending = []
    for ref in infisical_refs:
        hit = cache.get(ref)
        if hit is None:
            pending.append(ref)
            continue
        exists, age = hit
        answers[ref] = Resolution(ref, Status.FOUND if exists else Status.MISSING, "cache",
                                  f"infisical said {'found' if exists else 'missing'} "
                                  f"{_age(age)} ago")
    why_not_live = "offline (--offline)" if offline else ""
    if pending and not offline:
        # sockets, temp dirs, the SDK: only online (see the docstring)
        from spine_gates.secrets.resolvers.infisical import InfisicalResolver

        live = InfisicalResolver(settings.infisical).resolve(pending)
        now = time.time()
        for resolution in live:
            if resolution.status is Status.UNRESOLVED:
                why_not_live = resolution.detail
                continue
            cache.put(resolution.ref, resolution.status is Status.FOUND, now)
            answers[resolution.ref] = resolution
        cache.save()
    rest = [ref for ref in pending if ref not in answers]
    if rest:
        manifest = _manifest(settings, root)
        for ref in rest:
            if manifest is None or require:
                note = "" if manifest is None else "; the manifest does not count with " \
                                                   "--require-resolution"
                answers[ref] = Resolution(ref, Status.UNRESOLVED, "infisical",
                                          f"{why_not_live}{note}")
                continue
            (answer,) = manifest.resolve([ref])
            why = why_not_live.split(" (set ", 1)[0]  # the variable list is in SEC-011's fix
            answers[ref] = replace(answer, detail=f"{answer.detail}; {why}")
    return answers


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def _manifest(settings: SecretsSettings, root: Path) -> Any:
    path = inside_root(root, settings.manifest)
    if not path.is_file():
        return None
    return ManifestResolver.load(path, settings.manifest)


def findings_for(uses: list[RefUse], answers: dict[refs.SecretRef, Resolution],
                 require: bool = False, manifest: str = DEFAULT_MANIFEST) -> list[Finding]:
    """SEC-010 for a reference a source says is missing; SEC-011 for one nobody could answer."""
    out = []
    for use in uses:
        answer = answers.get(use.ref)
        if answer is None or answer.status is Status.FOUND:
            continue
        if answer.status is Status.MISSING:
            out.append(Finding(
                rule=MISSING_RULE, severity=Severity.ERROR, title=rule_meta(MISSING_RULE).title,
                message=f"{use.field} {use.ref.raw} does not resolve: {answer.detail} "
                        f"(source: {answer.source})",
                file=use.file, line=use.line, pointer=use.pointer,
                fix=_fix(use.ref, manifest)))
        else:
            out.append(Finding(
                rule=UNRESOLVED_RULE,
                severity=Severity.ERROR if require else Severity.WARNING,
                title=rule_meta(UNRESOLVED_RULE).title,
                message=f"{use.field} {use.ref.raw} unresolved: {answer.detail} "
                        f"(source: {answer.source})",
                file=use.file, line=use.line, pointer=use.pointer,
                fix=_unresolved_fix(use.ref, manifest, require)))
    return out


def _unresolved_fix(ref: refs.SecretRef, manifest: str, require: bool) -> str:
    """What makes the reference checkable: for env: the variable, for Infisical access or (off
    --require-resolution) the manifest entry, named with the manifest's path and shape."""
    if ref.scheme == "env":
        return f"Export {ref.name} (e.g. run under `infisical run -- <command>`)."
    access = ("Configure Infisical access (INFISICAL_HOST, INFISICAL_CLIENT_ID, "
              "INFISICAL_CLIENT_SECRET, INFISICAL_PROJECT_ID)")
    if require:
        return f"{access}; with --require-resolution only Infisical counts."
    folder = ref.path or "/"
    return (f"{access}, or list the name in {manifest} under paths: "
            f"`paths: {{{folder}: [{ref.name}]}}` (names only, never values).")


def _fix(ref: refs.SecretRef, manifest: str) -> str:
    if ref.scheme == "env":
        return f"Export {ref.name} (e.g. via `infisical run -- <command>`)."
    return (f"Create {ref.name} under {ref.path} in Infisical and list it in {manifest} "
            f"(`paths: {{{ref.path or '/'}: [{ref.name}]}}`), or correct the reference.")


def unlisted_findings(uses: list[RefUse], answers: dict[refs.SecretRef, Resolution],
                      settings: SecretsSettings, root: Path) -> list[Finding]:
    """SEC-012: a key Infisical has but the manifest (the namespace policy) does not list.

    The manifest is where a new key is approved before use, and what offline machines check
    against; a key added to Infisical alone passes online and fails everywhere else.
    """
    manifest = _manifest(settings, root)
    if manifest is None:
        return []
    out = []
    for use in uses:
        answer = answers.get(use.ref)
        if use.ref.scheme != "infisical" or answer is None or answer.status is not Status.FOUND \
                or answer.source == "manifest":
            continue
        (listed,) = manifest.resolve([use.ref])
        if listed.status is Status.FOUND:
            continue
        out.append(Finding(
            rule=UNLISTED_RULE, severity=Severity.WARNING, title=rule_meta(UNLISTED_RULE).title,
            message=f"{use.field} {use.ref.raw} exists ({answer.source}) but is not listed "
                    f"under {use.ref.path} in {settings.manifest}",
            file=use.file, line=use.line, pointer=use.pointer,
            fix=f"Add {use.ref.name} under {use.ref.path} in {settings.manifest}."))
    return out
