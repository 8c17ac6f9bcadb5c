"""Every CLI output, byte for byte: a snapshot of each subcommand x each `--format`.

Each case runs the real CLI (`python -m spine_gates`) in its own temp directory: a copy of the
reference spine, or the same copy with planted defects (a dangling cross-reference, an inline key,
a YAML 1.1 coercion, a stale review date), plus live router configs (the compiled SSOT and a
drifted one). Today, HOME and the network are pinned: SPINE_GATES_TODAY, a fresh HOME per case,
and every provider probe pointed at a closed 127.0.0.1 port. A case records argv, exit code,
stdout and stderr; the case's temp directory and HOME become `<ROOT>` / `<HOME>`, and only the
values in NORMALISE (wall-clock timestamps, durations, receipt run keys and hashes) are masked.

The snapshots live in tests/cli/snapshots/<group>/<case>.txt, one file per case. When an
output changes on purpose, regenerate them and review the diff in the commit:

    SPINE_GATES_UPDATE_SNAPSHOTS=1 python -m pytest tests/cli/test_cli_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
TODAY = "2026-11-25"  # the reference spine's review date (tests/helpers.py pins the same)
UPDATE = os.environ.get("SPINE_GATES_UPDATE_SNAPSHOTS") == "1"
WORKERS = 4  # subprocesses at once: the suite runs on 2 cores, the CLI waits on little I/O

# The values that differ between two runs of the same command, and nothing else.
NORMALISE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"), "<TIME>"),
    (re.compile(r"\b\d+ ms\b"), "<N> ms"),
    (re.compile(r'"(duration_ms|elapsed_ms|latency_ms)": \d+(?:\.\d+)?'), r'"\1": <N>'),
    (re.compile(r'\btime="[\d.]+"'), 'time="<N>"'),
    (re.compile(r"CAP-\d{8}-\d{6}__([\w.-]+?)__R[0-9A-Z]{4}"), r"CAP-<TIME>__\1__R<RAND>"),
    (re.compile(r"receipts/\d{4}/\d\d/"), "receipts/<YYYY>/<MM>/"),
]
# Receipt hashes and signatures cover the signing time; only the receipts group masks them.
RECEIPT_NORMALISE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"sha256:(?!{KEYID})[0-9a-f]{8,64}"), "sha256:<HASH>"),
    (re.compile(r'"(sig|signature|payload|digest|head|sha256)": "[^"]*"'), r'"\1": "<MASKED>"'),
    # The audit timeline places runs by signing time: two receipts signed in the same second
    # share a position, a second apart they sit at the two ends.
    (re.compile(r'<circle cx="[\d.]+"'), '<circle cx="<X>"'),
]

ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
CLIS = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"
SSOT = "docs/governance/SSOT_REGISTRY.yaml"


def _inline_key() -> str:
    return "sk-ant-api03-" + "x" * 93  # built at runtime: no key-shaped literal in the repo


def _defects() -> list[tuple[str, str, str]]:
    """(file, old, new): the failing spine's planted defects: a dangling cross-reference, an
    inline key, a number only YAML 1.1 reads, a YAML 1.1 boolean where a boolean is wanted (not a
    defect: it must stay unflagged) and a stale review date."""
    return [
        (ROLES, "      - nvidia_nim/moonshotai/kimi-k2.5\n", "      - deepseek/deepseek-v3\n"),
        (PROVIDERS, "    api_key_ref: infisical://spine/ai/providers/Z_AI_API_KEY\n",
         f"    api_key: {_inline_key()}\n"),
        (PROVIDERS, "    rate_limit_rpm: 40\n", "    rate_limit_rpm: 1_000\n"),  # YAML 1.1 only
        (CLIS, "    proxy_compatible: false\n", "    proxy_compatible: yes\n"),  # a bool: fine
        (SSOT, '    last_reviewed: "2026-11-25"\n    notes: "Agent CLIs',
         '    last_reviewed: "2026-09-01"\n    notes: "Agent CLIs'),
    ]


@dataclass(frozen=True)
class Case:
    """One snapshot: steps run in order in one fresh directory; `@show PATH` records a file."""

    name: str
    steps: tuple[tuple[str, ...], ...]
    spine: str = "reference"  # reference | failing | none (an empty directory)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "spine"


def _case(name: str, *argv: str, spine: str = "reference", **env: str) -> Case:
    return Case(name, (argv,), spine, env)


def _formats(prefix: str, argv: tuple[str, ...], formats: tuple[str, ...],
             spines: tuple[str, ...] = ("reference", "failing")) -> list[Case]:
    return [_case(f"{prefix}-{spine}-{fmt}", *argv, "--format", fmt, spine=spine)
            for spine in spines for fmt in formats]


RUN_FORMATS = ("text", "json", "sarif", "junit", "github", "spine")
GATES = ("provider-drift", "proxy-safety", "registry-policy", "routing-scenarios", "secret-refs")
# Relative, as a user types them: a drift finding's fingerprint covers the live path as given.
LIVE = "../live.json"
DRIFTED = "../drifted.json"
FAKE_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "NVIDIA_API_KEY", "OPENROUTER_API_KEY",
             "Z_AI_API_KEY")


def _groups() -> dict[str, list[Case]]:
    run = [_case(f"all-{spine}-{fmt}", "run", "all", "--no-receipt", "--live", live,
                 "--format", fmt, spine=spine)
           for spine, live in (("reference", LIVE), ("failing", DRIFTED)) for fmt in RUN_FORMATS]
    run += [_case(f"{gate}-failing", "run", gate, "--no-receipt", "--live", DRIFTED,
                  spine="failing") for gate in GATES]
    run += [
        _case("all-no-live-config", "run", "all", "--no-receipt"),
        # the default live path is ~/.claude-code-router/config.json: HOME holds the compiled SSOT
        Case("all-reference-default-live",
             (("@copy", LIVE, "{home}/.claude-code-router/config.json"),
              ("run", "all", "--no-receipt"))),
        _case("registry-policy-changed-file-not-read", "run", "registry-policy", "--no-receipt",
              "README.md"),
        _case("registry-policy-changed-file-read", "run", "registry-policy", "--no-receipt",
              PROVIDERS, spine="failing"),
        Case("registry-policy-output-file", (
            ("run", "registry-policy", "--no-receipt", "--format", "json", "--output",
             "{root}/report.json"), ("@show", "{root}/report.json")), "failing"),
        _case("drift-reference-against-drifted", "run", "provider-drift", "--no-receipt",
              "--live", DRIFTED, "--format", "json"),
        _case("secret-refs-require-resolution", "run", "secret-refs", "--no-receipt",
              SPINE_GATES_REQUIRE_RESOLUTION="1"),
    ]

    # `policy test` runs the shipped packs' fixtures (the spine has no policies/): spine-blind
    policy = _formats("test", ("policy", "test"), ("text", "json"), ("reference",))
    policy += _formats("rules", ("policy", "rules"), ("text", "markdown", "json"))
    policy += [_case("test-require-coverage", "policy", "test", "--require-coverage"),
               _case("rules-reference-flag", "policy", "rules", "--reference", spine="none")]

    baseline = [Case(f"create-{spine}", (
        ("baseline", "create"), ("@show", "{root}/spine/.spine-gates-baseline.json"),
        ("run", "registry-policy", "--no-receipt", "--live", LIVE),
        ("run", "registry-policy", "--no-receipt", "--no-baseline"))
        , spine) for spine in ("reference", "failing")]

    signed = ("run", "registry-policy", "--receipt", "--signing-key", "{home}/snap.key")
    receipts = [Case("keygen", (("receipts", "keygen", "--name", "fresh", "--out",
                                 "{home}/fresh.key"),))]
    for spine in ("reference", "failing"):
        prep: tuple[tuple[str, ...], ...] = (("@key",), signed, signed + ("--format", "json"))
        receipts.append(Case(f"verify-audit-{spine}", (
            *prep, *(("receipts", "verify", "--format", fmt) for fmt in ("text", "json")),
            *(("receipts", "audit", "--format", fmt) for fmt in ("markdown", "html", "json"))),
            spine))
    receipts += [
        Case("verify-against-worktree-edited", (
            ("@key",), signed, ("@append", "{root}/spine/" + CLIS, "# edited\n"),
            ("receipts", "verify", "--against-worktree"))),
        Case("verify-no-receipts", (("receipts", "verify"),)),
    ]

    closed = {"SPINE_GATES_API_BASE_OVERRIDES": "{overrides}"}
    keyed = {**closed, **{k: "{key:" + k + "}" for k in FAKE_KEYS}}
    status = ("providers", "status", "--timeout", "2", "--deadline", "4", "--format")
    providers = [Case(f"status-{spine}-{fmt}", ((*status, fmt),), spine, closed)
                 for spine in ("reference", "failing") for fmt in ("text", "json")]
    providers += [Case("status-offline", ((*status, "text", "--offline"),), env=closed),
                  Case("status-keyed-text", ((*status, "text"),), env=keyed),
                  Case("status-keyed-json", ((*status, "json"),), "failing", keyed)]
    providers.append(Case("status-output-file", (
        ("providers", "status", "--offline", "--format", "json", "--output",
         "{root}/status.json"), ("@show", "{root}/status.json")), env=closed))

    session = [Case(f"check-{spine}", (("session", "check"),), spine, closed)
               for spine in ("reference", "failing")]
    session.append(Case("check-after-status", (
        ("providers", "status", "--offline"), ("session", "check")), env=closed))

    compile_ = [_case(f"ccr-{spine}-{profile}", "compile", "ccr", "--profile", profile,
                      spine=spine)
                for spine in ("reference", "failing") for profile in ("2.0", "1.0")]
    compile_ += [Case("ccr-out-file", (("compile", "ccr", "--out", "{root}/out.json"),
                                        ("@show", "{root}/out.json"))),
                 _case("ccr-reference-flag", "compile", "ccr", "--reference", spine="none")]

    sync = [_case(f"dry-run-{spine}", "sync", "--dry-run", "--live", DRIFTED, spine=spine)
            for spine in ("reference", "failing")]
    sync += [Case("write-drifted", (("sync", "--live", DRIFTED), ("@show", DRIFTED),
                                    ("run", "provider-drift", "--no-receipt", "--live",
                                     DRIFTED))),
             Case("write-missing-live", (("sync", "--live", "{root}/new/config.json"),
                                         ("@show", "{root}/new/config.json"))),
             _case("dry-run-in-sync", "sync", "--dry-run", "--live", LIVE),
             _case("dry-run-profile-1.0", "sync", "--dry-run", "--live", DRIFTED,
                   "--profile", "1.0")]

    adopt = [_case(f"{live_name}-{spine}", "adopt", "--live", live, spine=spine)
             for spine in ("reference", "failing")
             for live_name, live in (("drifted", DRIFTED), ("in-sync", LIVE))]

    proxy = [_case(f"check-{spine}-{fmt}", "proxy", "check", "--no-activate", "--live", live,
                   "--format", fmt, spine=spine)
             for spine, live in (("reference", LIVE), ("failing", DRIFTED))
             for fmt in RUN_FORMATS]
    proxy += [_case("check-activate-output", "proxy", "check", "--live", LIVE,
                    "--activate-output", "{root}/activate.txt"),
              _case("check-activate-output-wrong-port", "proxy", "check", "--live", LIVE,
                    "--activate-output", "{root}/activate-wrong.txt")]

    secrets = _formats("check", ("secrets", "check"), ("text", "json"))
    secrets += [_case("check-offline", "secrets", "check", "--offline"),
                _case("check-failing-offline", "secrets", "check", "--offline", spine="failing")]
    secrets += [_case("check-require-resolution", "secrets", "check", "--require-resolution"),
                _case("check-changed-file-not-read", "secrets", "check", "README.md")]

    explain = ("route", "explain", "{root}/request.json")
    route = _formats("explain", explain, ("text", "json"))
    route += _formats("simulate", ("route", "simulate", "--rate", "executor=30/min", "--rate",
                                   "background=10/min", "--duration", "10m", "--seed", "7",
                                   "--fail", "openai=http_429"), ("text", "json"))
    route += _formats("resilience", ("route", "resilience", "--fail",
                                     "nvidia_nim=quota_exhausted"), ("text", "json"))
    route += [_case("explain-failover", *explain, "--fail", "anthropic=http_429"),
              _case("explain-ccr-config-drifted", "route", "explain", "{root}/request.json",
                    "--ccr-config", DRIFTED),
              _case("explain-profile-1.0", "route", "explain", "{root}/request.json",
                    "--profile", "1.0"),
              _case("simulate-budget", "route", "simulate", "--rate", "architect=60/min",
                    "--duration", "5m", "--seed", "1", "--budget", "anthropic=20/min")]

    offline = ("providers", "status", "--offline")
    plan = ("failover", "plan", "--from-cache", "--live", LIVE)
    failover = [_case("status-none", "failover", "status", "--live", LIVE),
                _case("status-none-json", "failover", "status", "--format", "json"),
                _case("plan-no-cache", *plan),
                Case("plan-after-offline-status", (offline, plan, (*plan, "--format", "json")),
                     env=closed),
                _case("apply-without-yes", "failover", "apply", "--from-cache", "--live", LIVE),
                Case("apply-without-module", (offline, ("failover", "apply", "--from-cache",
                                                        "--yes", "--no-receipt", "--live",
                                                        LIVE)), env=closed),
                _case("revert-nothing", "failover", "revert", "--all", "--no-receipt",
                      "--live", LIVE),
                _case("revert-no-ids", "failover", "revert", "--live", LIVE)]

    errors = [
        _case("no-spine-in-cwd", "run", "all", "--no-receipt", spine="none"),
        _case("unknown-gate", "run", "no-such-gate", "--no-receipt"),
        _case("unknown-format", "run", "all", "--no-receipt", "--format", "yaml"),
        _case("unknown-command", "frobnicate"),
        Case("malformed-yaml", (("@append", "{root}/spine/" + ROLES, "roles: [unclosed\n"),
                                ("run", "registry-policy", "--no-receipt"))),
        Case("malformed-yaml-compile", (("@append", "{root}/spine/" + PROVIDERS, "  bad: {\n"),
                                        ("compile", "ccr"))),
        _case("missing-live-file", "run", "provider-drift", "--no-receipt", "--live",
              "{root}/absent.json"),
        _case("missing-live-file-proxy-check", "proxy", "check", "--no-activate", "--live",
              "{root}/absent.json"),
        _case("missing-request-file", "route", "explain", "{root}/absent.json"),
        _case("bad-fail-state", "route", "resilience", "--fail", "openai=on_fire"),
        _case("missing-root", "policy", "rules", "--root", "{root}/nowhere", spine="none"),
        Case("malformed-live-json", (("@write", "{root}/bad.json", "{\"Providers\": [\n"),
                                     ("run", "provider-drift", "--no-receipt", "--live",
                                      "{root}/bad.json"))),
    ]
    return {"run": run, "list": [_case("text", "list", "--format", "text"),
                                 _case("json", "list", "--format", "json")],
            "policy": policy, "baseline": baseline, "receipts": receipts,
            "providers": providers, "session": session, "compile": compile_, "sync": sync,
            "adopt": adopt, "proxy": proxy, "secrets": secrets, "route": route,
            "failover": failover, "errors": errors}


GROUPS = _groups()


# ---------------------------------------------------------------- environment


@dataclass
class World:
    """What every case shares: the base temp dir, the compiled config, a closed port."""

    base: Path
    live: str
    drifted: str
    port: int
    keys: dict[str, str]
    key_pem: bytes
    pub_pem: bytes
    keyid: str


def _clean_environ() -> dict[str, str]:
    drop = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "BUILDKITE", "GITLAB_CI",
            "FORCE_COLOR", "PRE_COMMIT", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
            "COLUMNS", "LINES", "TERM")
    env = {}
    for name, value in os.environ.items():
        if name in drop or name.endswith("_API_KEY") or name.startswith(
                ("SPINE_GATES_", "INFISICAL_", "PRE_COMMIT_")):
            continue
        env[name] = value
    return env


def _copy_spine(target: Path, failing: bool) -> None:
    shutil.copytree(REPO / "docs" / "governance", target / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", target / "docs" / "brain")
    shutil.copytree(REPO / "scenarios", target / "scenarios")
    if failing:
        for rel, old, new in _defects():
            path = target / rel
            text = path.read_text()
            assert text.count(old) == 1, (rel, old)
            path.write_text(text.replace(old, new))


def _signing_key() -> tuple[bytes, bytes, str]:
    """A fixed Ed25519 key (seeded): the same key id in every run."""
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key()
    pub = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, pub, hashlib.sha256(raw).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("snap")
    reference = base / "compile-source"
    _copy_spine(reference, failing=False)
    compiled = subprocess.run([sys.executable, "-m", "spine_gates", "compile", "ccr"],
                              cwd=reference, env={**_clean_environ(), "HOME": str(base),
                                                  "SPINE_GATES_TODAY": TODAY},
                              capture_output=True, text=True, timeout=60, check=True).stdout
    config = json.loads(compiled)
    # a hand edit (drift), a debug log level (proxy-safety) and a provider the SSOT lacks
    config["Router"]["default"] = "openrouter,anthropic/claude-sonnet-4-5"
    config["LOG_LEVEL"] = "debug"
    config["Providers"].append({"name": "hand-added", "api_base_url":
                                "http://127.0.0.1:9/v1/chat/completions",
                                "api_key": "$HAND_ADDED_KEY", "models": ["m1"]})
    drifted = json.dumps(config, indent=2) + "\n"
    # bound, never listening: every connection to it is refused at once, nothing leaves loopback
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    keys = {name: f"{prefix}FAKEKEY{name.lower()}" + "0" * 24 for name, prefix in
            zip(FAKE_KEYS, ("sk-ant-api03-", "sk-proj-", "nvapi-", "sk-or-v1-", "zai-"),
                strict=True)}
    pem, pub, keyid = _signing_key()
    try:
        yield World(base, compiled, drifted, int(sock.getsockname()[1]), keys, pem, pub, keyid)
    finally:
        sock.close()


def _overrides(port: int) -> str:
    url = f"http://127.0.0.1:{port}"
    return ",".join(f"{p}={url}/v1" for p in
                    ("anthropic", "openai", "nvidia_nim", "openrouter", "zai", "local_lmstudio"))


def _request() -> str:
    return json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64,
                       "thinking": {"type": "enabled", "budget_tokens": 2048},
                       "messages": [{"role": "user", "content": "plan the migration"}]}) + "\n"


def _activate(port: int) -> str:
    return (f'export ANTHROPIC_AUTH_TOKEN="test"\nexport ANTHROPIC_BASE_URL='
            f'"http://127.0.0.1:{port}"\nexport NO_PROXY="127.0.0.1"\n'
            'export DISABLE_TELEMETRY="true"\n')


# ---------------------------------------------------------------- running a case


def _run_case(world: World, group: str, case: Case) -> str:
    root = world.base / group / case.name
    home = root / "home"
    home.mkdir(parents=True)
    spine = root / "spine"
    if case.spine == "none":
        spine.mkdir()
    else:
        _copy_spine(spine, failing=case.spine == "failing")
    (root / "live.json").write_text(world.live)
    (root / "drifted.json").write_text(world.drifted)
    (root / "request.json").write_text(_request())
    (root / "activate.txt").write_text(_activate(3456))
    (root / "activate-wrong.txt").write_text(_activate(3457))

    def fill(token: str) -> str:
        token = token.replace("{root}", str(root)).replace("{home}", str(home))
        token = token.replace("{overrides}", _overrides(world.port))
        return re.sub(r"\{key:(\w+)\}", lambda m: world.keys[m.group(1)], token)

    env = {**_clean_environ(), "HOME": str(home), "SPINE_GATES_TODAY": TODAY, "NO_COLOR": "1",
           "SPINE_GATES_HEALTH_REFRESH": "0"}
    env.update({k: fill(v) for k, v in case.env.items()})
    out = [f"# case {group}/{case.name} on the {case.spine} spine\n"]
    for step in case.steps:
        argv = [fill(a) for a in step]
        if argv[0].startswith("@") and len(argv) > 1:  # relative to where the CLI runs
            argv[1:2] = [str(root / case.cwd / argv[1])]
        if argv[0] == "@key":
            (home / "snap.key").write_bytes(world.key_pem)
            (spine / "receipts" / "keys").mkdir(parents=True, exist_ok=True)
            (spine / "receipts" / "keys" / "snap.pub").write_bytes(world.pub_pem)
            continue
        if argv[0] == "@copy":
            Path(argv[2]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(argv[1], argv[2])
            continue
        if argv[0] in ("@append", "@write"):
            with open(argv[1], "a" if argv[0] == "@append" else "w") as handle:
                handle.write(argv[2])
            continue
        if argv[0] == "@show":
            path = Path(argv[1])
            body = path.read_text() if path.exists() else "<absent>\n"
            out.append(f"\n@show {argv[1]}\n{_ending(body)}")
            continue
        proc = subprocess.run([sys.executable, "-m", "spine_gates", *argv],
                              cwd=root / case.cwd, env=env, capture_output=True, text=True,
                              timeout=60)
        out.append(f"\n$ gates {' '.join(argv)}\n[exit {proc.returncode}]\n"
                   f"--- stdout\n{_ending(proc.stdout)}--- stderr\n{_ending(proc.stderr)}")
    text = "".join(out)
    for value in world.keys.values():
        assert value not in text, f"{group}/{case.name}: a provider key reached the output"
    assert _inline_key() not in text, f"{group}/{case.name}: the inline key reached the output"
    return _normalise(text, root, home, world, group)


def _ending(text: str) -> str:
    """The text, newline-terminated; a missing final newline is recorded, not added silently."""
    if not text or text.endswith("\n"):
        return text
    return text + "\n[no newline at end]\n"


def _normalise(text: str, root: Path, home: Path, world: World, group: str) -> str:
    text = text.replace(str(home), "<HOME>").replace(str(root), "<ROOT>")
    text = text.replace(f"127.0.0.1:{world.port}", "127.0.0.1:<CLOSED>")
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    if group == "receipts":
        for pattern, replacement in RECEIPT_NORMALISE:
            pattern = re.compile(pattern.pattern.replace("{KEYID}", world.keyid[:8]))
            text = pattern.sub(replacement, text)
    return text


# ---------------------------------------------------------------- the test


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_cli_output_matches_snapshot(group: str, world: World) -> None:
    cases = GROUPS[group]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), f"duplicate case names in {group}"
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outputs = list(pool.map(lambda case: _run_case(world, group, case), cases))
    folder = SNAPSHOTS / group
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for case, text in zip(cases, outputs, strict=True):
            (folder / f"{case.name}.txt").write_text(text)
        return
    failures = []
    for case, text in zip(cases, outputs, strict=True):
        path = folder / f"{case.name}.txt"
        expected = path.read_text() if path.exists() else ""
        if text != expected:
            failures.append("".join(difflib.unified_diff(
                expected.splitlines(keepends=True), text.splitlines(keepends=True),
                f"snapshot {group}/{case.name}", "now")))
    stale = sorted({p.stem for p in folder.glob("*.txt")} - set(names))
    assert not failures and not stale, (
        f"{len(failures)} case(s) differ, stale snapshots {stale}; if on purpose, regenerate "
        "with SPINE_GATES_UPDATE_SNAPSHOTS=1 and review the diff\n" + "\n".join(failures))
