"""The command line: the parser, the table of command groups, `main()` and its error handler.

Each command group's handlers live in `commands/<module>.py`; `main()` imports that module only
when one of its commands runs, so the pre-commit path (`gates run registry-policy`) loads no
other group's code.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from spine_gates import __version__
from spine_gates.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, GatesError, InputError
from spine_gates.printable import visible

FORMATS = ("text", "json", "sarif", "junit", "github", "spine")
# The command groups: `gates <command>` -> its module under spine_gates.commands.
COMMANDS = {
    "run": "run",
    "list": "list_gates",
    "policy": "policy",
    "baseline": "baseline",
    "receipts": "receipts",
    "providers": "providers",
    "session": "session",
    "compile": "compile",
    "sync": "drift",
    "adopt": "drift",
    "proxy": "proxy",
    "secrets": "secrets",
    "route": "route",
}
# OSError numbers that only a malformed path name causes: exit 3 wherever they surface.
_BAD_PATH_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP})


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are bad input: one line, exit 3 (argparse's default is exit 2 = drift)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see `{self.prog} --help`)")


def _add_root(parser: argparse.ArgumentParser, writes: bool = False) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--root", metavar="DIR",
                       help="spine root (default: the current directory, which must be a spine)")
    # A writer takes --reference only to refuse it with a clear message (model/discovery.py).
    where.add_argument("--reference", action="store_true",
                       help=argparse.SUPPRESS if writes else "check the bundled reference spine "
                       "on purpose")


def _add_format(parser: argparse.ArgumentParser, choices: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--format", choices=choices, default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gates", description="Policy-as-code gates for an LLM provider spine.")
    parser.add_argument("--version", action="version", version=f"spine-gates {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    run = sub.add_parser("run", help="run a gate (or all) on a spine")
    run.add_argument("gate", help="gate name from `gates list`, or all")
    run.add_argument("files", nargs="*", metavar="FILE",
                     help="changed files (a pre-commit hook passes them): run only if the gate "
                          "reads one of them, else exit 0 at once")
    _add_root(run)
    _add_format(run)
    run.add_argument("--live", metavar="PATH", help="live proxy config (drift gates)")
    run.add_argument("--no-baseline", action="store_true",
                     help="report findings accepted in the baseline too")
    run.add_argument("--receipt", action=argparse.BooleanOptionalAction, default=None,
                     help="write a signed receipt (default: on when $CI is set)")
    run.add_argument("--signing-key", metavar="PATH",
                     help="Ed25519 private key (else $SPINE_GATES_SIGNING_KEY_FILE, "
                          "$SPINE_GATES_SIGNING_KEY, $SPINE_GATES_SIGNING_KEY_REF)")
    run.set_defaults(handler="cmd_run")

    lst = sub.add_parser("list", help="list the gates")
    lst.add_argument("--format", choices=("text", "json"), default="text")
    lst.set_defaults(handler="cmd_list")

    policy = sub.add_parser("policy", help="rule packs: test them, list them")
    policy_sub = policy.add_subparsers(dest="policy_command", parser_class=_Parser,
                                       metavar="SUBCOMMAND", required=True)
    ptest = policy_sub.add_parser("test", help="run the rule packs' fixture tests (the spine's "
                                  "own packs when it has policies/, else the shipped ones)")
    _add_root(ptest)
    ptest.add_argument("--format", choices=("text", "json"), default="text")
    ptest.add_argument("--require-coverage", action="store_true",
                       help="fail unless every rule has a passing and a failing case")
    ptest.add_argument("files", nargs="*", metavar="FILE",
                       help="changed files: test only if the cases read one of them")
    ptest.set_defaults(handler="cmd_test")
    prules = policy_sub.add_parser("rules", help="the rule catalogue")
    _add_root(prules)
    prules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    prules.set_defaults(handler="cmd_rules")

    baseline = sub.add_parser("baseline", help="accept current findings when adopting")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", parser_class=_Parser,
                                           metavar="SUBCOMMAND", required=True)
    create = baseline_sub.add_parser("create", help="write .spine-gates-baseline.json")
    _add_root(create, writes=True)
    create.set_defaults(handler="cmd_create")

    receipts = sub.add_parser("receipts", help="signed receipts: keys, verification, audit")
    receipts_sub = receipts.add_subparsers(dest="receipts_command", parser_class=_Parser,
                                           metavar="SUBCOMMAND", required=True)
    keygen = receipts_sub.add_parser("keygen", help="create an Ed25519 signing key")
    _add_root(keygen, writes=True)
    keygen.add_argument("--out", metavar="PRIVATE_PATH",
                        help="private key path, outside the repository "
                             "(default ~/.config/spine-gates/keys/<name>.key)")
    keygen.add_argument("--name", help="key name; the public key is receipts/keys/<name>.pub")
    keygen.set_defaults(handler="cmd_keygen")
    rverify = receipts_sub.add_parser("verify", help="verify signatures and the hash chain")
    _add_root(rverify)
    rverify.add_argument("--against-worktree", action="store_true",
                         help="also require the governed files to match the newest passing "
                              "receipt")
    rverify.add_argument("--format", choices=("text", "json"), default="text")
    rverify.set_defaults(handler="cmd_verify")
    raudit = receipts_sub.add_parser("audit", help="the receipt audit review")
    _add_root(raudit)
    raudit.add_argument("--format", choices=("markdown", "html", "json"), default="markdown")
    raudit.add_argument("--output", metavar="FILE", help="write the report to FILE")
    raudit.set_defaults(handler="cmd_audit")
    providers = sub.add_parser("providers", help="provider health and role degradation")
    providers_sub = providers.add_subparsers(dest="providers_command", parser_class=_Parser,
                                             metavar="SUBCOMMAND", required=True)
    pstatus = providers_sub.add_parser("status", help="probe providers; roles healthy/degraded/"
                                       "down (exit 0/1/2)")
    _add_root(pstatus)
    _add_format(pstatus, ("text", "json"))
    pstatus.add_argument("--timeout", type=float, metavar="S", help="per-probe timeout (5)")
    pstatus.add_argument("--deadline", type=float, metavar="S", help="overall deadline (10)")
    pstatus.add_argument("--offline", action="store_true",
                         help="no network: breakers and the router log only")
    pstatus.add_argument("--deep", action="store_true",
                         help="also send a 1-token completion per provider (costs a token; "
                              "proves quota, and may close a quota breaker)")
    pstatus.add_argument("--api-base-override", action="append", metavar="PROVIDER=URL",
                         help="probe URL for a provider (tests, staging); plain http only "
                              "to loopback when a key is sent")
    pstatus.add_argument("--session-refresh", action="store_true", help=argparse.SUPPRESS)
    pstatus.set_defaults(handler="cmd_status")

    session = sub.add_parser("session", help="session start: the cached provider brief")
    session_sub = session.add_subparsers(dest="session_command", parser_class=_Parser,
                                         metavar="SUBCOMMAND", required=True)
    scheck = session_sub.add_parser("check", help="one provider_brief line; never blocks, "
                                    "always exit 0")
    _add_root(scheck)
    scheck.set_defaults(handler="cmd_check")

    live_help = "live router config (default ~/.claude-code-router/config.json)"
    profiles = ("2.0", "1.0")
    profile_help = "router version profile (default: the spine's ccr.profile, else 2.0)"
    compile_ = sub.add_parser("compile", help="compile the SSOT into a proxy config")
    compile_sub = compile_.add_subparsers(dest="compile_command", parser_class=_Parser,
                                          metavar="TARGET", required=True)
    cccr = compile_sub.add_parser("ccr", help="claude-code-router config.json (byte-stable)")
    cccr.add_argument("--profile", choices=profiles, help=profile_help)
    cccr.add_argument("--out", dest="output", metavar="FILE",
                      help="write to FILE (default: stdout)")
    _add_root(cccr)
    cccr.set_defaults(handler="cmd_ccr")

    sync = sub.add_parser("sync", help="write the compiled SSOT to the live router config")
    sync.add_argument("--live", metavar="PATH", help=live_help)
    sync.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sync.add_argument("--profile", choices=profiles, help=profile_help)
    _add_root(sync, writes=True)
    sync.set_defaults(handler="cmd_sync")

    adopt = sub.add_parser("adopt", help="propose the SSOT patch for intended live edits")
    adopt.add_argument("--live", metavar="PATH", help=live_help)
    adopt.add_argument("--profile", choices=profiles, help=profile_help)
    _add_root(adopt, writes=True)
    adopt.set_defaults(handler="cmd_adopt")

    proxy = sub.add_parser("proxy", help="claude-code-router safety preflight")
    proxy_sub = proxy.add_subparsers(dest="proxy_command", parser_class=_Parser,
                                     metavar="SUBCOMMAND", required=True)
    pcheck = proxy_sub.add_parser("check", help="CCR-* rules on the live config and "
                                  "`ccr activate`")
    pcheck.add_argument("--live", metavar="PATH", help=live_help)
    pcheck.add_argument("--profile", choices=profiles, help=profile_help)
    pcheck.add_argument("--ccr", metavar="PATH", help="the router CLI (default: PATH, then "
                        "./node_modules/.bin/ccr)")
    pcheck.add_argument("--activate-output", metavar="FILE",
                        help="check saved `ccr activate` output instead of running it")
    pcheck.add_argument("--no-activate", action="store_true", help="skip `ccr activate`")
    _add_root(pcheck)
    _add_format(pcheck)
    pcheck.set_defaults(handler="cmd_check")

    secrets = sub.add_parser("secrets", help="inline secrets and secret references")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", parser_class=_Parser,
                                         metavar="SUBCOMMAND", required=True)
    secheck = secrets_sub.add_parser("check", help="SEC-* detection and reference resolution "
                                     "(Infisical, cache, manifest, env); never reads a value")
    _add_root(secheck)
    _add_format(secheck, ("text", "json"))
    secheck.add_argument("--require-resolution", action="store_true",
                         help="fail closed: an unanswered reference is an error (CI)")
    secheck.add_argument("--offline", action="store_true",
                         help="do not contact Infisical; answer from the cache and manifest")
    secheck.add_argument("files", nargs="*", metavar="FILE",
                         help="changed files: check only if the check reads one of them")
    secheck.set_defaults(handler="cmd_check")

    route = sub.add_parser("route", help="predict routing: explain a request, simulate load, "
                           "role resilience")
    route_sub = route.add_subparsers(dest="route_command", parser_class=_Parser,
                                     metavar="SUBCOMMAND", required=True)

    def _route_common(p: argparse.ArgumentParser) -> None:
        _add_root(p)
        _add_format(p, ("text", "json"))
        p.add_argument("--ccr-config", metavar="PATH",
                       help="explain this router config (JSON5) instead of the compiled SSOT")
        p.add_argument("--fail", action="append", metavar="PROVIDER[/MODEL]=STATE",
                       help="inject a provider state: ok, http_429, http_5xx, http_4xx, "
                            "http_NNN, timeout, connection_error, quota_exhausted")
        p.add_argument("--profile", choices=("2.0", "1.0"), help="router version (default 2.0)")
        p.add_argument("--live-state", action="store_true",
                       help="start from the provider states the last `gates providers status` "
                            "cached (explicit --fail wins)")

    rexplain = route_sub.add_parser("explain", help="which model serves REQUEST.json, and why")
    rexplain.add_argument("request", metavar="REQUEST.json", help="an Anthropic Messages body")
    _route_common(rexplain)
    rexplain.add_argument("--custom-route", metavar="PROVIDER,MODEL",
                          help="what the config's CUSTOM_ROUTER_PATH returns for this request")
    rexplain.set_defaults(handler="cmd_explain")
    rsim = route_sub.add_parser("simulate", help="seeded load simulation against rate budgets")
    _route_common(rsim)
    rsim.add_argument("--rate", action="append", metavar="ROLE=N/min",
                      help="request rate of a role (repeatable)")
    rsim.add_argument("--duration", default="1h", help="simulated time, e.g. 30m, 1h")
    rsim.add_argument("--seed", type=int, default=0)
    rsim.add_argument("--budget", action="append", metavar="PROVIDER=N/min",
                      help="override a provider's rate budget (default: rate_limit_rpm)")
    rsim.set_defaults(handler="cmd_simulate")
    rres = route_sub.add_parser("resilience", help="roles healthy/degraded/down under --fail; "
                                "per-slot minimal failure sets")
    _route_common(rres)
    rres.set_defaults(handler="cmd_resilience")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arglist = list(sys.argv[1:] if argv is None else argv)
        if arglist[:2] == ["session", "check"] and not {"-h", "--help"} & set(arglist):
            from spine_gates.commands.session import session_check_argv

            return session_check_argv(arglist[2:])
        parser = build_parser()
        # argparse gives a trailing FILE list nothing once options follow the gate name (a
        # hook's `args:` come before pre-commit's files), so leftover plain words are those files
        args, extra = parser.parse_known_args(argv)
        if extra and (not hasattr(args, "files") or any(e.startswith("-") for e in extra)):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if extra:
            args.files = [*args.files, *extra]
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        _check_output(args)
        return _handler(args)(args)
    except GatesError as exc:
        print(visible(_redact(f"gates: error: {exc}")), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gates: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.errno not in _BAD_PATH_ERRNOS:
            return _internal(exc)
        # A path the user gave that no file system call can take (too long, a symlink loop):
        # bad input wherever it is first touched, not a bug in that caller.
        name = str(exc.filename or "")
        shown = name if len(name) <= 80 else f"{name[:40]}…{name[-20:]} ({len(name)} chars)"
        print(visible(_redact(f"gates: error: {shown}: {exc.strerror}")), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        return _internal(exc)


def _handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    """The command's handler, from its group's module (imported now, and only now)."""
    module = importlib.import_module(f"spine_gates.commands.{COMMANDS[args.command]}")
    handler: Callable[[argparse.Namespace], int] = getattr(module, args.handler)
    return handler


def _redact(text: str) -> str:
    """Error lines leave redacted, as every other byte the CLI writes (commands.emit)."""
    from spine_gates.secrets.redact import redact_text

    return redact_text(text)


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an --output (`compile ccr --out`) that can never take the report before any work
    (a gate run, a signed receipt) is done; `-` is stdout, the same as no --output."""
    output = getattr(args, "output", None)
    if output == "-":
        args.output = None
    elif output:
        from spine_gates.output import resolve_output

        resolve_output(output)


def _internal(exc: Exception) -> int:
    """The one place that turns a bug into exit 4, not a traceback."""
    if os.environ.get("SPINE_GATES_DEBUG"):
        raise exc
    print(visible(_redact(f"gates: internal error: {type(exc).__name__}: {exc} "
                          f"(set SPINE_GATES_DEBUG=1 for a traceback)")), file=sys.stderr)
    return EXIT_INTERNAL
