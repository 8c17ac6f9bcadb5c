"""Property: planted keys of 20+ formats never leave the process, in any output format, written
report, error message or receipt: neither whole nor any 8-character piece of them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from spine_gates import cli
from spine_gates.secrets.redact import clear_registered
from tests.helpers import REPO, run_gates

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
UPPER_DIGITS = string.ascii_uppercase + string.digits
FORMATS_OUT = ("text", "json", "sarif", "junit", "github", "spine")


def _text(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """Key material: uniformly random from a drawn seed, as real keys are.

    Hypothesis would otherwise steer bodies toward words it saw in the code ("longContext"),
    making an 8-character piece of a "key" legitimately appear in a report.
    """
    def expand(seed: int) -> str:
        stream = hashlib.shake_256(f"{seed}:{alphabet}:{size}".encode()).digest(size * 2)
        return "".join(alphabet[b % len(alphabet)] for b in stream[:size])

    return st.integers(min_value=0, max_value=2**64).map(expand)


def _prefixed(prefix: str, alphabet: str, size: int) -> st.SearchStrategy[tuple[str, str]]:
    return _text(alphabet, size).map(lambda body: (prefix + body, prefix + body))


def _joined(*parts: str | tuple[str, int]) -> st.SearchStrategy[tuple[str, str]]:
    pieces = [st.just(p) if isinstance(p, str) else _text(*p) for p in parts]
    return st.tuples(*pieces).map(lambda xs: ("".join(xs), "".join(xs)))


def _with_digit(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.tuples(_text(alphabet, size - 1), st.sampled_from(string.digits)).map(
        lambda pair: pair[0] + pair[1])


def _private_key() -> st.SearchStrategy[tuple[str, str]]:
    def build(lines: list[str]) -> tuple[str, str]:
        text = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"
        return text, text

    return st.lists(_text(ALNUM + "+/", 64), min_size=3, max_size=3).map(build)


# name -> strategy of (planted text, the secret inside it)
KEY_FORMATS: dict[str, st.SearchStrategy[tuple[str, str]]] = {
    "anthropic": _prefixed("sk-ant-api03-", B64URL, 93),
    "anthropic-admin": _prefixed("sk-ant-admin01-", B64URL, 80),
    "openai-legacy": _prefixed("sk-", ALNUM, 48),
    "openai-project": _prefixed("sk-proj-", B64URL, 120),
    "openai-service": _prefixed("sk-svcacct-", B64URL, 60),
    "openrouter": _prefixed("sk-or-v1-", HEX, 64),
    "nvidia": _prefixed("nvapi-", B64URL, 64),
    "zai": _joined((HEX, 32), ".", (ALNUM, 16)),
    "xai": _prefixed("xai-", ALNUM, 80),
    "perplexity": _prefixed("pplx-", ALNUM, 48),
    "groq": _prefixed("gsk_", ALNUM, 52),
    "huggingface": _prefixed("hf_", ALNUM, 34),
    "replicate": _prefixed("r8_", ALNUM, 37),
    "google": _prefixed("AIza", B64URL, 35),
    "aws": _prefixed("AKIA", UPPER_DIGITS, 16),
    "github": _prefixed("ghp_", ALNUM, 36),
    "github-fine-grained": _prefixed("github_pat_", ALNUM + "_", 82),
    "gitlab": _prefixed("glpat-", B64URL, 20),
    "slack": _joined("xoxb-", (string.digits, 12), "-", (ALNUM, 24)),
    "stripe": _prefixed("sk_live_", ALNUM, 24),
    "sendgrid": _joined("SG.", (B64URL, 22), ".", (B64URL, 43)),
    "jwt": _joined("eyJ", (B64URL, 20), ".eyJ", (B64URL, 30), ".", (B64URL, 43)),
    "infisical-token": _joined("st.", (HEX, 8), "-", (HEX, 4), ".", (HEX, 32), ".", (HEX, 32)),
    "bearer": _with_digit(ALNUM, 40).map(lambda t: (f"Bearer {t}", t)),
    "url-userinfo": _with_digit(ALNUM, 20).map(
        lambda p: (f"https://svc:{p}@api.example.com/v1", p)),
    "url-query": _with_digit(ALNUM, 32).map(
        lambda k: (f"https://api.example.com/v1?model=m&key={k}", k)),
    "private-key": _private_key(),
}
URL_FORMATS = {"url-userinfo", "url-query"}
# (registry file, top key, entry) where keys are planted
ENTRIES = [
    ("PROVIDER_REGISTRY.yaml", "providers", "openai"),
    ("PROVIDER_REGISTRY.yaml", "providers", "zai"),
    ("ROLE_PROVIDER_MAPS.yaml", "roles", "executor"),
    ("CLI_INTERFACE_REGISTRY.yaml", "cli_interfaces", "codex"),
    ("SSOT_REGISTRY.yaml", "ssots", 0),
]
FIELD_KINDS = ("strict", "ref", "plain", "header")
ROLES = ("architect", "executor", "background")


@dataclass(frozen=True)
class Planted:
    format: str
    text: str
    secret: str
    file: str
    pointer: str


@st.composite
def plantings(draw: Callable[..., Any]) -> list[tuple[str, str, str, Any, str]]:
    """(format, planted text, secret, entry, field kind) for every key format."""
    out = []
    for name, strategy in KEY_FORMATS.items():
        text, secret = draw(strategy)
        entry = draw(st.sampled_from(range(len(ENTRIES))))
        kind = "plain" if name in URL_FORMATS else draw(st.sampled_from(FIELD_KINDS))
        out.append((name, text, secret, entry, kind))
    # Three keys also go where a rule echoes the value (REG-007 prints a missing inject path),
    # so the reports themselves depend on redaction, not only on careful messages.
    for role, index in zip(ROLES, draw(st.permutations(range(len(out))))[:3], strict=False):
        name, text, secret, _, _ = out[index]
        out.append((name, text, secret, role, "echo"))
    return out


def plant(root: Path, plan: list[tuple[str, str, str, Any, str]]) -> list[Planted]:
    governance = root / "docs" / "governance"
    docs = {name: yaml.safe_load((governance / name).read_text()) for name, _, _ in ENTRIES}
    planted = []
    for index, (fmt, text, secret, entry_index, kind) in enumerate(plan):
        if kind == "echo":
            docs["ROLE_PROVIDER_MAPS.yaml"]["roles"][entry_index]["inject"] = text
            planted.append(Planted(fmt, text, secret, "docs/governance/ROLE_PROVIDER_MAPS.yaml",
                                   f"/roles/{entry_index}/inject"))
            continue
        file, top, key = ENTRIES[entry_index]
        entry = docs[file][top][key]
        base = f"/{top}/{key}"
        if kind == "strict":
            field, pointer = f"x{index}_api_key", f"{base}/x{index}_api_key"
            entry[field] = text
        elif kind == "ref":
            field, pointer = f"x{index}_api_key_ref", f"{base}/x{index}_api_key_ref"
            entry[field] = text
        elif kind == "header":
            entry.setdefault("headers", {})[f"X-Api-Key-{index}"] = text
            pointer = f"{base}/headers/X-Api-Key-{index}"
        else:
            entry[f"x{index}_notes"] = f"pasted by mistake: {text}"
            pointer = f"{base}/x{index}_notes"
        planted.append(Planted(fmt, text, secret, f"docs/governance/{file}", pointer))
    for name, data in docs.items():
        (governance / name).write_text(yaml.safe_dump(data, sort_keys=False, width=200))
    return planted


def copy_spine(target: Path) -> Path:
    import shutil

    shutil.copytree(REPO / "docs" / "governance", target / "docs" / "governance")
    shutil.copytree(REPO / "docs" / "brain", target / "docs" / "brain")
    return target


def pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaks(text: str, planted: list[Planted]) -> list[str]:
    found = []
    for item in planted:
        for piece in pieces(item.secret):
            if piece in text:
                found.append(f"{item.format}: {piece!r}")
                break
    return found


def _main(*argv: str) -> tuple[int, str]:
    """The real CLI in this process, fresh redaction state as in a new process."""
    clear_registered()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINE_GATES_TODAY", "2026-11-25")
    monkeypatch.setenv("NO_COLOR", "1")


@settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(plan=plantings())
def test_no_output_format_leaks_a_planted_key(plan):
    assert len(plan) >= 20
    with tempfile.TemporaryDirectory() as scratch:
        root = copy_spine(Path(scratch) / "spine")
        planted = plant(root, plan)
        outputs: dict[str, str] = {}
        for fmt in FORMATS_OUT:
            code, outputs[f"run all --format {fmt}"] = _main(
                "run", "all", "--root", str(root), "--format", fmt, "--no-receipt")
            assert code == 1
        report = Path(scratch) / "report.json"
        _main("run", "all", "--root", str(root), "--format", "json", "--no-receipt",
              "--output", str(report))
        outputs["--output file"] = report.read_text()
        for fmt in ("text", "json"):
            _, outputs[f"secrets check {fmt}"] = _main("secrets", "check", "--root", str(root),
                                                       "--format", fmt)
        for item in planted:  # error messages that echo what the user typed
            if "\n" in item.text:
                continue
            code, outputs[f"error --root {item.format}"] = _main(
                "run", "all", "--root", f"{scratch}/missing/{item.text}")
            assert code == 3
            code, outputs[f"error gate {item.format}"] = _main("run", item.text)
            assert code == 3
        for where, text in outputs.items():
            assert not leaks(text, planted), f"{where} leaks {leaks(text, planted)}"

        findings = json.loads(outputs["run all --format json"])["findings"]
        located = {(f["file"], f["pointer"]) for f in findings if f["rule"].startswith("SEC-")}
        for item in planted:
            assert (item.file, item.pointer) in located, f"{item.format} at {item.pointer} " \
                                                         "was not detected"


@settings(max_examples=1, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plantings())
def test_every_format_and_the_receipt_stay_clean_as_a_subprocess(plan):
    """The same guarantee through real processes, including a signed receipt's payload."""
    with tempfile.TemporaryDirectory() as scratch:
        _check_subprocess_outputs(Path(scratch), plan)


def _check_subprocess_outputs(tmp_path: Path, plan: list[tuple[str, str, str, Any, str]]) -> None:
    root = copy_spine(tmp_path / "spine")
    planted = plant(root, plan)
    key = tmp_path / "signing.key"
    made = run_gates("receipts", "keygen", "--root", str(root), "--out", str(key))
    assert made.returncode == 0, made.stderr
    for fmt in FORMATS_OUT:
        result = run_gates("run", "all", "--root", str(root), "--format", fmt, "--receipt",
                           "--signing-key", str(key))
        assert result.returncode == 1, result.stderr
        assert not leaks(result.stdout + result.stderr, planted), fmt
    envelopes = list((root / "receipts").rglob("*.json"))
    assert envelopes
    for path in envelopes:
        text = path.read_text()
        assert not leaks(text, planted), path
        data = json.loads(text)
        if isinstance(data, dict) and "payload" in data:
            payload = base64.b64decode(data["payload"]).decode()
            assert not leaks(payload, planted), f"{path} payload"
