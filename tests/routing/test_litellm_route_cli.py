"""`gates route explain|resilience|simulate --target litellm`: the gateway's semantics, unit by
unit, through the real CLI on small config files (the cases the loopback differential cannot
make fast or deterministic: defaults, long cooldowns, allowed_fails at LiteLLM's own default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import run_gates


def deployment(group: str, ref: str) -> dict[str, Any]:
    return {"model_name": group, "litellm_params": {"model": f"openai/{ref.split('/', 1)[1]}"},
            "model_info": {"id": ref}}


def gateway(tmp_path: Path, router: dict[str, Any], *groups: tuple[str, str]) -> Path:
    listed = [deployment(g, r) for g, r in groups] or [
        deployment("primary", "alpha/a1"), deployment("backup", "beta/b1")]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": listed, "router_settings": router}))
    return path


def explain(tmp_path: Path, config: Path, model: str, *fail: str) -> dict[str, Any]:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model": model, "messages": [{"role": "user", "content": "x"}]}))
    args = ["route", "explain", str(request), "--target", "litellm", "--litellm-config",
            str(config), "--format", "json"]
    for item in fail:
        args += ["--fail", item]
    done = run_gates(*args)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout)["outcome"])


def calls(outcome: dict[str, Any]) -> list[str]:
    return [f"{a['provider']}/{a['model']}" for a in outcome["attempts"]]


FALLBACK = {"fallbacks": [{"primary": ["backup"]}]}


def test_defaults_retry_a_429_twice_with_backoff_before_the_fallback(tmp_path: Path) -> None:
    out = explain(tmp_path, gateway(tmp_path, FALLBACK), "primary", "alpha=http_429")
    assert calls(out) == ["alpha/a1"] * 3 + ["beta/b1"]
    assert [a["wait_before"] for a in out["attempts"]] == [0, 0.875, 1.375, 0]
    assert out["seconds"] == 4.625  # 0.5 + 1 + 2 s, plus the mean jitter after each


def test_defaults_never_cool_a_lone_429_deployment_down(tmp_path: Path) -> None:
    out = explain(tmp_path, gateway(tmp_path, FALLBACK), "primary", "alpha=http_429")
    assert not any(a["cooled_down"] for a in out["attempts"])


def test_allowed_fails_at_litellms_own_default_counts_as_unset(tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "allowed_fails": 3})
    out = explain(tmp_path, config, "primary", "alpha=http_429")
    assert not any(a["cooled_down"] for a in out["attempts"])


def test_allowed_fails_one_cools_the_primary_from_its_second_failure(tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "allowed_fails": 1})
    out = explain(tmp_path, config, "primary", "alpha=http_429")
    assert [a["cooled_down"] for a in out["attempts"]] == [False, True, True, False]


def test_a_429_cools_down_at_once_in_a_group_of_two(tmp_path: Path) -> None:
    config = gateway(tmp_path, {}, ("pair", "alpha/a1"), ("pair", "beta/b1"))
    out = explain(tmp_path, config, "pair", "alpha=http_429")
    assert calls(out) == ["alpha/a1", "beta/b1"]
    assert out["attempts"][0]["cooled_down"] is True
    assert out["attempts"][1]["wait_before"] == 0  # another healthy deployment: no backoff


def test_a_hang_pays_the_timeout_on_every_attempt_and_never_cools_down(tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "timeout": 3, "allowed_fails": 1})
    out = explain(tmp_path, config, "primary", "alpha=timeout")
    assert calls(out) == ["alpha/a1"] * 3 + ["beta/b1"]
    assert out["seconds"] == 13.625  # 3 x 3 s + 4.625 s of backoff (measured: 13.6 s)
    assert not any(a["cooled_down"] for a in out["attempts"])


def test_without_a_timeout_a_hang_waits_the_default_6000_seconds(tmp_path: Path) -> None:
    out = explain(tmp_path, gateway(tmp_path, {**FALLBACK, "num_retries": 0}), "primary",
                  "alpha=timeout")
    assert out["seconds"] == 6000


def test_an_alias_does_not_inherit_its_groups_fallbacks(tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "num_retries": 0,
                                "model_group_alias": {"role": "primary"}})
    out = explain(tmp_path, config, "role", "alpha=http_503")
    assert (out["status"], calls(out)) == (503, ["alpha/a1"])


def test_the_client_gets_the_first_groups_error_when_every_fallback_fails(
        tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "num_retries": 0})
    out = explain(tmp_path, config, "primary", "alpha=http_502", "beta=http_503")
    assert (out["status"], calls(out)) == (502, ["alpha/a1", "beta/b1"])


def test_a_401_is_not_retried_in_a_single_deployment_group(tmp_path: Path) -> None:
    out = explain(tmp_path, gateway(tmp_path, FALLBACK), "primary", "alpha=http_401")
    assert calls(out) == ["alpha/a1", "beta/b1"]


def test_simulate_shows_the_default_429_pitfall_per_request(tmp_path: Path) -> None:
    done = run_gates("route", "simulate", "--target", "litellm", "--litellm-config",
                     str(gateway(tmp_path, FALLBACK)), "--fail", "alpha=http_429",
                     "--rate", "primary=10/min", "--duration", "10m", "--format", "json")
    assert done.returncode == 0, done.stderr
    load = json.loads(done.stdout)["models"]["primary"]
    assert load["upstream_calls"] == 4 * load["requests"]  # never cooled: 3 attempts + backup
    assert load["mean_seconds"] == 4.625


def test_simulate_with_allowed_fails_sends_most_requests_straight_to_the_backup(
        tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "allowed_fails": 1, "cooldown_time": 60})
    done = run_gates("route", "simulate", "--target", "litellm", "--litellm-config",
                     str(config), "--fail", "alpha=http_429", "--rate", "primary=10/min",
                     "--duration", "10m", "--format", "json")
    load = json.loads(done.stdout)["models"]["primary"]
    assert load["upstream_calls"] < 1.5 * load["requests"]


def test_resilience_says_which_names_are_down(tmp_path: Path) -> None:
    config = gateway(tmp_path, {**FALLBACK, "num_retries": 0})
    done = run_gates("route", "resilience", "--target", "litellm", "--litellm-config",
                     str(config), "--fail", "beta=http_500", "--format", "json")
    assert done.returncode == 1
    models = json.loads(done.stdout)["models"]
    assert (models["primary"]["status"], models["backup"]["status"]) == ("healthy", "down")


def test_a_fail_for_a_provider_the_gateway_does_not_reach_is_refused(tmp_path: Path) -> None:
    done = run_gates("route", "resilience", "--target", "litellm", "--litellm-config",
                     str(gateway(tmp_path, FALLBACK)), "--fail", "gamma=http_500")
    assert done.returncode == 3
    assert done.stderr.startswith("gates: error:") and "gamma" in done.stderr
