"""Drift of the gateway: its file (keyed, redacted, pending vs drift) and the running proxy, which
is the truth when the file changed under it or a deployment was added through its API."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import copy_reference_spine, gates_env, run_gates
from tests.litellm.conftest import Running
from tests.litellm.gateway import MASTER_KEY
from tests.secrets.corpus import echoes_a_piece


def drift(spine: Path, live: Path, *extra: str, **env: str) -> Any:
    return run_gates("run", "provider-drift", "--target", "litellm", "--live", str(live),
                     "--root", str(spine), "--format", "json", "--no-receipt", *extra,
                     env=gates_env(HOME=str(spine), **env))


def messages(result: Any) -> list[str]:
    return [f["message"] for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, Path]:
    spine = copy_reference_spine(tmp_path / "spine")
    live = tmp_path / "gateway" / "config.yaml"
    done = run_gates("sync", "--target", "litellm", "--live", str(live), "--root", str(spine),
                     env=gates_env(HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    return spine, live


def test_a_synced_gateway_file_is_in_sync(synced: tuple[Path, Path]) -> None:
    spine, live = synced
    result = drift(spine, live)
    assert result.returncode == 0, result.stdout + result.stderr
    assert messages(result)[-1].startswith("verdict in_sync: 0 drifted, 0 pending")


def test_a_hand_edited_deployment_is_drift_keyed_by_its_id(synced: tuple[Path, Path]) -> None:
    spine, live = synced
    text = live.read_text().replace("api_base: https://api.openai.com/v1",
                                    "api_base: https://evil.example/v1", 1)
    live.write_text(text)
    result = drift(spine, live)
    assert result.returncode == 2
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "DRIFT-001"]
    assert [f["message"] for f in found] == [
        "model_list[openai/o4-mini].litellm_params.api_base: live is https://evil.example/v1, "
        "SSOT says https://api.openai.com/v1"]
    assert found[0]["line"] == text.splitlines().index(
        "    api_base: https://evil.example/v1") + 1


def test_an_inline_key_in_the_file_is_drift_shown_only_as_a_fingerprint(
        synced: tuple[Path, Path]) -> None:
    spine, live = synced
    secret = "sk-live-" + "9" * 40
    live.write_text(live.read_text().replace("os.environ/OPENAI_API_KEY", secret, 1))
    result = drift(spine, live)
    assert result.returncode == 2
    assert secret not in result.stdout + result.stderr
    assert any(re.search(r"api_key: live is a literal key sha256:[0-9a-f]{8}, SSOT says "
                         r"os.environ/OPENAI_API_KEY", m) for m in messages(result))


def test_an_ssot_change_after_the_sync_is_pending_not_drift(synced: tuple[Path, Path]) -> None:
    spine, live = synced
    roles = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: openai/gpt-5"))
    result = drift(spine, live)
    assert result.returncode == 0, result.stdout
    found = json.loads(result.stdout)["findings"]
    assert {f["rule"] for f in found} == {"DRIFT-002", "DRIFT-000"}
    assert any("router_settings.model_group_alias.executor: live is openai/o4-mini, SSOT says "
               "openai/gpt-5" in f["message"] for f in found)


def test_the_running_proxy_is_the_truth_when_the_file_changed_under_it(
        running: Running, tmp_path: Path) -> None:
    """Started from A; the file is synced to B without a restart: the file matches, the proxy
    still serves A."""
    config = running.gateway.config
    before = config.read_bytes()
    spine_b = tmp_path / "spine-b"
    import shutil

    shutil.copytree(running.spine, spine_b)
    roles = spine_b / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    roles.write_text(roles.read_text().replace("primary: openai/o4-mini", "primary: openai/gpt-5"))
    try:
        synced = run_gates("sync", "--target", "litellm", "--live", str(config), "--root",
                           str(spine_b), env=gates_env(HOME=str(tmp_path)))
        assert synced.returncode == 0, synced.stderr
        file_only = drift(spine_b, config)
        assert file_only.returncode == 0, file_only.stdout
        assert messages(file_only)[-1].startswith("verdict in_sync")
        both = drift(spine_b, config, "--live-url", running.gateway.url,
                     LITELLM_MASTER_KEY=MASTER_KEY)
        assert both.returncode == 2, both.stdout + both.stderr
        assert MASTER_KEY not in both.stdout + both.stderr
        found = json.loads(both.stdout)["findings"]
        runtime = [f for f in found if f["file"] == running.gateway.url]
        assert "router_settings.model_group_alias.executor: live is openai/o4-mini, SSOT says " \
               "openai/gpt-5" in [f["message"] for f in runtime]
        assert [f["message"] for f in found if f["file"] == str(config)][-1].startswith(
            "verdict in_sync")
    finally:
        config.write_bytes(before)


def test_the_running_proxy_read_without_its_master_key_is_one_error_line(
        running: Running) -> None:
    result = drift(running.spine, running.gateway.config, "--live-url", running.gateway.url,
                   LITELLM_MASTER_KEY="wrong-master-key-123")
    assert result.returncode == 3
    # LiteLLM 1.108.7 answers a wrong master key with HTTP 400 ("Authentication Error")
    assert "is LITELLM_MASTER_KEY the proxy's master key?" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "wrong-master-key-123" not in result.stderr + result.stdout


class _Recorded(BaseHTTPRequestHandler):
    """Replays a proxy's /model/info with a deployment added through its API (database mode)."""

    answers: dict[str, Any] = {}

    def log_message(self, *args: Any) -> None:
        return None

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.headers.get("authorization") != f"Bearer {MASTER_KEY}":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps(self.answers[self.path.split("?")[0]]).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def recorded_proxy(synced: tuple[Path, Path]) -> Iterator[str]:
    import yaml

    compiled = yaml.safe_load(synced[1].read_text())
    data = [{"model_name": d["model_name"],
             "litellm_params": {k: v for k, v in d["litellm_params"].items() if k != "api_key"},
             "model_info": {"id": d["model_info"]["id"], "db_model": False}}
            for d in compiled["model_list"]]
    data.append({"model_name": "team-gpt", "litellm_params": {
        "model": "openai/gpt-4o", "api_base": "https://api.openai.com/v1"},
        "model_info": {"id": "a1b2c3", "db_model": True}})
    _Recorded.answers = {"/model/info": {"data": data}, "/get/config/callbacks": {
        "router_settings": dict(compiled["router_settings"])}}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_deployment_added_through_the_proxys_api_is_runtime_drift(
        synced: tuple[Path, Path], recorded_proxy: str) -> None:
    spine, live = synced
    result = drift(spine, live, "--live-url", recorded_proxy, LITELLM_MASTER_KEY=MASTER_KEY)
    assert result.returncode == 2, result.stdout + result.stderr
    drifted = [f["message"] for f in json.loads(result.stdout)["findings"]
               if f["rule"] == "DRIFT-001"]
    assert drifted == ["model_list[a1b2c3]: live is a deployment of openai/gpt-4o at "
                       "https://api.openai.com/v1 (added through the proxy's API, kept in its "
                       "database), SSOT has none"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_low_entropy_password_in_the_file_is_drift_shown_only_as_a_fingerprint(
        synced: tuple[Path, Path], fmt: str) -> None:
    spine, live = synced
    password = "correcthorsebatterystaple"
    config = yaml.safe_load(live.read_text())
    config.setdefault("litellm_settings", {})["cache_params"] = {
        "type": "redis", "host": "redis.internal", "password": password}
    config["environment_variables"] = {"DB_PASS": password}
    live.write_text(yaml.safe_dump(config, sort_keys=False))
    result = drift(spine, live, "--format", fmt)
    assert result.returncode == 2, result.stdout + result.stderr
    assert not echoes_a_piece(result.stdout + result.stderr, password)
    digest = "sha256:" + hashlib.sha256(password.encode()).hexdigest()[:8]
    assert digest in result.stdout
