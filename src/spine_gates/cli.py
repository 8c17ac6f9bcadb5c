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
from collections.abc import Callable, Iterator, Sequence

from spine_gates import __version__
from spine_gates.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, GatesError, InputError
from spine_gates.printable import visible
from spine_gates.report import FORMATS as REPORT_FORMATS  # one module per format renders these

# The other --format choices, each set once; the first is the default.
PLAIN_FORMATS = ("text", "json")
CATALOGUE_FORMATS = ("text", "markdown", "json")
AUDIT_FORMATS = ("markdown", "html", "json")
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
    "failover": "failover",
    "init": "init",
    "import": "importing",
    "completion": "completion",
}
# OSError numbers that only a malformed path name causes: exit 3 wherever they surface.
_BAD_PATH_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP})


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are bad input: one line, exit 3 (argparse's default is exit 2 = drift)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see `{self.prog} --help`)")


def _options(*adders: Callable[[argparse.ArgumentParser], object]) -> _Parser:
    """A parent parser: options several commands share, written once."""
    parent = _Parser(add_help=False)
    for add in adders:
        add(parent)
    return parent


def _receipt_options(default: bool | None, help: str) -> _Parser:
    """--receipt/--no-receipt and the key to sign with, for the commands that sign."""
    return _options(
        lambda p: p.add_argument("--receipt", action=argparse.BooleanOptionalAction,
                                 default=default, help=help),
        lambda p: p.add_argument("--signing-key", metavar="PATH",
                                 help="Ed25519 private key (else $SPINE_GATES_SIGNING_KEY_FILE, "
                                      "$SPINE_GATES_SIGNING_KEY, $SPINE_GATES_SIGNING_KEY_REF)"))


def _root_options(writes: bool) -> _Parser:
    parent = _options()
    where = parent.add_mutually_exclusive_group()
    where.add_argument("--root", metavar="DIR",
                       help="spine root (default: the current directory, which must be a spine)")
    # A writer takes --reference only to refuse it with a clear message (model/discovery.py).
    where.add_argument("--reference", action="store_true",
                       help=argparse.SUPPRESS if writes else "check the bundled reference spine "
                       "on purpose")
    return parent


def _format_options(choices: Sequence[str], output: bool) -> _Parser:
    parent = _options(lambda p: p.add_argument("--format", choices=choices, default=choices[0]))
    if output:
        parent.add_argument("--output", metavar="FILE", help="write the report to FILE")
    return parent


class _Choices:
    """argparse choices read from the module that owns them, imported only when the option is
    given or help is shown, so building the parser (`gates --version`) imports none of them."""

    def __init__(self, names: Callable[[], list[str]]) -> None:
        self._names = names

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def _profile_names() -> list[str]:
    from spine_gates.ccr.profiles import PROFILES

    return list(PROFILES)


def _severity_names() -> list[str]:
    from spine_gates.finding import Severity

    return [severity.value for severity in Severity]


def _target_names() -> list[str]:
    from spine_gates.targets import TARGETS

    return list(TARGETS)


def _profile_options(default: str) -> _Parser:
    return _options(lambda p: p.add_argument(
        "--profile", choices=_Choices(_profile_names), metavar="VERSION",
        help=f"router version profile: %(choices)s (default: {default})"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gates", description="Policy-as-code gates for an LLM provider spine.")
    parser.add_argument("-V", "--version", action="version", version=f"spine-gates {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    reader, writer = _root_options(writes=False), _root_options(writes=True)
    report = _format_options(REPORT_FORMATS, output=True)
    plain = _format_options(PLAIN_FORMATS, output=False)
    plain_report = _format_options(PLAIN_FORMATS, output=True)
    live = _options(lambda p: p.add_argument(
        "--live", metavar="PATH",
        help="live router config (default ~/.claude-code-router/config.json)"))
    deploy_profile = _profile_options("the spine's ccr.profile, else 2.0")
    target = _options(lambda p: p.add_argument(
        "--target", choices=_Choices(_target_names), metavar="NAME",
        help="proxy target: %(choices)s (default: ccr)"))
    # What a findings report lists; never the exit code, the summary counts or the receipt.
    listing = _options(lambda p: p.add_argument(
        "-q", "--quiet", action="store_true",
        help="print only the findings: in text, no summary line, no waived or baselined "
             "findings, no notes; the exit code says pass or fail"),
        lambda p: p.add_argument(
        "--severity", choices=_Choices(_severity_names), metavar="LEVEL",
        help="list only findings at or above LEVEL: %(choices)s (the exit code, the summary "
             "counts and the receipt are unchanged)"))
    colours = _options(lambda p: p.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="colour the text report: auto (on a terminal, unless NO_COLOR is set; a "
             "non-empty FORCE_COLOR forces it), always, never; never into --output"))

    def group(name: str, help: str) -> argparse._SubParsersAction[_Parser]:
        parent = sub.add_parser(name, help=help)
        return parent.add_subparsers(dest=f"{name}_command", parser_class=_Parser,
                                     metavar="SUBCOMMAND", required=True)

    run = sub.add_parser("run", parents=[reader, report, live, target, listing, colours,
                                         _receipt_options(None, "write a signed receipt "
                                                          "(default: on when $CI is set)")],
                         help="run a gate (or all) on a spine")
    run.add_argument("gate", help="gate name from `gates list`, or all")
    run.add_argument("files", nargs="*", metavar="FILE",
                     help="changed files (a pre-commit hook passes them): run only if the gate "
                          "reads one of them, else exit 0 at once")
    run.add_argument("--live-url", metavar="URL",
                     help="the running proxy to compare too (--target litellm: "
                          "http://127.0.0.1:4000, read with $LITELLM_MASTER_KEY)")
    run.add_argument("--no-baseline", action="store_true",
                     help="report findings accepted in the baseline too")
    run.set_defaults(handler="cmd_run")

    sub.add_parser("list", parents=[plain], help="list the gates").set_defaults(
        handler="cmd_list")

    policy = group("policy", "rule packs: test them, list them")
    ptest = policy.add_parser("test", parents=[reader, plain],
                              help="run the rule packs' fixture tests (the spine's own packs "
                                   "when it has policies/, else the shipped ones)")
    ptest.add_argument("--require-coverage", action="store_true",
                       help="fail unless every rule has a passing and a failing case")
    ptest.add_argument("files", nargs="*", metavar="FILE",
                       help="changed files: test only if the cases read one of them")
    ptest.set_defaults(handler="cmd_test")
    policy.add_parser("rules", parents=[reader, _format_options(CATALOGUE_FORMATS, False)],
                      help="the rule catalogue").set_defaults(handler="cmd_rules")

    baseline = group("baseline", "accept current findings when adopting")
    baseline.add_parser("create", parents=[writer], help="write .spine-gates-baseline.json"
                        ).set_defaults(handler="cmd_create")

    receipts = group("receipts", "signed receipts: keys, verification, audit")
    keygen = receipts.add_parser("keygen", parents=[writer],
                                 help="create an Ed25519 signing key")
    keygen.add_argument("--out", metavar="PRIVATE_PATH",
                        help="private key path, outside the repository "
                             "(default ~/.config/spine-gates/keys/<name>.key)")
    keygen.add_argument("--name", help="key name; the public key is receipts/keys/<name>.pub")
    keygen.set_defaults(handler="cmd_keygen")
    rverify = receipts.add_parser("verify", parents=[reader, plain],
                                  help="verify signatures and the hash chain")
    rverify.add_argument("--against-worktree", action="store_true",
                         help="also require the governed files to match the newest passing "
                              "receipt")
    rverify.set_defaults(handler="cmd_verify")
    receipts.add_parser("audit", parents=[reader, _format_options(AUDIT_FORMATS, True)],
                        help="the receipt audit review").set_defaults(handler="cmd_audit")

    providers = group("providers", "provider health and role degradation")
    probe = _options(
        lambda p: p.add_argument("--timeout", type=float, metavar="S",
                                 help="per-probe timeout (5)"),
        lambda p: p.add_argument("--deadline", type=float, metavar="S",
                                 help="overall deadline (10)"),
        lambda p: p.add_argument("--offline", action="store_true",
                                 help="no network: breakers and the router log only"),
        lambda p: p.add_argument("--deep", action="store_true",
                                 help="also send a 1-token completion per provider (costs a "
                                      "token; proves quota, and may close a quota breaker)"),
        lambda p: p.add_argument("--api-base-override", action="append", metavar="PROVIDER=URL",
                                 help="probe URL for a provider (tests, staging); plain http "
                                      "only to loopback when a key is sent"))
    pstatus = providers.add_parser("status", parents=[reader, plain_report, probe, live],
                                   help="probe providers; roles healthy/degraded/down "
                                        "(exit 0/1/2)")
    pstatus.add_argument("--session-refresh", action="store_true", help=argparse.SUPPRESS)
    pstatus.set_defaults(handler="cmd_status")

    session = group("session", "session start: the cached provider brief")
    session.add_parser("check", parents=[reader, live],
                       help="one provider_brief line; never blocks, always exit 0"
                       ).set_defaults(handler="cmd_check")

    # `gates compile ccr` names the target as its word; `gates compile --target ccr` is the same
    # (every proxy command takes --target); given both, they must agree.
    compile_ = sub.add_parser("compile", parents=[deploy_profile, reader, target],
                              help="compile the SSOT into a proxy config")
    compile_.add_argument("name", nargs="?", choices=_Choices(_target_names), metavar="TARGET",
                          help="the proxy: %(choices)s (the same as --target; default ccr)")
    compile_.add_argument("--out", dest="output", metavar="FILE",
                          help="write to FILE (default: stdout)")
    compile_.set_defaults(handler="cmd_compile")

    sync = sub.add_parser("sync", parents=[live, deploy_profile, writer, target],
                          help="write the compiled SSOT to the live router config")
    sync.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sync.add_argument("--clear-overrides", action="store_true",
                      help="also end every failover override (all removed from the override "
                           "state, which is left consistent)")
    sync.set_defaults(handler="cmd_sync")

    sub.add_parser("adopt", parents=[live, deploy_profile, writer, target],
                   help="propose the SSOT patch for intended live edits").set_defaults(
        handler="cmd_adopt")

    proxy = group("proxy", "proxy safety preflight (claude-code-router, LiteLLM)")
    pcheck = proxy.add_parser("check", parents=[live, deploy_profile, target, reader, report,
                                                listing, colours],
                              help="CCR-* rules and `ccr activate`, or LIT-* rules "
                                   "(--target litellm), on the live config")
    pcheck.add_argument("--ccr", metavar="PATH", help="the router CLI (default: PATH, then "
                        "./node_modules/.bin/ccr)")
    pcheck.add_argument("--activate-output", metavar="FILE",
                        help="check saved `ccr activate` output instead of running it")
    pcheck.add_argument("--no-activate", action="store_true", help="skip `ccr activate`")
    pcheck.set_defaults(handler="cmd_check")

    secrets = group("secrets", "inline secrets and secret references")
    secheck = secrets.add_parser("check", parents=[reader, plain_report, listing],
                                 help="SEC-* detection and reference resolution (Infisical, "
                                      "cache, manifest, env); never reads a value")
    secheck.add_argument("--require-resolution", action="store_true",
                         help="fail closed: an unanswered reference is an error (CI)")
    secheck.add_argument("--offline", action="store_true",
                         help="do not contact Infisical; answer from the cache and manifest")
    secheck.add_argument("files", nargs="*", metavar="FILE",
                         help="changed files: check only if the check reads one of them")
    secheck.set_defaults(handler="cmd_check")

    route = group("route", "predict routing: explain a request, simulate load, role resilience")
    routing = _options(lambda p: p.add_argument(
        "--ccr-config", metavar="PATH",
        help="explain this router config (JSON5) instead of the compiled SSOT"),
        lambda p: p.add_argument(
        "--fail", action="append", metavar="PROVIDER[/MODEL]=STATE",
        help="inject a provider state: ok, http_429, http_5xx, http_4xx, http_NNN, timeout, "
             "connection_error, quota_exhausted"),
        lambda p: p.add_argument(
        "--live-state", action="store_true",
        help="start from the provider states the last `gates providers status` cached "
             "(explicit --fail wins)"),
        lambda p: p.add_argument(
        "--litellm-config", metavar="PATH",
        help="with --target litellm: this gateway config.yaml instead of the compiled SSOT"))
    predict = [reader, plain_report, routing, _profile_options("2.0"), target]
    rexplain = route.add_parser("explain", parents=predict,
                                help="which model serves REQUEST.json, and why")
    rexplain.add_argument("request", metavar="REQUEST.json", help="an Anthropic Messages body")
    rexplain.add_argument("--custom-route", metavar="PROVIDER,MODEL",
                          help="what the config's CUSTOM_ROUTER_PATH returns for this request")
    rexplain.add_argument("--exact-tokens", action="store_true",
                          help="count cl100k_base tokens even when the request's UTF-8 size "
                               "is below the long-context threshold (loads the tokenizer)")
    rexplain.set_defaults(handler="cmd_explain")
    rsim = route.add_parser("simulate", parents=predict,
                            help="seeded load simulation against rate budgets")
    rsim.add_argument("--rate", action="append", metavar="ROLE=N/min",
                      help="request rate of a role (repeatable)")
    rsim.add_argument("--duration", default="1h", help="simulated time, e.g. 30m, 1h")
    rsim.add_argument("--seed", type=int, default=0)
    rsim.add_argument("--budget", action="append", metavar="PROVIDER=N/min",
                      help="override a provider's rate budget (default: rate_limit_rpm)")
    rsim.set_defaults(handler="cmd_simulate")
    route.add_parser("resilience", parents=predict,
                     help="roles healthy/degraded/down under --fail; per-slot minimal failure "
                          "sets").set_defaults(handler="cmd_resilience")

    failover = group("failover", "governed, expiring overrides of the router's slots")
    health = _options(lambda p: p.add_argument(
        "--from-cache", action="store_true",
        help="use the provider health the last `gates providers status` cached (no probes)"))
    receipt = _receipt_options(True, "sign a receipt into the spine's failover chain in the "
                               "user's state dir (default: on; needs a signing key)")
    failover.add_parser("plan", parents=[reader, live, plain, probe, health],
                        help="the overrides provider health calls for (exit 0 nothing to do, "
                             "1 changes proposed)").set_defaults(handler="cmd_plan")
    fapply = failover.add_parser("apply", parents=[writer, live, probe, health, receipt],
                                 help="record the planned overrides (the router module reads "
                                      "them on the next request) and sign a receipt")
    fapply.add_argument("--ttl", metavar="DURATION",
                        help="how long the overrides live, e.g. 30m (default: "
                             "failover.default_ttl; at most failover.max_ttl)")
    fapply.add_argument("--yes", action="store_true",
                        help="apply without asking (required without a terminal)")
    fapply.set_defaults(handler="cmd_apply")
    frevert = failover.add_parser("revert", parents=[writer, live, receipt],
                                  help="remove overrides (the SSOT routes again), receipted")
    frevert.add_argument("ids", nargs="*", metavar="ID", help="override ids (gates failover "
                                                              "status)")
    frevert.add_argument("--all", action="store_true", help="every recorded override")
    frevert.set_defaults(handler="cmd_revert")
    fwatch = failover.add_parser("watch", parents=[writer, live, probe, receipt],
                                 help="probe every interval; apply when a primary stays down, "
                                      "revert once it is confirmed healthy (one per live "
                                      "config)")
    fwatch.add_argument("--interval", type=float, metavar="S",
                        help="seconds between probe rounds (default: failover.watch.interval)")
    fwatch.add_argument("--once", action="store_true",
                        help="one round, then exit (for a timer; the state persists)")
    fwatch.set_defaults(handler="cmd_watch")
    failover.add_parser("status", parents=[live, plain],
                        help="the recorded overrides: active, unreceipted, expired").set_defaults(
        handler="cmd_status")
    fbypass = failover.add_parser("bypass", parents=[reader, plain, probe, health],
                                  help="what sends each proxy-compatible CLI straight to a "
                                       "healthy provider while the router is down (exit 1: a "
                                       "CLI has none)")
    fbypass.add_argument("--cli", metavar="NAME", help="only this CLI (CLI registry id)")
    fbypass.set_defaults(handler="cmd_bypass", handler_module="failover_bypass")
    init = sub.add_parser("init", help="write a minimal spine into DIR, or add what an existing "
                                       "spine lacks (never overwrites)")
    init.add_argument("dir", nargs="?", metavar="DIR",
                      help="the spine's folder (default: the current directory); made a git "
                           "repository if it is in none")
    init.add_argument("--yes", action="store_true",
                      help="add entries to existing files without asking (required without a "
                           "terminal)")
    init.set_defaults(handler="cmd_init")
    import_ = group("import", "bring an existing proxy config under governance")
    iccr = import_.add_parser("ccr", parents=[plain, _profile_options("2.0 if the config has "
                                                                      "fallback, else 1.0")],
                              help="a claude-code-router config.json (1.x, 2.0; JSON5) becomes "
                                   "the registries and roles of a spine (never overwrites)")
    iccr.add_argument("path", metavar="PATH", help="the router config to import")
    iccr.add_argument("--into", metavar="DIR",
                      help="the spine's folder (default: the current directory); new, empty, "
                           "or a spine without registries")
    iccr.add_argument("--yes", action="store_true",
                      help="add entries to existing files without asking (required without a "
                           "terminal)")
    iccr.set_defaults(handler="cmd_import_ccr")
    completion = sub.add_parser("completion", help="print the shell completion script")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"),
                            help="bash, zsh or fish (see the README for where each goes)")
    completion.set_defaults(handler="cmd_completion")
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
    """The command's handler, from its group's module (or the subcommand's own module, when it
    names one), imported now and only now."""
    name = getattr(args, "handler_module", None) or COMMANDS[args.command]
    module = importlib.import_module(f"spine_gates.commands.{name}")
    handler: Callable[[argparse.Namespace], int] = getattr(module, args.handler)
    return handler


def _redact(text: str) -> str:
    """Error lines leave redacted, as every other byte the CLI writes."""
    from spine_gates.commands import redact

    return redact(text)


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
