"""`route explain` counts tokens only when the request could cross the long-context threshold.

Every cl100k token is at least one UTF-8 byte, so a request smaller than the threshold in bytes
cannot reach it: explain reports the byte bound and never loads the tokenizer (about 1 s and
100 MB). A larger request is counted exactly, and `--exact-tokens` forces the count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, run_gates

ONE_LINE = {"model": "claude-sonnet-4-5", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Fix the failing test"}]}


def _request(tmp_path: Path, body: dict[str, object]) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _explain(request: Path, *extra: str) -> dict[str, object]:
    done = run_gates("route", "explain", "--reference", "--format", "json", *extra, str(request))
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_one_line_request_reports_its_byte_bound_not_a_count(tmp_path: Path) -> None:
    result = _explain(_request(tmp_path, ONE_LINE))
    assert result["tokens_exact"] is False
    assert result["tokens"] == len(b"Fix the failing test")
    assert result["rule"] == "default"


def test_exact_tokens_counts_a_one_line_request(tmp_path: Path) -> None:
    result = _explain(_request(tmp_path, ONE_LINE), "--exact-tokens")
    assert result["tokens_exact"] is True
    assert result["tokens"] == 4  # "Fix the failing test" in cl100k_base


def test_a_request_larger_than_the_threshold_in_bytes_is_counted_exactly(tmp_path: Path) -> None:
    # 70,000 bytes of one repeated word: far above 60,000 bytes, far below 60,000 tokens
    body = {**ONE_LINE, "messages": [{"role": "user", "content": "ab " * 23_334}]}
    result = _explain(_request(tmp_path, body))
    assert result["tokens_exact"] is True
    assert isinstance(result["tokens"], int) and result["tokens"] < 60_000
    assert result["rule"] == "default"


def test_the_text_report_says_the_figure_is_a_bound(tmp_path: Path) -> None:
    done = run_gates("route", "explain", "--reference", str(_request(tmp_path, ONE_LINE)))
    assert done.returncode == 0, done.stderr
    assert "tokens:   at most 20 (UTF-8 bytes, below the threshold: not counted)" in done.stdout


def test_explaining_a_one_line_request_never_loads_the_tokenizer(tmp_path: Path) -> None:
    request = _request(tmp_path, ONE_LINE)
    probe = ("import sys, contextlib, io\n"
             "from spine_gates.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    code = main(['route', 'explain', '--reference', {str(request)!r}])\n"
             "print(code, 'bpe_openai' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=False)
    assert done.stdout.split() == ["0", "False"], done.stderr
    forced = probe.replace("['route', 'explain',", "['route', 'explain', '--exact-tokens',")
    done = subprocess.run([sys.executable, "-c", forced], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=False)
    assert done.stdout.split() == ["0", "True"], done.stderr
