"""The `state:` block's Redis URL never carries a password, in its userinfo or in its query (both
are what a Redis client logs in with): it is refused before any connection, naming its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_reference_spine, gates_env, one_error_line, run_gates
from tests.secrets.corpus import echoes_a_piece

SECRET = "secretpass-7Hq2Lx9Vb4"


@pytest.mark.parametrize("query", [f"password={SECRET}", f"db=0&password={SECRET}"])
def test_a_password_in_the_redis_urls_query_is_refused_without_echoing_it(
        query: str, tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    (spine / "spine-gates.yaml").write_text(
        f"state:\n  backend: redis\n  url: \"redis://127.0.0.1:1/0?{query}\"\n")
    result = run_gates("providers", "status", "--root", str(spine), "--offline",
                       env=gates_env(HOME=str(tmp_path / "home")))
    one_error_line(result, "spine-gates.yaml:3:", "state.url carries a password")
    assert not echoes_a_piece(result.stdout + result.stderr, SECRET)


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/0?password=" + SECRET,
                                 "redis://:" + SECRET + "@127.0.0.1:bad/0"])
def test_a_bad_redis_url_with_a_password_is_refused_without_echoing_it(
        url: str, tmp_path: Path) -> None:
    spine = copy_reference_spine(tmp_path / "spine")
    (spine / "spine-gates.yaml").write_text(f"state:\n  backend: redis\n  url: \"{url}\"\n")
    result = run_gates("providers", "status", "--root", str(spine), "--offline",
                       env=gates_env(HOME=str(tmp_path / "home")))
    one_error_line(result, "spine-gates.yaml:3:", "state.url")
    assert not echoes_a_piece(result.stdout + result.stderr, SECRET)
