"""Malformed inputs: one clear line naming the file (and line), exit 3, fast, never a traceback."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "malformed"
TARGET = "docs/governance/PROVIDER_REGISTRY.yaml"

# file in the corpus -> (expected line or None, words the message must contain)
CASES = {
    "syntax_error.yaml": (4, "YAML syntax error"),
    "duplicate_key.yaml": (10, "duplicate key 'anthropic' (first defined at line 6)"),
    "alias_bomb.yaml": (None, "alias bomb"),
    "recursive_alias.yaml": (None, "nesting deeper than"),
    "deep_nesting.yaml": (1, "nesting deeper than 64 levels"),
    "very_deep_nesting.yaml": (1, "nesting depth"),
    "top_level_list.yaml": (1, "expected a mapping with 'providers:'"),
    "top_level_scalar.yaml": (1, "expected a mapping with 'providers:'"),
    "empty.yaml": (1, "found an empty document"),
    "non_utf8.yaml": (4, "not valid UTF-8"),
    "python_tag.yaml": (1, "unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    "binary_value.yaml": (2, "binary values are not allowed"),
    "two_documents.yaml": (None, "found another document"),
    "tab_indent.yaml": (2, "YAML syntax error"),
    "complex_key.yaml": (2, "mapping keys must be plain scalars"),
}


def _assert_one_clear_line(result, started: float, words: str, line: int | None) -> None:
    elapsed = time.monotonic() - started
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gates: error: ")
    assert TARGET in lines[0]
    if line is not None:
        assert f"{TARGET}:{line}: " in lines[0], lines[0]
    assert words in lines[0], lines[0]
    assert elapsed < 1.5, f"took {elapsed:.2f}s"
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_registry_gives_one_line_and_exit_3(name, spine, gates):
    shutil.copyfile(CORPUS / name, spine / TARGET)
    started = time.monotonic()
    result = gates("run", "registry-policy", "--root", str(spine))
    line, words = CASES[name]
    _assert_one_clear_line(result, started, words, line)


def test_a_50_mb_file_is_refused_before_it_is_read(spine, gates):
    with (spine / TARGET).open("w") as handle:
        chunk = "# padding " + "x" * 1013 + "\n"
        for _ in range(50 * 1024):
            handle.write(chunk)
    started = time.monotonic()
    result = gates("run", "registry-policy", "--root", str(spine))
    _assert_one_clear_line(result, started, "over the 1 MiB limit", None)


def test_a_missing_registry_is_named(spine, gates):
    (spine / TARGET).unlink()
    started = time.monotonic()
    result = gates("run", "registry-policy", "--root", str(spine))
    _assert_one_clear_line(result, started, "file not found", None)


def test_a_directory_where_the_registry_should_be(spine, gates):
    (spine / TARGET).unlink()
    (spine / TARGET).mkdir()
    started = time.monotonic()
    result = gates("run", "registry-policy", "--root", str(spine))
    _assert_one_clear_line(result, started, "is a directory", None)


def test_an_unreadable_registry_is_an_input_error(spine, gates, tmp_path):
    import os

    if os.geteuid() == 0:
        # root reads any file; a FIFO stands in for "cannot be read as a file"
        (spine / TARGET).unlink()
        os.mkfifo(spine / TARGET)
        words = "not a regular file"
    else:
        (spine / TARGET).chmod(0)
        words = "permission denied"
    started = time.monotonic()
    result = gates("run", "registry-policy", "--root", str(spine))
    _assert_one_clear_line(result, started, words, None)


def test_bad_usage_is_exit_3_with_one_line(gates):
    result = gates("run", "no-such-gate")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("gates: error: unknown gate 'no-such-gate'")
    result = gates("run", "registry-policy", "--format", "yaml")
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_root_that_is_not_a_directory(gates, tmp_path):
    result = gates("run", "registry-policy", "--root", str(tmp_path / "nope"))
    assert result.returncode == 3
    assert "--root is not a directory" in result.stderr
