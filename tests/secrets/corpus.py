"""A corpus of fake keys and of places a user writes them, for detection and leak tests.

- `KEY_SAMPLES`: realistic key formats, generated deterministically (seeded, never real keys).
  Each sample has its `text` (what a user pastes), its `secret` (the part that must never be
  echoed) and its public `prefix` (`sk-ant-api03-`, `AKIA`, … or "" for prefix-less formats).
- `PLACES`: every governed text place of a spine, each knowing whether it is key-bearing.
- `write_spine_with_keys(root, place)`: a copy of the reference spine with every sample planted in
  one place; returns where each landed (file and line).
- `BENIGN`: strings that look random but are not secrets (digests, SHAs, UUIDs, model ids,
  Infisical paths, base64 image data, …); `write_spine_with_benign(root, place)` plants them.

Detection expectations (`Planted.fingerprints`): a finding names a planted key when it sits at the
planted file and line and carries the fingerprint of the secret or of the whole written text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spine_gates.secrets.redact import fingerprint

REPO = Path(__file__).resolve().parent.parent.parent
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"


def fake(alphabet: str, size: int, salt: str) -> str:
    """Deterministic random-looking material: the same corpus on every run and machine."""
    stream = hashlib.shake_256(f"spine-gates-corpus:{salt}".encode()).digest(size)
    return "".join(alphabet[b % len(alphabet)] for b in stream)


@dataclass(frozen=True)
class KeySample:
    name: str
    prefix: str  # the public part of the format ("" when the format has none)
    text: str  # what a user pastes (may carry a scheme, a URL or several lines)
    secret: str  # the part no output may echo

    @property
    def one_line(self) -> str:
        """The text as it looks pasted into a single-line place (a PEM block's lines joined)."""
        return " ".join(self.text.split("\n"))

    @property
    def multiline(self) -> bool:
        return "\n" in self.text


def _jwt() -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = json.dumps({"sub": fake(HEX, 24, "jwt-sub"), "iat": 1764028800,
                         "scope": "inference"}, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
    return f"{header}.{payload}.{fake(B64URL, 43, 'jwt-sig')}"


def _pem() -> str:
    body = base64.b64encode(hashlib.shake_256(b"spine-gates-corpus:pem").digest(192)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *lines, "-----END RSA PRIVATE KEY-----"])


def _samples() -> tuple[KeySample, ...]:
    f = fake
    anthropic = "sk-ant-api03-" + f(B64URL, 93, "anthropic") + "AA"
    bearer = f(B64URL, 40, "bearer") + "9"
    url_password = f(ALNUM, 24, "url-password")
    aws_secret = f(B64, 40, "aws-secret")
    long_b64 = base64.b64encode(hashlib.shake_256(b"spine-gates-corpus:b64").digest(48)).decode()
    infisical = ("st." + f(HEX, 8, "st1") + "-" + f(HEX, 4, "st2") + "-" + f(HEX, 4, "st3") + "."
                 + f(HEX, 32, "st4") + "." + f(HEX, 32, "st5"))
    pem = _pem()
    jwt = _jwt()
    samples = [
        ("anthropic", "sk-ant-api03-", anthropic, anthropic),
        ("openai-project", "sk-proj-", "sk-proj-" + f(B64URL, 156, "openai-proj"), None),
        ("openai-legacy", "sk-", "sk-" + f(ALNUM, 48, "openai-legacy"), None),
        ("openrouter", "sk-or-v1-", "sk-or-v1-" + f(HEX, 64, "openrouter"), None),
        ("nvidia", "nvapi-", "nvapi-" + f(B64URL, 64, "nvidia"), None),
        ("zai", "", f(HEX, 32, "zai-id") + "." + f(ALNUM, 16, "zai-secret"), None),
        ("aws-access-key-id", "AKIA", "AKIA" + f("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, "akia"),
         None),
        ("aws-secret-access-key", "", aws_secret, None),
        ("github-classic", "ghp_", "ghp_" + f(ALNUM, 36, "ghp"), None),
        ("github-fine-grained", "github_pat_",
         "github_pat_" + f(ALNUM, 22, "pat1") + "_" + f(ALNUM, 59, "pat2"), None),
        ("google", "AIza", "AIza" + f(B64URL, 35, "google"), None),
        ("slack", "xoxb-", "xoxb-" + f("0123456789", 12, "slack1") + "-"
         + f("0123456789", 13, "slack2") + "-" + f(ALNUM, 24, "slack3"), None),
        ("jwt", "eyJ", jwt, None),
        ("pem-private-key", "-----BEGIN RSA PRIVATE KEY-----", pem, None),
        ("long-base64", "", long_b64, None),
        ("bearer-header", "Authorization: Bearer ", "Authorization: Bearer " + bearer, bearer),
        ("url-credentials", "https://deploy:",
         f"https://deploy:{url_password}@api.example.com/v1", url_password),
        ("infisical-service-token", "st.", infisical, None),
    ]
    return tuple(KeySample(name, prefix, text, secret or text)
                 for name, prefix, text, secret in samples)


KEY_SAMPLES: tuple[KeySample, ...] = _samples()
SAMPLES_BY_NAME = {sample.name: sample for sample in KEY_SAMPLES}


def echoes_a_piece(text: str, secret: str, prefix: str = "") -> bool:
    """Whether `text` holds an 8-character window of `secret` after its public `prefix` (the
    leak measure: a piece that long narrows a key down; a PEM block's END line is public)."""
    body = secret[len(prefix):] if prefix and secret.startswith(prefix) else secret
    for part in body.split("\n"):
        if part.startswith("-----"):
            continue
        if any(part[i:i + 8] in text for i in range(max(len(part) - 7, 0))):
            return True
    return False


# Strings a detector must leave alone: they look random, or sit where keys sit, but are not keys.
_PNG = ("iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAOklEQVR4nGNgGAWjYBSMglEwCgYBYGJgYPhP"
        "IQYGBgYGBgaG////AwMDAwMDAwMDA/////8DAwMDAwMDAAAxWwm+4z5jaAAAAABJRU5ErkJggg==")
_JPEG = ("/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////"
         "////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/a")
BENIGN: tuple[tuple[str, str], ...] = (
    ("sha256 digest", hashlib.sha256(b"spine-gates").hexdigest()),
    ("sha256 digest with scheme", "sha256:" + hashlib.sha256(b"receipt").hexdigest()),
    ("sha512 digest", hashlib.sha512(b"spine-gates").hexdigest()),
    ("git sha", hashlib.sha1(b"commit").hexdigest()),
    ("short git sha", hashlib.sha1(b"commit").hexdigest()[:12]),
    ("uuid", "3f2b8c1e-9d4a-4e6b-8f7c-2a1d5e9b0c47"),
    ("upper-case uuid", "3F2B8C1E-9D4A-4E6B-8F7C-2A1D5E9B0C47"),
    ("model id", "openrouter/anthropic/claude-opus-4-5"),
    ("nvidia model id", "nvidia/llama-3.1-nemotron-70b-instruct"),
    ("long model id", "nvidia_nim/nvidia/Llama-3_1-Nemotron-Ultra-253B-v1"),
    ("mixed-case model id", "openrouter/meta-llama/Meta-Llama-3.1-405B-Instruct-FP8:free"),
    ("hf model id", "Qwen/Qwen2.5-Coder-32B-Instruct-GPTQ-Int4"),
    ("infisical path", "infisical://spine/ai/providers/ANTHROPIC_API_KEY"),
    ("infisical folder", "/spine/ai/providers/team-llm/OPENROUTER_API_KEY_FALLBACK2"),
    ("env reference", "env:OPENAI_API_KEY"),
    ("placeholder", "${NVIDIA_NIM_API_KEY_ROTATION_2026Q1}"),
    ("secret fingerprint", "sha256:3b9c1f0e"),
    ("base64 png (scenario image data)", _PNG),
    ("base64 jpeg", _JPEG),
    ("png data uri", "data:image/png;base64," + _PNG),
    ("reference spine image data", "iVBORw0KGgo="),
    ("semver", "2.0.0-beta.12+build.20261125"),
    ("iso date", "2026-11-25T12:34:56.789Z"),
    ("url without credentials", "https://integrate.api.nvidia.com/v1/chat/completions?model=x"),
    ("url with port and path", "http://localhost:1234/v1/models/qwen2.5-coder-32b-instruct"),
    ("json pointer", "/providers/openrouter/models/3"),
    ("file path", "docs/brain/roles/ArchitectPlaybook2026Edition.md"),
    ("camel-case identifier", "ProviderRegistryValidationErrorHandler2026"),
    ("rate-limit header", "anthropic-ratelimit-output-tokens-reset"),
    ("python dotted path", "spine_gates.secrets.resolvers.infisical.InfisicalResolver"),
    ("ed25519 key id", "SHA256:" + base64.b64encode(hashlib.sha256(b"k").digest()).decode()
     .rstrip("=")),
)


@dataclass(frozen=True)
class Planted:
    """One sample written into one place: where it landed and how a finding names it."""

    sample: KeySample
    place: str
    file: str
    line: int
    written: str

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset({fingerprint(self.sample.secret), fingerprint(self.written)})


Entries = list[tuple[str, str]]  # (id, text)
Writer = Callable[[Path, Entries], dict[str, tuple[str, int]]]  # id -> (file, line)


@dataclass(frozen=True)
class Place:
    name: str
    key_bearing: bool
    single_line: bool  # multi-line samples are pasted with their lines joined
    write: Writer


PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
CONFIG = "spine-gates.yaml"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _append(root: Path, rel: str, lines: list[str]) -> int:
    """Append lines to a file; returns the line number of the first appended line."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    path.write_text(old + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return old.count("\n") + 1


def _ident(entry_id: str) -> str:
    return "planted_" + entry_id.replace("-", "_").replace(" ", "_")


def _registry_field(field: str) -> Writer:
    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        lines, where = [], {}
        first = _append(root, PROVIDERS, [])
        for entry_id, text in entries:
            lines += [f"  {_ident(field + '-' + entry_id)}:", "    type: hosted",
                      "    api_format: openai",
                      "    api_base: https://api.example.com/v1", "    quota_type: credits",
                      "    models: [m1]", "    cost_tier: paid",
                      "    api_key_ref: infisical://spine/ai/providers/OPENAI_API_KEY"]
            where[entry_id] = (PROVIDERS, first + len(lines))
            lines.append(f"    {field}: {_q(text)}")
        _append(root, PROVIDERS, lines)
        return where
    return write


def _comment_lines(rel: str, head: str = "") -> Writer:
    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        lines, where = [], {}
        first = _append(root, rel, [])
        if head:
            lines.append(head)
        for entry_id, text in entries:
            where[entry_id] = (rel, first + len(lines))
            text_lines = text.split("\n")
            lines.append(f"# old credential ({entry_id}), remove after rotation: {text_lines[0]}"
                         if len(text_lines) == 1 else "# " + text_lines[0])
            lines += ["# " + line for line in text_lines[1:]]
        _append(root, rel, lines)
        return where
    return write


def _mapping_keys(rel: str, top: str) -> Writer:
    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        first = _append(root, rel, [])
        lines, where = [f"{top}:"], {}
        for entry_id, text in entries:
            where[entry_id] = (rel, first + len(lines))
            lines.append(f"  {_q(text)}: true")
        _append(root, rel, lines)
        return where
    return write


def _markdown(rel: str) -> Writer:
    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        first = _append(root, rel, [])
        lines, where = ["", "## Scratch notes (to clean up)", ""], {}
        for entry_id, text in entries:
            if "\n" in text:
                lines.append("```")
                where[entry_id] = (rel, first + len(lines))
                lines += [*text.split("\n"), "```"]
            else:
                where[entry_id] = (rel, first + len(lines))
                lines.append(f"- for {entry_id} the session used `{text}` until it was rotated")
        _append(root, rel, lines)
        return where
    return write


def _waiver_reasons(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
    lines, where = ["waivers:"], {}
    for entry_id, text in entries:
        lines += ["  - rule: REG-001", f"    file: {PROVIDERS}",
                  f"    pointer: /providers/{_ident(entry_id)}"]
        where[entry_id] = ("waivers.yaml", len(lines) + 1)
        lines += [f"    reason: {_q('temporary; the old key was ' + text)}",
                  '    owner: "@ronny"', '    expires: "2099-01-01"']
    _append(root, "waivers.yaml", lines)
    return where


def _scenario(field: str) -> Writer:
    rel = f"scenarios/planted-{field}.yaml"

    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        lines, where = ["scenarios:"], {}
        for entry_id, text in entries:
            if field == "name":
                where[entry_id] = (rel, len(lines) + 1)
                lines.append(f"  - name: {_q('routes with ' + text)}")
                lines += ["    when:", "      request:", "        model: claude-sonnet-4-5",
                          "        messages: [{role: user, content: hi}]"]
            else:
                lines += [f"  - name: request body {entry_id}", "    when:", "      request:",
                          "        model: claude-sonnet-4-5", "        messages:",
                          "          - role: user", "            content:",
                          "              - type: text"]
                where[entry_id] = (rel, len(lines) + 1)
                lines.append(f"                text: {_q('use this key: ' + text)}")
            lines.append("    then: {rule: default, model: openai/o4-mini}")
        _append(root, rel, lines)
        return where
    return write


def _config(kind: str) -> Writer:
    def write(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
        first = _append(root, CONFIG, [])
        lines: list[str] = [f"planted_{kind.replace('-', '_')}:"]
        where = {}
        for index, (entry_id, text) in enumerate(entries):
            where[entry_id] = (CONFIG, first + len(lines))
            if kind == "value":  # plain field names: a credential-like name is key-bearing
                lines.append(f"  note_{index}: {_q('copied from the dashboard: ' + text)}")
            elif kind == "key-field":
                lines.append(f"  {_ident(entry_id)}_token: {_q(text)}")
            else:
                lines.append(f"  {_q(text)}: {{profile: '2.0'}}")
        _append(root, CONFIG, lines)
        return where
    return write


def _policy_pack(root: Path, entries: Entries) -> dict[str, tuple[str, int]]:
    rel = "policies/planted.yaml"
    lines, where = ["pack: planted", "description: A team's own rules.", "rules:"], {}
    for index, (entry_id, text) in enumerate(entries, 1):
        lines += [f"  - id: PLANTED-{index:03d}", f"    title: Rule {index}", "    severity: info"]
        where[entry_id] = (rel, len(lines) + 1)
        lines += [f"    rationale: {_q('tested against the live API with ' + text)}",
                  '    select: "providers[]"', "    assert:", "      exists: {fields: [type]}",
                  '    message: "provider {id} has no type"', '    fix: Give provider {id} a type.']
    _append(root, rel, lines)
    return where


PLACES: tuple[Place, ...] = (
    Place("registry-key-field", True, True, _registry_field("api_key")),
    Place("config-key-field", True, True, _config("key-field")),
    Place("registry-value", False, True, _registry_field("notes")),
    Place("registry-comment", False, False, _comment_lines(PROVIDERS)),
    Place("registry-mapping-key", False, True, _mapping_keys(ROLES, "retired_keys")),
    Place("cli-inject", False, False, _markdown("docs/brain/claude-code-inject.md")),
    Place("role-inject", False, False, _markdown("docs/brain/roles/architect.md")),
    Place("brain-notes", False, False, _markdown("docs/brain/notes/session-log.md")),
    Place("waiver-reason", False, True, _waiver_reasons),
    Place("scenario-name", False, True, _scenario("name")),
    Place("scenario-request-body", False, True, _scenario("body")),
    Place("config-value", False, True, _config("value")),
    Place("config-mapping-key", False, True, _config("mapping-key")),
    Place("config-comment", False, False, _comment_lines(CONFIG, "ccr: {profile: '2.0'}")),
    Place("policy-pack", False, True, _policy_pack),
)
PLACES_BY_NAME = {place.name: place for place in PLACES}


def copy_reference_spine(root: Path) -> Path:
    """The reference spine's registries and inject files (what the `spine` fixture copies)."""
    for rel in ("docs/governance", "docs/brain"):
        shutil.copytree(REPO / rel, root / rel)
    return root


def write_spine_with_keys(root: Path, place: str) -> list[Planted]:
    """A reference spine at `root` with every key sample planted in `place`."""
    chosen = PLACES_BY_NAME[place]
    copy_reference_spine(root)
    texts = {s.name: s.one_line if chosen.single_line else s.text for s in KEY_SAMPLES}
    where = chosen.write(root, list(texts.items()))
    return [Planted(s, place, *where[s.name], texts[s.name]) for s in KEY_SAMPLES]


def write_spine_with_benign(root: Path, place: str) -> None:
    """A reference spine at `root` with every benign string planted in `place`."""
    copy_reference_spine(root)
    PLACES_BY_NAME[place].write(root, [(f"benign-{i}", text)
                                       for i, (_, text) in enumerate(BENIGN)])


def write_spine_with_keys_everywhere(root: Path) -> list[Planted]:
    """A reference spine at `root` with every key sample planted in every place at once (for
    the output channels: one CLI run per channel sees every format in every place)."""
    copy_reference_spine(root)
    planted = []
    for place in PLACES:
        texts = {s.name: s.one_line if place.single_line else s.text for s in KEY_SAMPLES}
        where = place.write(root, list(texts.items()))
        planted += [Planted(s, place.name, *where[s.name], texts[s.name]) for s in KEY_SAMPLES]
    return planted
