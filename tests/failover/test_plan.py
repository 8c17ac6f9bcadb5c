"""The failover plan: which slots move, to which chain entry, and what it cannot fix."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from spine_gates.failover import overrides
from spine_gates.failover.plan import plan, states_from_snapshot
from spine_gates.failover.settings import FailoverSettings
from spine_gates.health.state import Health, State
from tests.failover.helpers import NOW, healthy, hung, load

SETTINGS = FailoverSettings()


def _free_only_background_with_a_paid_entry(root: Path) -> None:
    """The background role (free-only) gets a paid OpenRouter model first in its chain."""
    path = root / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    text = path.read_text()
    old = "      - openrouter/z-ai/glm-4.5-air:free\n      - local_lmstudio/qwen2.5-coder\n"
    assert old in text
    path.write_text(text.replace(old, "      - openrouter/anthropic/claude-sonnet-4-5\n"
                                      "      - local_lmstudio/qwen2.5-coder\n"))


def test_all_healthy_is_nothing_to_do(spine: Path) -> None:
    model, live = load(spine)
    result = plan(model, healthy(), live, SETTINGS, NOW)
    assert result.nothing_to_do and result.exit_code == 0
    assert result.to_json()["status"] == "nothing_to_do"
    assert result.changes == () and result.stuck == ()


def test_hung_primary_moves_every_slot_of_its_role_to_the_first_healthy_entry(
        spine: Path) -> None:
    model, live = load(spine)
    result = plan(model, healthy(openai=hung()), live, SETTINGS, NOW)
    moved = {c.slot: (c.replaces, c.route) for c in result.changes}
    assert moved == {"default": ("openai,o4-mini", "openrouter,anthropic/claude-sonnet-4-5"),
                     "webSearch": ("openai,o4-mini", "openrouter,anthropic/claude-sonnet-4-5")}
    assert result.status == "changes_proposed" and result.exit_code == 1
    assert all(c.role == "executor" and c.state is State.UNREACHABLE for c in result.changes)


def test_chain_order_skips_unhealthy_entries(spine: Path) -> None:
    model, live = load(spine)
    states = healthy(openai=hung(),
                     openrouter=Health(State.RATE_LIMITED, "HTTP 429"),
                     zai=Health(State.AUTH_FAILED, "HTTP 401"))
    change = next(c for c in plan(model, states, live, SETTINGS, NOW).changes
                  if c.slot == "default")
    assert change.route == "nvidia_nim,z-ai/glm5"
    assert [ref for ref, _ in change.skipped] == ["openrouter/anthropic/claude-sonnet-4-5",
                                                  "zai/glm-5"]


def test_model_level_quota_signal_triggers(spine: Path) -> None:
    model, live = load(spine)
    provider = Health(State.HEALTHY, "models listed", models={
        "claude-opus-4-5": Health(State.QUOTA_EXHAUSTED, "enforced_spend_limit_reached")})
    result = plan(model, healthy(anthropic=provider), live, SETTINGS, NOW)
    assert {c.slot for c in result.changes} == {"think", "longContext"}
    assert {c.route for c in result.changes} == {"openrouter,anthropic/claude-opus-4-5"}


def test_rate_limited_is_not_a_default_trigger(spine: Path) -> None:
    model, live = load(spine)
    states = healthy(openai=Health(State.RATE_LIMITED, "HTTP 429, retry-after 20"))
    assert plan(model, states, live, SETTINGS, NOW).nothing_to_do
    configured = FailoverSettings(triggers=(State.RATE_LIMITED,))
    assert {c.slot for c in plan(model, states, live, configured, NOW).changes} == {
        "default", "webSearch"}


def test_free_only_role_never_reaches_a_paid_provider(spine: Path) -> None:
    _free_only_background_with_a_paid_entry(spine)
    model, live = load(spine)
    result = plan(model, healthy(nvidia_nim=hung()), live, SETTINGS, NOW)
    change = next(c for c in result.changes if c.slot == "background")
    assert change.route == "local_lmstudio,qwen2.5-coder"
    assert change.skipped[0][0] == "openrouter/anthropic/claude-sonnet-4-5"
    assert "free-only" in change.skipped[0][1] and "paid" in change.skipped[0][1]


def test_free_only_role_is_stuck_rather_than_paid(spine: Path) -> None:
    _free_only_background_with_a_paid_entry(spine)
    model, live = load(spine)
    states = healthy(nvidia_nim=hung(),
                     local_lmstudio=Health(State.UNREACHABLE, "connection refused"))
    result = plan(model, states, live, SETTINGS, NOW)
    assert "background" not in {c.slot for c in result.changes}
    assert [s.slot for s in result.stuck] == ["background"]
    assert result.exit_code == 1


def test_hung_fallback_default_entry_is_a_warning(spine: Path) -> None:
    model, live = load(spine)
    live["fallback"]["default"] = ["zai,glm-5", "local_lmstudio,qwen3-32b"]
    states = healthy(openai=hung(), zai=hung(),
                     local_lmstudio=Health(State.UNREACHABLE, "connection refused"))
    result = plan(model, states, live, SETTINGS, NOW)
    kinds = {(w.slot, w.kind, w.entry) for w in result.warnings}
    assert ("default", "hung_fallback", "zai,glm-5") in kinds
    assert ("default", "unreachable_fallback", "local_lmstudio,qwen3-32b") in kinds
    assert ("webSearch", "fallback_list_changes", None) in kinds


def test_active_override_to_a_healthy_route_is_nothing_to_do_then_a_revert(
        spine: Path) -> None:
    model, live = load(spine)
    first = plan(model, healthy(openai=hung()), live, SETTINGS, NOW)
    overrides.apply(first, _dt.timedelta(minutes=30), NOW)
    active = overrides.active(NOW)
    assert plan(model, healthy(openai=hung()), live, SETTINGS, NOW, active).nothing_to_do
    recovered = plan(model, healthy(), live, SETTINGS, NOW, active)
    assert {o.slot for o in recovered.reverts} == {"default", "webSearch"}
    assert recovered.to_json()["status"] == "changes_proposed"


def test_plan_json_is_documented_shape_and_serialisable(spine: Path) -> None:
    model, live = load(spine)
    data = json.loads(json.dumps(plan(model, healthy(openai=hung()), live, SETTINGS,
                                      NOW).to_json()))
    assert set(data) == {"version", "status", "checked_at", "changes", "stuck", "reverts",
                         "warnings"}
    assert set(data["changes"][0]) == {"slot", "role", "replaces", "route", "state", "reason",
                                       "until", "evidence", "skipped", "fallback"}
    assert data["checked_at"] == "2026-12-03T08:00:00Z"


def test_states_from_a_cached_status_snapshot() -> None:
    snapshot = {"providers": [
        {"id": "openai", "state": "unreachable", "reason": "no answer within 5 s",
         "until": "2026-12-03T08:05:00Z", "http_status": None},
        {"id": "anthropic", "state": "healthy", "reason": "ok", "models": {
            "claude-opus-4-5": {"state": "quota_exhausted", "reason": "spend limit"}}}]}
    states = states_from_snapshot(snapshot)
    assert states["openai"].state is State.UNREACHABLE
    assert states["openai"].until == _dt.datetime(2026, 12, 3, 8, 5, tzinfo=_dt.UTC)
    assert states["anthropic"].models["claude-opus-4-5"].state is State.QUOTA_EXHAUSTED
