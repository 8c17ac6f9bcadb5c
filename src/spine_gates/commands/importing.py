"""`gates import ccr PATH [--into DIR] [--yes]`: a hand-written router config becomes a spine.

The spine is written with `gates init`'s writer (all or nothing, never overwriting). Every
literal key becomes an `env:NAME` reference listed in the manifest; the key itself is written
nowhere and shown only as a fingerprint. What the router config cannot tell is guessed and
listed, in text and `--format json`.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from spine_gates.clock import today
from spine_gates.commands import emit
from spine_gates.errors import EXIT_PASS, InputError
from spine_gates.report.envelope import dumps


def cmd_import_ccr(args: argparse.Namespace) -> int:
    from spine_gates.ccr.live import LiveConfig, parse_config, read_bytes, register_credentials
    from spine_gates.ccr.profiles import get_profile
    from spine_gates.commands.init import _check_dir, _git_init, _login, write_changes
    from spine_gates.importing.render import RenderError
    from spine_gates.importing.translate import profile_of, translate
    from spine_gates.importing.write import plan_import
    from spine_gates.init.plan import Action
    from spine_gates.init.templates import Values, slug

    source = Path(args.path).expanduser()
    if (source.parent / "config.sqlite").exists():
        raise InputError("this is a claude-code-router 3.x home (config.sqlite next to it); "
                         "import reads 2.0 and 1.x configs only", args.path)
    raw = read_bytes(source, args.path)
    data = parse_config(raw, args.path)
    register_credentials(data)
    live = LiveConfig(source, args.path, raw, data)
    name, why = profile_of(data, args.profile)
    imported = translate(live, get_profile(name), why)

    given = args.into or "."
    root = Path(given)
    _check_dir(root, given)
    day = today()
    values = Values(day.isoformat(), "@" + slug(_login(), "owner"),
                    slug(root.absolute().name, "my-spine"))
    changes = plan_import(root, imported, values, imported.waiver_expiry(day))
    conflicts = [c.path for c in changes if c.action is Action.CONFLICT]
    if conflicts:
        raise InputError(f"{len(conflicts)} file(s) exist with other content, and import never "
                         f"overwrites: {', '.join(conflicts)}; import into a new folder, or "
                         "into a spine without these files (docs/guides/importing.md); "
                         "nothing written", given)
    for change in changes:
        for key in _literal_keys(data):
            if change.content and key in change.content:
                raise RenderError(f"{change.path}: would hold a key from the router config; "
                                  "nothing written")
    write_changes(root, given, changes, args.yes, "import")
    where = "" if given == "." else f" --root {given}"
    next_steps = [f"gates run provider-drift{where} --live {args.path}   # only the keys "
                  "differ",
                  *(f"export {k.ref[4:]}=…   # the key {k.where} held, where the router runs"
                    for k in imported.keys if k.was.startswith("a literal")),
                  f"gates sync{where} --live {args.path}   # writes $NAME in place of each key"]
    report: dict[str, Any] = {
        "source": args.path,
        "into": given,
        "profile": imported.profile,
        "files": [{"path": c.path, "action": c.action.value, "note": c.note} for c in changes],
        "keys": [{"where": k.where, "was": k.was, "ref": k.ref} for k in imported.keys],
        "guesses": [{"file": g.file, "pointer": g.pointer, "value": g.value, "why": g.why}
                    for g in imported.guesses],
        "waivers": [{"rule": w.rule, "file": w.file, "pointer": w.pointer, "reason": w.reason,
                     "expires": imported.waiver_expiry(day)} for w in imported.waivers],
        "notes": imported.notes,
        "next": next_steps,
    }
    if args.format == "json":
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # the JSON document stays alone
            _git_init(root)
        emit(dumps(report), None)
        return EXIT_PASS
    files, rest = _text(report)
    emit(files, None)
    sys.stdout.flush()
    _git_init(root)  # says `created .git` after the files, as `gates init` does
    emit(rest, None)
    return EXIT_PASS


def _literal_keys(data: dict[str, Any]) -> list[str]:
    """The router config's literal keys (never written; checked for before writing)."""
    providers = [p for p in data.get("Providers") or [] if isinstance(p, dict)]
    values = [p.get("api_key") for p in providers]
    values.append(data.get("APIKEY"))
    # a credential inside a provider URL (user:password@, ?key=…) is a key too
    values += [v for p in providers for v in _url_secrets(p.get("api_base_url"))]
    return [v for v in values if isinstance(v, str) and len(v.strip()) >= 8
            and not v.strip().startswith("$")]


_SECRET_PARAMS = ("key", "token", "secret", "password", "sig", "auth")


def _url_secrets(url: Any) -> list[str]:
    """A URL's password and credential-named query values (`?key=…`; `api-version` is not)."""
    if not isinstance(url, str):
        return []
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return []
    found = [parts.password] if parts.password else []
    found += [v for k, v in urllib.parse.parse_qsl(parts.query)
              if any(word in k.lower() for word in _SECRET_PARAMS)]
    return found


def _text(report: dict[str, Any]) -> tuple[str, str]:
    """The file lines, and the rest (keys, guesses, waivers, notes, next steps)."""
    files = [f"{f['action']:<9} {f['path']}" + (f" ({f['note']})" if f["note"] else "")
             for f in report["files"]]
    lines = [f"key       {k['where']}: {k['was']} -> {k['ref']}" for k in report["keys"]]
    lines += [f"guess     {g['file']}:{g['pointer']} = {g['value']}: {g['why']}"
              for g in report["guesses"]]
    lines += [f"waived    {w['rule']} {w['file']}:{w['pointer'] or '/'} until {w['expires']}: "
              f"{w['reason']}" for w in report["waivers"]]
    lines += [f"note      {n}" for n in report["notes"]]
    lines += [f"next:     {step}" for step in report["next"]]
    return "\n".join(files) + "\n", "\n".join(lines) + "\n"
