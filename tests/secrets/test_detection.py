"""SEC-001..007 over the governed files: references never flagged, literals in every field kind
flagged, messages carry fingerprints only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from spine_gates.checks.interface import prepare
from spine_gates.checks.table import load_gates
from spine_gates.gates import run_gate
from spine_gates.secrets.detect import (
    HIGH_ENTROPY,
    field_kind,
    looks_random,
    scan_data,
    scan_value,
    shannon_entropy,
)
from spine_gates.secrets.redact import fingerprint

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"


def _plant(spine: Path, provider: str, field: str, value: Any,
           rel: str = PROVIDERS, top: str = "providers") -> None:
    path = spine / rel
    data = yaml.safe_load(path.read_text())
    data[top][provider][field] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _sec_findings(spine: Path) -> list[Any]:
    ctx = prepare(spine)
    result = run_gate(load_gates()["registry-policy"], ctx)
    return [f for f in result.findings if f.rule.startswith("SEC-")]


REFERENCE_FORMS = [
    ("api_key_ref", "infisical://spine/ai/providers/OPENAI_API_KEY"),
    ("api_key_ref", "infisical://spine/ai/providers/team/OPENAI_API_KEY"),
    ("api_key_ref", "env:OPENAI_API_KEY"),
    ("api_key", "infisical://spine/ai/providers/OPENAI_API_KEY"),
    ("api_key", "env:OPENAI_API_KEY"),
    ("api_key", "$OPENAI_API_KEY"),
    ("api_key", "${OPENAI_API_KEY}"),
    ("token", "${OPENAI_API_KEY}"),
    ("authorization", "Bearer ${OPENAI_API_KEY}"),
    ("authorization", "Bearer $OPENAI_API_KEY"),
    ("headers", {"Authorization": "Bearer ${OPENAI_API_KEY}", "X-Api-Key": "env:OPENAI_API_KEY",
                 "HTTP-Referer": "https://spine.example/app", "Content-Type": "application/json"}),
    ("notes", "the key lives at infisical://spine/ai/providers/OPENAI_API_KEY; use $TOKEN"),
]


@pytest.mark.parametrize(("field", "value"), REFERENCE_FORMS,
                         ids=[f"{f}={v}" for f, v in REFERENCE_FORMS])
def test_references_of_every_allowed_form_produce_no_finding(spine, field, value):
    _plant(spine, "openai", field, value)
    assert _sec_findings(spine) == []


KEY = "sk-proj-Q7wE9rT2yU4iO6pA8sD0fG1hJ3kL5zX7cV9bN2mQ4wE6r"
LITERALS = [
    # (field, value, expected rule, pointer suffix)
    ("api_key", KEY, "SEC-001", "api_key"),
    ("secret_key", "wJalrXUtnFEMI7K7MDENGbPxRfiCYEXAMPLE", "SEC-001", "secret_key"),
    ("token", "changeme-1234", "SEC-001", "token"),
    ("auth_token", "abc123abc123abc123", "SEC-001", "auth_token"),
    ("secret", "hunter2hunter2", "SEC-001", "secret"),
    ("client_secret", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "SEC-001", "client_secret"),
    ("password", "correct horse battery", "SEC-001", "password"),
    ("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9abc123", "SEC-001", "authorization"),
    ("api_key_ref", KEY, "SEC-001", "api_key_ref"),
    ("headers", {"X-Api-Key": "k3y-Value-0123456789"}, "SEC-001", "headers/X-Api-Key"),
    ("headers", {"Authorization": f"Bearer {KEY}"}, "SEC-001", "headers/Authorization"),
    ("notes", f"rotated: {KEY}", "SEC-002", "notes"),
    ("rate_limit_signal", "nvapi-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "SEC-002",
     "rate_limit_signal"),
    ("api_base", "https://api.openai.com/v1?api_key=k3yValue0123", "SEC-003", "api_base"),
    ("api_base", "https://user:p4ssw0rd@api.openai.com/v1", "SEC-003", "api_base"),
    ("api_key_ref", "vault://kv/openai", "SEC-005", "api_key_ref"),
    ("api_key_ref", "$OPENAI_API_KEY", "SEC-005", "api_key_ref"),
    ("api_key_ref", "infisical://OPENAI_API_KEY", "SEC-006", "api_key_ref"),
    ("api_key_ref", "infisical://spine/other/OPENAI_API_KEY", "SEC-006", "api_key_ref"),
    ("auth_hint", "Zq8xW2vB7nK4mP1tR6yU3sD9", "SEC-007", "auth_hint"),
]


@pytest.mark.parametrize(("field", "value", "rule", "suffix"), LITERALS,
                         ids=[f"{r}:{f}" for f, _, r, _ in LITERALS])
def test_a_literal_in_each_field_kind_is_a_finding(spine, field, value, rule, suffix):
    _plant(spine, "openai", field, value)
    findings = _sec_findings(spine)
    assert [(f.rule, f.pointer) for f in findings] == [(rule, f"/providers/openai/{suffix}")]
    (finding,) = findings
    assert finding.line is not None
    secret = value if isinstance(value, str) else next(iter(value.values()))
    if rule in ("SEC-001", "SEC-002", "SEC-003", "SEC-007"):
        assert "sha256:" in finding.message
        for piece in _pieces(secret.removeprefix("Bearer ")):
            assert piece not in finding.message + finding.fix


def _pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[i:i + size] for i in range(max(1, len(secret) - size + 1))}


def test_literal_message_names_the_key_kind_and_fingerprint(spine):
    _plant(spine, "openai", "api_key", KEY)
    (finding,) = _sec_findings(spine)
    assert finding.message == f"api_key holds an OpenAI project/service key ({fingerprint(KEY)})" \
                              ", not a reference"


def test_secrets_in_other_registries_are_found(spine):
    _plant(spine, "executor", "notes", f"temp {KEY}", "docs/governance/ROLE_PROVIDER_MAPS.yaml",
           "roles")
    _plant(spine, "codex", "token", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
           "docs/governance/CLI_INTERFACE_REGISTRY.yaml", "cli_interfaces")
    got = {(f.rule, f.file, f.pointer) for f in _sec_findings(spine)}
    assert got == {
        ("SEC-002", "docs/governance/ROLE_PROVIDER_MAPS.yaml", "/roles/executor/notes"),
        ("SEC-001", "docs/governance/CLI_INTERFACE_REGISTRY.yaml", "/cli_interfaces/codex/token"),
    }


def test_namespace_is_configurable_through_rule_params(spine):
    _plant(spine, "openai", "api_key_ref", "infisical://team/llm/OPENAI_API_KEY")
    assert [f.rule for f in _sec_findings(spine)] == ["SEC-006"]
    (spine / "spine-gates.yaml").write_text(
        "rule_params:\n  SEC-006: {namespace: [/spine/ai/providers, /team/llm]}\n")
    assert _sec_findings(spine) == []


def test_a_root_namespace_still_refuses_root_refs(spine):
    (spine / "spine-gates.yaml").write_text("rule_params:\n  SEC-006: {namespace: /}\n")
    _plant(spine, "openai", "api_key_ref", "infisical://OPENAI_API_KEY")
    (finding,) = _sec_findings(spine)
    assert "root path" in finding.message


def test_local_providers_need_no_api_key_ref(spine):
    path = spine / PROVIDERS
    data = yaml.safe_load(path.read_text())
    del data["providers"]["local_lmstudio"]["api_key_ref"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert _sec_findings(spine) == []


@pytest.mark.parametrize(("key", "ancestors", "kind"), [
    ("api_key", (), "strict"), ("API-KEY", (), "strict"), ("x_api_key", (), "strict"),
    ("secret_key", (), "strict"), ("refresh_token", (), "strict"),
    ("Authorization", (), "strict"), ("api_key_ref", (), "ref"), ("token_ref", (), "ref"),
    ("X-Api-Key", ("headers",), "strict"), ("Cookie", ("headers",), "strict"),
    ("Content-Type", ("headers",), "loose"), ("auth_mode", (), "loose"),
    ("rate_limit_signal", (), ""), ("notes", (), ""), ("max_tokens", (), "loose"),
])
def test_field_kinds(key, ancestors, kind):
    assert field_kind(key, ancestors) == kind


def test_entropy_separates_keys_from_words_and_ids():
    assert looks_random("Zq8xW2vB7nK4mP1tR6yU3sD9")
    assert looks_random("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert not looks_random("claude-sonnet-4-5")
    assert not looks_random("requests_per_minute")
    assert not looks_random("https://api.z.ai/api/paas/v4")


def test_scan_data_covers_a_live_proxy_config():
    live = {"Providers": [
        {"name": "openai", "api_base_url": "https://api.openai.com/v1", "api_key": KEY},
        {"name": "zai", "api_key": "$Z_AI_API_KEY"},
        {"name": "lm", "api_key": "sk-local"},
    ]}
    found = {(pointer, hit.kind) for pointer, hit in scan_data(live)}
    assert found == {("/Providers/0/api_key", "literal"), ("/Providers/2/api_key", "literal")}


# Review regression: a short hex key is random-looking at a lower entropy than mixed text.
#
# Sixteen hex digits can hold at most 4 bits a character, and a real one often shows ~3.3; the
# detector's own hex threshold exists for that, and no test reached it (raising it to the text
# threshold passed the suite).
HEX_KEY = "6b86b273ff34fce1"  # the first 16 hex digits of sha256("1")
WORDS = "release-notes-for-v2"


def test_a_short_hex_key_below_the_text_threshold_still_looks_random() -> None:
    assert 3.0 <= shannon_entropy(HEX_KEY) < 3.7
    assert looks_random(HEX_KEY)
    hits = scan_value("session", HEX_KEY)
    assert [hit.kind for hit in hits] == [HIGH_ENTROPY]


def test_ordinary_text_in_the_same_field_is_not_a_hit() -> None:
    assert not looks_random(WORDS)
    assert scan_value("session", WORDS) == []
