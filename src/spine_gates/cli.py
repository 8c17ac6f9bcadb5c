"""The thin command line: parse arguments, call the engine, pick the format, map exit codes."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spine_gates import __version__
from spine_gates.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, GatesError, InputError
from spine_gates.printable import visible

FORMATS = ("text", "json", "sarif", "junit", "github", "spine")
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


def _colour(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _redact(text: str) -> str:
    """Every byte the CLI writes passes here: secrets leave only as sha256 fingerprints."""
    from spine_gates.secrets.redact import redact_text

    return redact_text(text)


def _emit(text: str, output: str | None, stream: Any = None) -> None:
    text = _redact(text)
    if output and output != "-":
        from spine_gates.output import write_output

        write_output(output, text)
        return
    (stream or sys.stdout).write(text)


def _root(args: argparse.Namespace, writer: str | None = None) -> Path:
    """The spine the command acts on; a command that writes names itself as `writer`."""
    from spine_gates.model.discovery import spine_root

    return spine_root(args.root, reference=getattr(args, "reference", False), writer=writer)


def _root_if_any(args: argparse.Namespace) -> Path | None:
    """For commands that also work on the shipped packs alone: None when no spine is named and
    the current directory is not one."""
    from spine_gates.model.discovery import here_is_spine

    if args.root is None and not args.reference and not here_is_spine():
        return None
    return _root(args)


def _signing_key(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The receipt signing key (None when no receipt is wanted; cryptography stays unloaded) and
    the warning to print after the run when CI wants a receipt but no key is configured."""
    wanted = args.receipt
    if wanted is None:  # on by default in CI
        wanted = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
    if not wanted:
        return None, None
    from spine_gates.receipts.emit import signing_key_for_run

    return signing_key_for_run(args.signing_key, explicit=args.receipt is True)


def _skipped(note: str | None, fmt: str) -> bool:
    """Print why a hook run stops at once (nothing the command reads changed)."""
    if note is not None:
        print(note, file=sys.stdout if fmt == "text" else sys.stderr)
    return note is not None


def cmd_run(args: argparse.Namespace) -> int:
    root = _root(args) if args.files else None
    if root is not None:  # the hooks pass changed files: decide before importing the engine
        from spine_gates.changed_files import gate_skip_note

        if _skipped(gate_skip_note(root, args.files, args.gate), args.format):
            return 0
    from spine_gates.gates import combine, load_gates, prepare, run_gate
    from spine_gates.report import renderer

    gates = load_gates()
    if args.gate != "all" and args.gate not in gates:
        raise InputError(f"unknown gate {args.gate!r} (known: {', '.join(gates)}, all)")
    root = root or _root(args)
    if args.reference:  # a receipt is written into the spine: never into the bundled one
        if args.receipt:
            raise InputError("--receipt writes into the spine's receipts/, and nothing writes "
                             "into the bundled reference spine: pass --root DIR naming your spine")
        args.receipt = False
    signing_key, no_key_warning = _signing_key(args)
    ctx = prepare(root, {"live": args.live, "no_baseline": args.no_baseline})
    selected = list(gates.values()) if args.gate == "all" else [gates[args.gate]]
    results = [run_gate(gate, ctx) for gate in selected]
    result = results[0] if args.gate != "all" else combine(results)
    if no_key_warning:  # the gate ran, so a receipt would have been written: say why there is none
        print(no_key_warning, file=sys.stderr)
    if signing_key is not None:
        from spine_gates.receipts.emit import attach_receipt

        result = attach_receipt(result, signing_key, tuple(results))
        receipt = result.extras["receipt"]
        print(f"gates: receipt {receipt['path']} ({receipt['digest'][:15]})", file=sys.stderr)
    text = renderer(args.format)(result, _colour(sys.stdout) and not args.output)
    if args.format == "spine" and not args.output:
        for line in text.splitlines(keepends=True):  # the spine: PASS on stdout, FAIL on stderr
            _emit(line, None, sys.stderr if " FAIL: " in line else sys.stdout)
    else:
        _emit(text, args.output)
    return result.exit_code


def cmd_list(args: argparse.Namespace) -> int:
    import json

    from spine_gates.gates import load_gates

    gates = load_gates()
    if args.format == "json":
        data = [{"name": g.name, "kind": g.kind, "ring": g.ring, "fail_on": g.fail_on.value,
                 "spine_gate_id": g.spine_gate_id, "checks": [c["kind"] for c in g.checks],
                 "description": g.description} for g in gates.values()]
        print(json.dumps(data, indent=2))
        return 0
    width = max((len(name) for name in gates), default=4)
    for gate in gates.values():
        checks = ",".join(c["kind"] for c in gate.checks)
        spine = gate.spine_gate_id or "-"
        print(f"{gate.name:<{width}}  {gate.ring:<8} {spine:<5} {checks:<24} "
              f"{gate.description.splitlines()[0] if gate.description else ''}")
    return 0


def cmd_policy_test(args: argparse.Namespace) -> int:
    from spine_gates.policy.fixture_tests import render_results, run_policy_tests

    root = _root_if_any(args)
    if root is None:
        print("gates: no spine here; testing the shipped rule packs (--root DIR tests a "
              "spine's own packs)", file=sys.stderr)
    elif args.files:
        from spine_gates.changed_files import policy_test_skip_note

        if _skipped(policy_test_skip_note(root, args.files), args.format):
            return 0
    report = run_policy_tests(root)
    print(render_results(report, args.format), end="")
    if not report.passed:
        return 1
    if args.require_coverage and report.uncovered:
        return 1
    return 0


def cmd_policy_rules(args: argparse.Namespace) -> int:
    from spine_gates.policy.catalogue import render_catalogue

    root = _root_if_any(args)  # no spine: the shipped catalogue
    print(render_catalogue(args.format, root), end="")
    return 0


def cmd_baseline_create(args: argparse.Namespace) -> int:
    from spine_gates.gates import load_gates, prepare, run_gate
    from spine_gates.policy.baseline import BASELINE_FILE, write_baseline

    ctx = prepare(_root(args, "baseline create"), {"no_baseline": True})
    findings = [f for gate in load_gates().values() for f in run_gate(gate, ctx).findings]
    count = write_baseline(ctx.root, findings)
    print(f"wrote {ctx.root / BASELINE_FILE} with {count} finding(s) (errors and warnings)")
    return 0


def cmd_receipts_keygen(args: argparse.Namespace) -> int:
    from spine_gates.receipts.keys import commit_hint, short_id, write_keypair

    private, public, key = write_keypair(_root(args, "receipts keygen"), args.out, args.name)
    print(f"private key: {private} (mode 0600; keep it out of the repository)")
    print(f"public key:  {public}")
    print(f"key id:      {short_id(key.keyid)}")
    print(f"next step:   {commit_hint(key, public)}")
    return 0


def cmd_receipts_verify(args: argparse.Namespace) -> int:
    from spine_gates.receipts.verify import check_worktree, render_verify, verify_chain

    root = _root(args)
    report = verify_chain(root)
    problems = list(report.problems)
    if args.against_worktree:
        problems += check_worktree(root, report)
    for warning in report.warnings:
        print(f"gates: warning: {warning}", file=sys.stderr)
    print(render_verify(report, problems, args.format), end="")
    return 1 if problems else 0


def cmd_receipts_audit(args: argparse.Namespace) -> int:
    from spine_gates.gates import today
    from spine_gates.receipts.audit import build_audit, exit_status
    from spine_gates.receipts.audit_report import RENDERERS

    audit = build_audit(_root(args), today())
    _emit(RENDERERS[args.format](audit), args.output)
    for warning in audit["chain"]["warnings"]:
        print(f"gates: warning: {warning}", file=sys.stderr)
    code, broken = exit_status(audit)
    if broken:
        print(broken, file=sys.stderr)
    return code


def cmd_providers_status(args: argparse.Namespace) -> int:
    from spine_gates.health.command import providers_status

    return providers_status(args, _root(args), _emit)


def cmd_session_check(args: argparse.Namespace) -> int:
    return session_check_argv((["--root", args.root] if args.root else []) +
                              (["--reference"] if args.reference else []))


def session_check_argv(argv: Sequence[str]) -> int:
    """`gates session check` parses its own arguments: bad input must not fail a session."""
    from spine_gates.health.session_brief import session_check

    root, reference, ignored = None, False, []
    items = list(argv)
    while items:
        item = items.pop(0)
        if item == "--root" and items:
            root = items.pop(0)
        elif item.startswith("--root="):
            root = item.split("=", 1)[1]
        elif item == "--reference":
            reference = True
        else:
            ignored.append(item)
    lines = session_check(root, reference=reference)
    if ignored:
        lines[0] += f"; ignored unknown argument(s): {' '.join(ignored)}"
    print("\n".join(lines))  # the cache is scrubbed when written; redact costs ~60 ms here
    return 0


def cmd_compile_ccr(args: argparse.Namespace) -> int:
    from spine_gates.drift.commands import compile_text

    _emit(compile_text(_root(args), args.profile), args.output)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from spine_gates.drift.commands import sync

    text, code = sync(_root(args, "sync"), args.live, args.profile, args.dry_run)
    _emit(text, None)
    return code


def cmd_adopt(args: argparse.Namespace) -> int:
    from spine_gates.drift.commands import adopt

    text, code = adopt(_root(args, "adopt"), args.live, args.profile)
    _emit(text, None)
    return code


def cmd_proxy_check(args: argparse.Namespace) -> int:
    from spine_gates.gates import load_gates, prepare, run_gate
    from spine_gates.report import renderer

    options = {"live": args.live, "profile": args.profile, "ccr": args.ccr,
               "activate": not args.no_activate, "activate_output": args.activate_output,
               "no_baseline": True}
    result = run_gate(load_gates()["proxy-safety"], prepare(_root(args), options))
    _emit(renderer(args.format)(result, _colour(sys.stdout) and not args.output), args.output)
    return result.exit_code


def cmd_secrets_check(args: argparse.Namespace) -> int:
    root = _root(args)
    if args.files:
        from spine_gates.changed_files import gate_skip_note

        note = gate_skip_note(root, args.files, "secret-refs", "gates secrets check")
        if _skipped(note, args.format):
            return 0
    from spine_gates.secrets.check_command import run_secrets_check

    text, code = run_secrets_check(root, args.format, args.require_resolution, args.offline)
    _emit(text, args.output)
    return code


def cmd_route_explain(args: argparse.Namespace) -> int:
    from spine_gates.routing.commands import route_explain

    spine = _root(args) if args.live_state or not args.ccr_config else None
    root = None if args.ccr_config else spine
    _emit(route_explain(args.request, args.ccr_config, args.fail, root, args.format,
                        args.profile, args.custom_route,
                        spine if args.live_state else None), args.output)
    return 0


def cmd_route_simulate(args: argparse.Namespace) -> int:
    from spine_gates.routing.commands import route_simulate

    root = _root(args)
    _emit(route_simulate(args.rate, args.duration, args.seed, args.fail, args.budget,
                         args.ccr_config, root, args.format, args.profile,
                         root if args.live_state else None), args.output)
    return 0


def cmd_route_resilience(args: argparse.Namespace) -> int:
    from spine_gates.routing.commands import route_resilience

    root = _root(args)
    text, all_up = route_resilience(args.fail, args.ccr_config, root, args.format,
                                    args.profile, root if args.live_state else None)
    _emit(text, args.output)
    return 0 if all_up else 1


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
    run.set_defaults(func=cmd_run)

    lst = sub.add_parser("list", help="list the gates")
    lst.add_argument("--format", choices=("text", "json"), default="text")
    lst.set_defaults(func=cmd_list)

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
    ptest.set_defaults(func=cmd_policy_test)
    prules = policy_sub.add_parser("rules", help="the rule catalogue")
    _add_root(prules)
    prules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    prules.set_defaults(func=cmd_policy_rules)

    baseline = sub.add_parser("baseline", help="accept current findings when adopting")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", parser_class=_Parser,
                                           metavar="SUBCOMMAND", required=True)
    create = baseline_sub.add_parser("create", help="write .spine-gates-baseline.json")
    _add_root(create, writes=True)
    create.set_defaults(func=cmd_baseline_create)

    receipts = sub.add_parser("receipts", help="signed receipts: keys, verification, audit")
    receipts_sub = receipts.add_subparsers(dest="receipts_command", parser_class=_Parser,
                                           metavar="SUBCOMMAND", required=True)
    keygen = receipts_sub.add_parser("keygen", help="create an Ed25519 signing key")
    _add_root(keygen, writes=True)
    keygen.add_argument("--out", metavar="PRIVATE_PATH",
                        help="private key path, outside the repository "
                             "(default ~/.config/spine-gates/keys/<name>.key)")
    keygen.add_argument("--name", help="key name; the public key is receipts/keys/<name>.pub")
    keygen.set_defaults(func=cmd_receipts_keygen)
    rverify = receipts_sub.add_parser("verify", help="verify signatures and the hash chain")
    _add_root(rverify)
    rverify.add_argument("--against-worktree", action="store_true",
                         help="also require the governed files to match the newest passing "
                              "receipt")
    rverify.add_argument("--format", choices=("text", "json"), default="text")
    rverify.set_defaults(func=cmd_receipts_verify)
    raudit = receipts_sub.add_parser("audit", help="the receipt audit review")
    _add_root(raudit)
    raudit.add_argument("--format", choices=("markdown", "html", "json"), default="markdown")
    raudit.add_argument("--output", metavar="FILE", help="write the report to FILE")
    raudit.set_defaults(func=cmd_receipts_audit)
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
    pstatus.set_defaults(func=cmd_providers_status)

    session = sub.add_parser("session", help="session start: the cached provider brief")
    session_sub = session.add_subparsers(dest="session_command", parser_class=_Parser,
                                         metavar="SUBCOMMAND", required=True)
    scheck = session_sub.add_parser("check", help="one provider_brief line; never blocks, "
                                    "always exit 0")
    _add_root(scheck)
    scheck.set_defaults(func=cmd_session_check)

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
    cccr.set_defaults(func=cmd_compile_ccr)

    sync = sub.add_parser("sync", help="write the compiled SSOT to the live router config")
    sync.add_argument("--live", metavar="PATH", help=live_help)
    sync.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    sync.add_argument("--profile", choices=profiles, help=profile_help)
    _add_root(sync, writes=True)
    sync.set_defaults(func=cmd_sync)

    adopt = sub.add_parser("adopt", help="propose the SSOT patch for intended live edits")
    adopt.add_argument("--live", metavar="PATH", help=live_help)
    adopt.add_argument("--profile", choices=profiles, help=profile_help)
    _add_root(adopt, writes=True)
    adopt.set_defaults(func=cmd_adopt)

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
    pcheck.set_defaults(func=cmd_proxy_check)

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
    secheck.set_defaults(func=cmd_secrets_check)

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
    rexplain.set_defaults(func=cmd_route_explain)
    rsim = route_sub.add_parser("simulate", help="seeded load simulation against rate budgets")
    _route_common(rsim)
    rsim.add_argument("--rate", action="append", metavar="ROLE=N/min",
                      help="request rate of a role (repeatable)")
    rsim.add_argument("--duration", default="1h", help="simulated time, e.g. 30m, 1h")
    rsim.add_argument("--seed", type=int, default=0)
    rsim.add_argument("--budget", action="append", metavar="PROVIDER=N/min",
                      help="override a provider's rate budget (default: rate_limit_rpm)")
    rsim.set_defaults(func=cmd_route_simulate)
    rres = route_sub.add_parser("resilience", help="roles healthy/degraded/down under --fail; "
                                "per-slot minimal failure sets")
    _route_common(rres)
    rres.set_defaults(func=cmd_route_resilience)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arglist = list(sys.argv[1:] if argv is None else argv)
        if arglist[:2] == ["session", "check"] and not {"-h", "--help"} & set(arglist):
            return session_check_argv(arglist[2:])
        parser = build_parser()
        # argparse gives a trailing FILE list nothing once options follow the gate name (a
        # hook's `args:` come before pre-commit's files), so leftover plain words are those files
        args, extra = parser.parse_known_args(argv)
        if extra and (not hasattr(args, "files") or any(e.startswith("-") for e in extra)):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if extra:
            args.files = [*args.files, *extra]
        func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        _check_output(args)
        return func(args)
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
