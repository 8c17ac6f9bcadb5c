"""`gates route explain|simulate|resilience` and `gates run routing-scenarios`, as run by users."""

from __future__ import annotations

import json
from pathlib import Path

from spine_gates.secrets.redact import fingerprint
from tests.helpers import run_gates

THINK = {"model": "claude-sonnet-4-5", "thinking": {"type": "enabled", "budget_tokens": 1024},
         "messages": [{"role": "user", "content": "say hi"}]}


def _request(tmp_path: Path, body: dict) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_explain_names_rule_target_and_fallback_path(tmp_path: Path) -> None:
    done = run_gates("route", "explain", _request(tmp_path, THINK), "--fail",
                     "anthropic=http_429", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["rule"] == "think"
    assert data["target"] == "anthropic,claude-opus-4-5"
    assert data["outcome"]["model"] == "openrouter/anthropic/claude-opus-4-5"
    assert [a["result"] for a in data["outcome"]["attempts"]] == ["failed", "answered"]


def test_explain_text_shows_the_error_the_client_sees(tmp_path: Path) -> None:
    done = run_gates("route", "explain", _request(tmp_path, THINK), "--fail", "anthropic=http_5xx",
                     "--fail", "openrouter=http_429", "--fail", "nvidia_nim=http_429",
                     "--fail", "local_lmstudio=http_4xx")
    assert done.returncode == 0, done.stderr
    assert "answer:   HTTP 500, no model answers" in done.stdout
    assert "provider_response_error" in done.stdout


def test_explain_reads_any_router_config_as_json5(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('// live config\n{Providers: [{name: "p", api_base_url: "http://x", '
                      'api_key: "k", models: ["m"]},], Router: {default: "p,m",},}\n')
    done = run_gates("route", "explain", _request(tmp_path, THINK), "--ccr-config", str(config),
                     "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["rule"], data["outcome"]["model"]) == ("default", "p/m")


def test_explain_bad_input_is_one_line_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": "x",\n  "messages": [}\n')
    done = run_gates("route", "explain", str(bad))
    assert done.returncode == 3
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith(f"gates: error: {bad}:2:")
    unknown = run_gates("route", "explain", _request(tmp_path, THINK), "--fail", "openai=meh")
    assert unknown.returncode == 3 and "unknown provider state" in unknown.stderr


def test_simulate_is_seeded_and_deterministic() -> None:
    args = ("route", "simulate", "--rate", "background=60/min", "--rate", "architect=5/min",
            "--duration", "30m", "--seed", "11", "--format", "json")
    first, second = run_gates(*args), run_gates(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    nim = data["providers"]["nvidia_nim"]
    # 60 requests a minute against NIM's 40 rpm budget: about a third spill to the fallback.
    assert nim["rate_limited"] > 0
    assert data["roles"]["background"]["fallback"]["1"] == nim["rate_limited"]
    other = run_gates(*args[:-4], "--seed", "12", "--format", "json")
    assert json.loads(other.stdout)["totals"] != data["totals"]


def test_simulate_within_budget_takes_no_fallback() -> None:
    done = run_gates("route", "simulate", "--rate", "background=10/min", "--duration", "1h",
                     "--format", "json")
    data = json.loads(done.stdout)
    assert data["totals"]["fallbacks_taken"] == 0
    assert data["totals"]["requests"] == data["roles"]["background"]["primary"]


def test_resilience_role_view_and_exit_code() -> None:
    healthy = run_gates("route", "resilience", "--fail", "openai=http_429", "--format", "json")
    assert healthy.returncode == 0, healthy.stderr
    data = json.loads(healthy.stdout)
    assert data["roles"]["executor"]["status"] == "degraded"
    assert data["roles"]["architect"]["status"] == "healthy"
    assert data["slots"]["think"]["final_on_timeout"] == "anthropic"
    down = run_gates("route", "resilience", "--fail", "anthropic=timeout")
    assert down.returncode == 1
    assert "architect      down" in down.stdout


def test_routing_scenarios_gate_passes_on_the_reference_spine() -> None:
    done = run_gates("run", "routing-scenarios", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    summary = [f for f in report["findings"] if f["rule"] == "SCEN-000"]
    assert summary and "routing scenarios hold" in summary[0]["message"]


def test_a_broken_chain_fails_its_scenario_with_file_and_line(spine: Path) -> None:
    scenarios = spine / "scenarios"
    scenarios.mkdir()
    (scenarios / "s.yaml").write_text(
        "scenarios:\n"
        "  - name: openai down\n"
        "    given: {providers: {openai: http_429}}\n"
        "    when: {role: executor}\n"
        "    then:\n"
        "      role_state: degraded\n"
        "      model: openrouter/anthropic/claude-sonnet-4-5\n")
    roles = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("      - openrouter/anthropic/claude-sonnet-4-5\n",
                                               ""))
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "SCEN-001"]
    assert [(f["file"], f["line"], f["pointer"]) for f in failed] == [
        ("scenarios/s.yaml", 7, "/scenarios/0/then/model")]
    assert "zai/glm-5" in failed[0]["message"]


def test_a_slot_without_a_second_provider_is_a_single_point_of_failure(spine: Path) -> None:
    roles = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    text = roles.read_text()
    start = text.index("  background:")
    block = text[start:]
    head, _, tail = block.partition("    fallback_chain:\n")
    tail = tail.split("    inject:", 1)[1]
    roles.write_text(text[:start] + head + "    fallback_chain: [nvidia_nim/moonshotai/kimi-k2.5]"
                     "\n    inject:" + tail)
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--format", "json")
    findings = json.loads(done.stdout)["findings"]
    spof = [f for f in findings if f["rule"] == "ROLE-110"]
    assert len(spof) == 1 and "slot background" in spof[0]["message"], findings
    assert spof[0]["file"].endswith("ROLE_PROVIDER_MAPS.yaml") and spof[0]["line"]


def test_an_ssot_that_does_not_compile_is_a_warning_not_an_abort(spine: Path) -> None:
    roles = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: nowhere/m1"))
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--format", "json")
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    skipped = [f for f in findings if f["rule"] == "SCEN-002"]
    assert len(skipped) == 1 and "nowhere" in skipped[0]["message"]
    assert skipped[0]["file"].endswith("ROLE_PROVIDER_MAPS.yaml") and skipped[0]["line"]


def test_a_fail_or_budget_for_an_unknown_provider_is_bad_input(tmp_path: Path) -> None:
    typo = run_gates("route", "explain", _request(tmp_path, THINK), "--fail", "antropic=http_429")
    assert typo.returncode == 3
    assert "defines no provider 'antropic'" in typo.stderr and "anthropic" in typo.stderr
    budget = run_gates("route", "simulate", "--rate", "background=10/min", "--duration", "1m",
                       "--budget", "nim=5/min")
    assert budget.returncode == 3 and "defines no provider 'nim'" in budget.stderr
    model_key = run_gates("route", "explain", _request(tmp_path, THINK), "--fail",
                          "openrouter/anthropic/claude-opus-4-5=http_5xx")
    assert model_key.returncode == 0, model_key.stderr


def _scenario_with_config(spine: Path, ref: str) -> Path:
    scenarios = spine / "scenarios"
    scenarios.mkdir(exist_ok=True)
    (scenarios / "s.yaml").write_text(
        f"ccr_config: {json.dumps(ref)}\n"
        "scenarios:\n"
        "  - name: healthy\n"
        "    when: {role: executor}\n"
        "    then: {role_state: healthy}\n")
    return scenarios


def test_a_scenario_router_config_outside_the_scenarios_directory_is_refused(
        spine: Path, tmp_path: Path) -> None:
    """A scenario file must not make the gate read (and report on) files the spine does not
    govern: an absolute path, a '..' escape and a link pointing outside are all bad input."""
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps({"Providers": [], "Router": {}}))
    scenarios = _scenario_with_config(spine, str(outside))
    for ref in (str(outside), "../../elsewhere.json", "inside-link.json", "con\0fig.json"):
        (scenarios / "inside-link.json").unlink(missing_ok=True)
        (scenarios / "inside-link.json").symlink_to(outside)
        _scenario_with_config(spine, ref)
        done = run_gates("run", "routing-scenarios", "--root", str(spine))
        assert done.returncode == 3, (ref, done.stdout, done.stderr)
        assert done.stderr.strip().startswith(
            f"gates: error: scenarios/s.yaml:1: 'ccr_config' {ref!r} must stay inside"), done.stderr


def test_a_scenario_router_config_inside_the_scenarios_directory_is_used(spine: Path) -> None:
    scenarios = _scenario_with_config(spine, "configs/router.json")
    (scenarios / "configs").mkdir()
    compiled = run_gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 0, compiled.stderr
    (scenarios / "configs" / "router.json").write_text(compiled.stdout)
    done = run_gates("run", "routing-scenarios", "--root", str(spine))
    assert done.returncode == 0, done.stdout + done.stderr


def test_resilience_of_a_named_live_config_is_checked_too(spine: Path, tmp_path: Path) -> None:
    """`--live PATH`: a hand-edited proxy that lost a slot's fallbacks (ROLE-110) or points a
    fallback at a provider it does not register (ROLE-111) fails, at the live file's line."""
    compiled = run_gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 0, compiled.stderr
    config = json.loads(compiled.stdout)
    config["fallback"]["think"] = []
    config["fallback"]["background"][0] = "ghost,some-model"
    live = tmp_path / "config.json"
    live.write_text(json.dumps(config, indent=2))
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--live", str(live),
                     "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    found = {(f["rule"], f["file"], f["pointer"]) for f in json.loads(done.stdout)["findings"]
             if f["file"] == str(live)}
    assert found == {("ROLE-110", str(live), "/Router/think"),
                     ("ROLE-111", str(live), "/fallback/background/0")}
    ghost = next(f for f in json.loads(done.stdout)["findings"] if f["rule"] == "ROLE-111")
    assert ghost["line"] == live.read_text().splitlines().index('      "ghost,some-model",') + 1

    live.write_text(compiled.stdout)  # in step with the SSOT again: nothing on the live file
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--live", str(live),
                     "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [f for f in json.loads(done.stdout)["findings"] if f["file"] == str(live)]


def test_explain_under_profile_1_0_fills_router_variables(spine: Path, tmp_path: Path) -> None:
    """1.0.73 interpolates `$NAME` in Router (measured); 2.0.0 routes to the literal text."""
    from tests.helpers import gates_env

    config = json.loads(run_gates("compile", "ccr", "--root", str(spine)).stdout)
    config["Router"]["default"] = "$DEFAULT_ROUTE"
    live = tmp_path / "config.json"
    live.write_text(json.dumps(config))
    body = _request(tmp_path, {"model": "claude-sonnet-4-5",
                               "messages": [{"role": "user", "content": "hi"}]})
    env = gates_env(DEFAULT_ROUTE="zai,glm-5")
    one = run_gates("route", "explain", body, "--ccr-config", str(live), "--profile", "1.0",
                    "--format", "json", env=env)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["target"] == "zai,glm-5"
    two = run_gates("route", "explain", body, "--ccr-config", str(live), "--format", "json",
                    env=env)
    assert json.loads(two.stdout)["target"] == "$DEFAULT_ROUTE"


def test_a_router_variable_that_is_not_a_route_is_never_shown(spine: Path, tmp_path: Path) -> None:
    """Under profile 1.0 `${ANY_NAME}` in Router is filled from the environment; a value that
    names no registered provider may be anything, a key included: fingerprint only."""
    from tests.helpers import gates_env

    secret = "s3cr3t-client-value-9f8e7d"
    config = json.loads(run_gates("compile", "ccr", "--root", str(spine)).stdout)
    config["Router"]["default"] = "${INFISICAL_CLIENT_SECRET},x"
    live = tmp_path / "config.json"
    live.write_text(json.dumps(config))
    body = _request(tmp_path, {"model": "claude-sonnet-4-5",
                               "messages": [{"role": "user", "content": "hi"}]})
    env = gates_env(INFISICAL_CLIENT_SECRET=secret)
    for command in (("route", "explain", body), ("route", "resilience")):
        for fmt in ("text", "json"):
            done = run_gates(*command, "--ccr-config", str(live), "--profile", "1.0",
                             "--format", fmt, env=env)
            assert done.returncode in (0, 1, 2), done.stderr
            assert secret not in done.stdout + done.stderr
            assert secret[:8] not in done.stdout + done.stderr
    shown = run_gates("route", "explain", body, "--ccr-config", str(live), "--profile", "1.0",
                      "--format", "json", env=env)
    assert json.loads(shown.stdout)["target"].startswith("sha256:")


def test_a_fallback_that_is_not_an_object_is_reported_not_a_crash(spine: Path,
                                                                  tmp_path: Path) -> None:
    """The router reads a non-object `fallback` as no fallback lists: predicted so, and the gate
    reports the wrong type (CCR-SCHEMA-001) rather than judging a shape the router ignores."""
    config = json.loads(run_gates("compile", "ccr", "--root", str(spine)).stdout)
    config["fallback"] = ["openrouter,anthropic/claude-sonnet-4-5"]
    live = tmp_path / "config.json"
    live.write_text(json.dumps(config))
    body = _request(tmp_path, {"model": "claude-sonnet-4-5",
                               "messages": [{"role": "user", "content": "hi"}]})
    explained = run_gates("route", "explain", body, "--ccr-config", str(live), "--fail",
                          "openai=http_429", "--format", "json")
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)["outcome"]["status"] == 429
    assert run_gates("route", "resilience", "--ccr-config", str(live)).returncode in (0, 1, 2)
    for gate in ("routing-scenarios", "all"):
        done = run_gates("run", gate, "--root", str(spine), "--live", str(live), "--format",
                         "json")
        assert done.returncode in (1, 2), done.stdout + done.stderr
        wrong = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "CCR-SCHEMA-001"]
        assert [f["pointer"] for f in wrong] == ["/fallback"]


TAG = "<CCR-SUBAGENT-MODEL>zai,glm-5</CCR-SUBAGENT-MODEL>"


def _system(*texts: str) -> dict:
    return {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "go"}],
            "system": [{"type": "text", "text": text} for text in texts]}


def test_a_subagent_tag_at_the_start_of_system_1_routes_to_its_model(tmp_path: Path) -> None:
    done = run_gates("route", "explain", _request(tmp_path, _system("main", TAG + "sub", "x")),
                     "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["rule"], data["target"]) == ("subagent", "zai,glm-5")


def test_a_subagent_tag_in_the_last_of_two_system_entries_is_system_1(tmp_path: Path) -> None:
    done = run_gates("route", "explain", _request(tmp_path, _system("main", TAG + "sub")),
                     "--format", "json")
    assert json.loads(done.stdout)["rule"] == "subagent", done.stderr


def test_a_subagent_tag_at_the_start_of_system_2_is_ignored(tmp_path: Path) -> None:
    """The router reads system[1] only, not the last entry: a tag in system[2] routes to
    default."""
    done = run_gates("route", "explain", _request(tmp_path, _system("main", "sub", TAG + "x")),
                     "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rule"] == "default"


def _simulate_one_minute(budget: int) -> dict:
    """600 background requests in one simulated minute against a budget of `budget` rpm: every
    arrival falls in the first rate window, so the budget alone decides how many the primary
    takes."""
    done = run_gates("route", "simulate", "--rate", "background=600/min", "--duration", "1m",
                     "--budget", f"nvidia_nim={budget}/min", "--seed", "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_rate_budget_of_n_per_minute_admits_exactly_n_requests() -> None:
    data = _simulate_one_minute(40)
    assert data["roles"]["background"]["primary"] == 40
    assert data["providers"]["nvidia_nim"]["rate_limited"] == data["totals"]["requests"] - 40


# Review regression: routing that cannot be evaluated because of the spine's own settings fails.
#
# The registry rules report a registry's faults, so SCEN-002 stays informational for those; nothing
# else checks `ccr:` in spine-gates.yaml, and a gate that passed there would pass a spine whose
# router config cannot even be compiled (and, for a pasted key, never name the key's fingerprint).
PASTED = "Xq7mWp2LkR9tZ4vB8nC3yH6jD1fG5sA0"  # a key of no known format, pasted for a reference


def test_a_bad_ccr_setting_fails_routing_scenarios_without_echoing_it(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text(f"ccr:\n  apikey_ref: {PASTED}\n")
    compiled = run_gates("compile", "ccr", "--root", str(spine))
    assert compiled.returncode == 1 and "SEC-" in compiled.stderr  # a deploy blocker
    assert PASTED[:8] not in compiled.stdout + compiled.stderr
    for gate in ("routing-scenarios", "all"):
        done = run_gates("run", gate, "--root", str(spine), "--format", "json")
        assert done.returncode == 1, (gate, done.stderr)
        findings = json.loads(done.stdout)["findings"]
        skipped = [f for f in findings if f["rule"] == "SCEN-002"]
        assert len(skipped) == 1 and skipped[0]["severity"] == "error", findings
        assert skipped[0]["file"] == "spine-gates.yaml"
        assert fingerprint(PASTED) in skipped[0]["message"]
        assert "spine-gates.yaml" in skipped[0]["fix"]
        assert PASTED[:8] not in done.stdout + done.stderr


def test_a_good_ccr_setting_leaves_routing_evaluated(spine: Path) -> None:
    (spine / "spine-gates.yaml").write_text("ccr:\n  apikey_ref: env:CCR_APIKEY\n")
    done = run_gates("run", "routing-scenarios", "--root", str(spine), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    rules = {f["rule"] for f in json.loads(done.stdout)["findings"]}
    assert "SCEN-002" not in rules, rules
