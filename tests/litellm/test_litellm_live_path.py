"""What the LiteLLM target reads and writes as "live": the proxy's URL never carries a user or
password (refused before any connection), and sync never overwrites a file that is not a LiteLLM
config, nor one of the spine's own files."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import copy_reference_spine, gates_env, one_error_line, run_gates
from tests.secrets.corpus import echoes_a_piece

PASSWORD = "S3cretPw-q8Zr4Kx"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("userinfo", [f"admin:{PASSWORD}@", f"{PASSWORD}@", f":{PASSWORD}@"])
def test_a_live_url_with_a_user_or_password_is_refused_before_any_connection(
        userinfo: str, tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    url = f"http://{userinfo}127.0.0.1:{_closed_port()}"
    result = run_gates("run", "provider-drift", "--target", "litellm", "--root", str(spine),
                       "--live-url", url, "--no-receipt",
                       env=gates_env(HOME=str(tmp_path), LITELLM_MASTER_KEY="sk-master-test"))
    one_error_line(result, "--live-url", "user or password")
    assert "cannot reach" not in result.stderr
    assert not echoes_a_piece(result.stdout + result.stderr, PASSWORD)


def _sync(spine: Path, live: Path, home: Path) -> object:
    return run_gates("sync", "--target", "litellm", "--live", str(live), "--root", str(spine),
                     env=gates_env(HOME=str(home)))


def test_sync_refuses_a_registry_of_the_spine_as_the_live_file(tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    registry = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    before = registry.read_bytes()
    result = _sync(spine, registry, tmp_path)
    one_error_line(result, str(registry))
    assert registry.read_bytes() == before
    assert sorted(p.name for p in registry.parent.iterdir()) == sorted(
        p.name for p in (Path(__file__).resolve().parents[2] / "docs" / "governance").iterdir())


@pytest.mark.parametrize("through_link", [False, True], ids=["file", "symlink"])
def test_sync_refuses_a_yaml_mapping_that_is_not_a_litellm_config(
        through_link: bool, tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    other = tmp_path / "home" / "notes.yaml"
    other.parent.mkdir()
    other.write_text("title: my notes\nitems: [a, b]\n")
    live = other
    if through_link:
        live = tmp_path / "home" / "gateway" / "config.yaml"
        live.parent.mkdir()
        live.symlink_to(other)
    result = _sync(spine, live, tmp_path / "home")
    one_error_line(result, "not a LiteLLM config")
    assert other.read_text() == "title: my notes\nitems: [a, b]\n"
    assert [p.name for p in other.parent.iterdir() if p.name.startswith("notes")] == \
        ["notes.yaml"]


def test_sync_refuses_a_live_path_that_links_into_the_spine(tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    registry = spine / "docs" / "governance" / "ROLE_PROVIDER_MAPS.yaml"
    before = registry.read_bytes()
    registry.write_bytes(before)
    live = tmp_path / "home" / "config.yaml"
    live.parent.mkdir()
    live.symlink_to(registry)
    result = _sync(spine, live, tmp_path / "home")
    assert result.returncode == 3, result.stdout + result.stderr  # type: ignore[attr-defined]
    assert registry.read_bytes() == before
