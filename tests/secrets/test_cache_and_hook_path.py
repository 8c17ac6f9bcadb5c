"""The existence cache's TTLs and location, and the pre-commit path's imports."""

from __future__ import annotations

import subprocess
import sys

from spine_gates.secrets.cache import NEGATIVE_TTL_SECONDS, ExistenceCache, cache_dir
from spine_gates.secrets.refs import parse_ref
from tests.helpers import REPO, gates_env

REF = parse_ref("infisical://spine/ai/providers/OPENAI_API_KEY")
OTHER = parse_ref("infisical://spine/ai/providers/NOT_YET_ADDED_KEY")


def test_cache_lives_under_XDG_CACHE_HOME(tmp_path, monkeypatch):  # noqa: N802
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "spine-gates"


def test_positive_answers_expire_after_the_ttl(tmp_path):
    cache = ExistenceCache("host|p|prod", ttl=3600, path=tmp_path / "c.json")
    cache.put(REF, True, now=1000.0)
    cache.save()
    reread = ExistenceCache("host|p|prod", ttl=3600, path=tmp_path / "c.json")
    assert reread.get(REF, now=1000.0 + 3599) == (True, 3599)
    assert reread.get(REF, now=1000.0 + 3601) is None


def test_negative_answers_expire_sooner(tmp_path):
    cache = ExistenceCache("host|p|prod", ttl=3600, path=tmp_path / "c.json")
    cache.put(REF, False, now=0.0)
    assert cache.get(REF, now=NEGATIVE_TTL_SECONDS - 1) == (False, NEGATIVE_TTL_SECONDS - 1)
    assert cache.get(REF, now=NEGATIVE_TTL_SECONDS + 1) is None



def test_an_answer_exactly_as_old_as_its_ttl_is_still_fresh(tmp_path):
    cache = ExistenceCache("host|p|prod", ttl=3600, path=tmp_path / "c.json")
    cache.put(REF, True, now=0.0)
    cache.put(OTHER, False, now=0.0)
    assert cache.get(REF, now=3600.0) == (True, 3600.0)
    assert cache.get(REF, now=3600.001) is None
    assert cache.get(OTHER, now=float(NEGATIVE_TTL_SECONDS)) == (False, NEGATIVE_TTL_SECONDS)
    assert cache.get(OTHER, now=NEGATIVE_TTL_SECONDS + 0.001) is None

def test_answers_are_scoped_to_host_project_and_environment(tmp_path):
    path = tmp_path / "c.json"
    prod = ExistenceCache("host|p|prod", path=path)
    prod.put(REF, True, now=0.0)
    prod.save()
    assert ExistenceCache("host|p|staging", path=path).get(REF, now=1.0) is None


def test_a_corrupt_cache_is_an_empty_one(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{not json")
    cache = ExistenceCache("s", path=path)
    assert cache.get(REF) is None
    cache.put(REF, True)
    cache.save()
    assert ExistenceCache("s", path=path).get(REF) is not None


def test_the_pre_commit_gate_never_imports_the_sdk_or_http_stack(tmp_path):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "spine_gates", "run", "registry-policy",
         "--root", str(REPO), "--no-receipt"],
        capture_output=True, text=True, env=gates_env(XDG_CACHE_HOME=str(tmp_path)), timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "spine_gates.secrets.detect" in imported  # detection does run
    assert not imported & {"infisical_sdk", "requests", "urllib.request", "http.client",
                           "xml.sax.saxutils"}
