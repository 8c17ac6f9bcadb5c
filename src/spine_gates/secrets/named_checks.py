"""Named policy checks for `policies/secrets.yaml`: the SEC rules select `text_places[]`, the
view's `string_leaves` (each value with its field) and `governed_files` (each governed file as
written: comments, mapping keys, inject files, waivers, scenarios, policies; `text_scan.py`).

Each leaf and file is scanned once (the hits are memoised on it) and each rule keeps the hits of
its kind; a file's hits carry their own line and pointer. Violations carry `fingerprint`,
`label`, `problem`, `path` and `namespace` for the rule's message; the leaf's `value` is
registered for redaction, so no template can leak it.
"""

from __future__ import annotations

from typing import Any

from spine_gates.checks.interface import EvalContext, Violation
from spine_gates.errors import InputError
from spine_gates.secrets import detect, refs
from spine_gates.secrets.text_scan import FileHit, scan_file


def _hits(leaf: dict[str, Any]) -> list[detect.SecretHit]:
    cached: list[detect.SecretHit] | None = leaf.get("_secret_hits")
    if cached is None:
        keys = tuple(str(k) for k in leaf.get("keys") or ())
        value = leaf.get("value")
        cached = (detect.scan_value(keys[-1] if keys else "", value, keys[:-1])
                  if isinstance(value, str) else [])
        leaf["_secret_hits"] = cached
    return cached


def _file_hits(item: dict[str, Any], ctx: EvalContext) -> list[FileHit]:
    """A `governed_files[]` item's hits (the file is read and scanned once per run)."""
    cached: list[FileHit] | None = item.get("_secret_hits")
    if cached is None:
        cached = scan_file(ctx.root, str(item["_file"]), str(item.get("format")),
                           bool(item.get("structured")), item.get("_document"))
        item["_secret_hits"] = cached
    return cached


def _violations(items: list[dict[str, Any]], kind: str, ctx: EvalContext) -> list[Violation]:
    out = []
    for item in items:
        located: list[tuple[detect.SecretHit, str | None, int | None]]
        if "format" in item:  # a governed file, scanned as written
            located = [(h.hit, h.pointer or None, h.line) for h in _file_hits(item, ctx)]
        else:
            located = [(hit, None, None) for hit in _hits(item)]
        for hit, pointer, line in located:
            if hit.kind == kind:
                out.append(Violation(item, {"field": hit.field, "fingerprint": hit.fingerprint,
                                            "label": hit.label, "problem": hit.problem},
                                     pointer, line))
    return out


_KINDS = {detect.LITERAL, detect.KEY_FORMAT, detect.URL_CREDENTIAL, detect.BAD_REFERENCE,
          detect.HIGH_ENTROPY}


def secret_detected(items: list[dict[str, Any]], args: dict[str, Any],
                    ctx: EvalContext) -> list[Violation]:
    """The detector's hits of one `kind` (SEC-001 literal, SEC-002 key-format, SEC-003
    url-credential, SEC-005 bad-reference, SEC-007 high-entropy)."""
    kind = args.get("kind")
    if kind not in _KINDS:
        raise InputError(f"check secret_detected: unknown kind {kind!r} "
                         f"(known: {', '.join(sorted(_KINDS))})", "policies/secrets.yaml")
    return _violations(items, kind, ctx)


def namespaces(params: dict[str, Any], args: dict[str, Any]) -> list[str]:
    """The allowed Infisical folders: rule params (spine-gates.yaml) over the rule's args."""
    value = params.get("namespace", args.get("namespace", refs.DEFAULT_NAMESPACE))
    listed = value if isinstance(value, list) else [value]
    return [refs.normalise_namespace(str(v)) for v in listed if str(v).strip()]


def secret_reference_namespace(items: list[dict[str, Any]], args: dict[str, Any],
                               ctx: EvalContext) -> list[Violation]:
    """Infisical references stay under the namespace policy and never at the root (SEC-006)."""
    allowed = namespaces(ctx.params, args)
    out = []
    for leaf in items:
        for hit in _hits(leaf):
            if hit.kind != detect.REFERENCE or hit.ref is None or hit.ref.scheme != "infisical":
                continue
            path = hit.ref.path
            if path == "/":
                problem = "sits at the root path, which must stay empty"
            elif not any(refs.under_namespace(path, ns) for ns in allowed):
                problem = f"is outside the namespace {', '.join(allowed) or '(none)'}"
            else:
                continue
            out.append(Violation(leaf, {"field": hit.field, "path": path, "problem": problem,
                                        "namespace": ", ".join(allowed),
                                        "secret_name": hit.ref.name}))
    return out
