"""Profile 1.0 against the real claude-code-router 1.0.73: same requests, same failures.

1.0.73 is installed beside 2.0.0 under the npm alias `ccr-1.0` (package.json) and started the
same way (`ccr start` in the foreground, HOME in a temp dir, ready on `GET /health`). The shared
case table runs through it and through the evaluator with `supports_fallback=False`; the configs
keep their `fallback` lists, so a failed primary that is final here proves 1.0 ignores the key
(CCR-PROFILE-001), not that the list was missing. A second part runs the config that
`gates compile ccr --profile 1.0` builds from the reference spine, and `gates route explain
--profile 1.0` itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spine_gates.routing.explain import explain_request
from spine_gates.routing.fallback import Failures
from spine_gates.routing.tokens import count_request_tokens
from tests.ccr.ccr_fakes import PACKAGES, ccr_binary
from tests.routing.cases import API_KEY, Case, cases
from tests.routing.harness import RouterPool, assert_agrees, pool
from tests.routing.test_differential import TOKEN_BODIES

CASES = cases()


@pytest.fixture(scope="module")
def routers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouterPool]:
    yield from pool(Path(tmp_path_factory.mktemp("routing-diff-1.0")), version="1.0")


def test_both_versions_are_installed_and_ccr_on_path_is_2_0() -> None:
    for version, (package, expected) in PACKAGES.items():
        cli = Path(ccr_binary(version))
        manifest = next(p / "package.json" for p in Path(cli).resolve().parents
                        if (p / "package.json").is_file())
        assert json.loads(manifest.read_text())["version"] == expected, (version, package)
    assert Path(ccr_binary("2.0")).resolve() != Path(ccr_binary("1.0")).resolve()


def test_harness_refuses_a_bin_ccr_that_is_not_2_0(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An incremental `npm install` can link node_modules/.bin/ccr to the 1.0.73 alias: the 2.0
    tests must then fail with the fix, not run against the wrong router."""
    import tests.ccr.ccr_fakes as fakes

    package = tmp_path / "node_modules" / "ccr-1.0"
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "cli.js").write_text("#!/usr/bin/env node\n")
    (package / "package.json").write_text(json.dumps({"version": "1.0.73",
                                                      "bin": {"ccr": "dist/cli.js"}}))
    (tmp_path / "node_modules" / ".bin").mkdir()
    (tmp_path / "node_modules" / ".bin" / "ccr").symlink_to("../ccr-1.0/dist/cli.js")
    monkeypatch.setattr(fakes, "REPO", tmp_path)
    with pytest.raises(AssertionError, match=r"claude-code-router 1\.0\.73, not 2\.0\.0"):
        fakes.ccr_binary()
    assert fakes.ccr_binary("1.0") == str(package / "dist" / "cli.js")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_evaluator_agrees_with_the_real_1_0_router(case: Case, routers: RouterPool) -> None:
    config = routers.config(case.config)
    predicted = explain_request(case.body, config, Failures.from_mapping(case.fail),
                                custom_route=case.custom_route, supports_fallback=False)
    assert predicted.decision.rule == case.rule, predicted.decision.reason

    real = routers.run(case)

    assert_agrees(predicted, real)
    primary = predicted.outcome.attempts[0] if predicted.outcome.attempts else None
    if primary is not None and primary.result == "failed":
        # no fallback in 1.0: the primary is the only upstream call and its failure is final
        assert len(real.calls) == 1 and real.answer is None, real.calls
        if primary.status is not None:
            assert real.status == primary.status, real.body


@pytest.mark.parametrize("index", range(len(TOKEN_BODIES)))
def test_token_count_matches_the_1_0_router(index: int, routers: RouterPool) -> None:
    """1.0.73 counts with the npm tiktoken (WASM), 2.0.0 with its own bundle: same cl100k."""
    body = {"model": "claude-sonnet-4-5", **TOKEN_BODIES[index]}
    router = routers.get(routers.kind or "main")
    assert count_request_tokens(body) == router.count_tokens(body, API_KEY)
