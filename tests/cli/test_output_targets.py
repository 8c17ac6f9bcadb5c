"""`--output FILE` and `compile ccr --out FILE`: what is at the path decides how it is written.

A character device, a FIFO or `-` is written through (never replaced); a regular file, or a link
to one, is replaced atomically at the link's target, keeping its mode; a new file gets the
umask's mode; a block device, directory, socket or dangling link is bad input (exit 3) and is
left as it was. Before the fix every one of these was replaced by a regular file (as root even a
device node), with exit 0.
"""

from __future__ import annotations

import os
import select
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO, gates_env, one_error_line, run_gates

REPORT_START = "gate registry-policy"  # how `gates run registry-policy` starts its text report


def _mknod(path: Path, kind: int, major: int, minor: int) -> None:
    try:
        os.mknod(path, kind | 0o666, os.makedev(major, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")


# Every command that writes its report with --output (compile ccr: --out), and its exit code.
Command = Callable[[Path], tuple[list[str], int]]


@pytest.fixture
def commands(spine: Path, tmp_path: Path) -> dict[str, Command]:
    request = tmp_path / "request.json"
    request.write_text('{"model": "x", "messages": [{"role": "user", "content": "hi"}]}')
    root = ["--root", str(spine)]

    def live() -> str:
        path = tmp_path / "live.json"
        if not path.exists():
            compiled = run_gates("compile", "ccr", *root)
            assert compiled.returncode == 0, compiled.stderr
            path.write_text(compiled.stdout)
        return str(path)

    return {
        "run": lambda out: (["run", "registry-policy", *root, "--output", str(out)], 0),
        "receipts audit": lambda out: (["receipts", "audit", *root, "--output", str(out)], 0),
        "secrets check": lambda out: (["secrets", "check", "--offline", *root,
                                       "--output", str(out)], 0),
        "route explain": lambda out: (["route", "explain", str(request), *root,
                                       "--output", str(out)], 0),
        "route simulate": lambda out: (["route", "simulate", "--rate", "executor=5/min",
                                        "--duration", "1m", *root, "--output", str(out)], 0),
        "route resilience": lambda out: (["route", "resilience", *root, "--output", str(out)],
                                         0),
        "providers status": lambda out: (["providers", "status", "--offline", *root,
                                          "--output", str(out)], 0),
        "proxy check": lambda out: (["proxy", "check", "--live", live(), "--no-activate", *root,
                                     "--output", str(out)], 1),
        "compile ccr": lambda out: (["compile", "ccr", *root, "--out", str(out)], 0),
    }


def _env(tmp_path: Path) -> dict[str, str]:
    return gates_env(HOME=str(tmp_path / "home"))  # providers status keeps its state under HOME


COMMANDS = ["run", "receipts audit", "secrets check", "route explain", "route simulate",
            "route resilience", "providers status", "proxy check", "compile ccr"]


@pytest.mark.parametrize("name", COMMANDS)
def test_output_through_a_link_writes_the_target_keeping_link_and_mode(
        name: str, commands: dict[str, Command], tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "report-link"
    link.symlink_to(target)
    args, code = commands[name](link)
    result = run_gates(*args, env=_env(tmp_path))
    assert result.returncode == code, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    written = target.read_text()
    assert written.strip() and written != "old\n"
    assert result.stdout == ""


@pytest.mark.parametrize("name", COMMANDS)
def test_output_to_a_character_device_writes_through(
        name: str, commands: dict[str, Command], tmp_path: Path) -> None:
    null = tmp_path / "null"
    _mknod(null, stat.S_IFCHR, 1, 3)  # the same device as /dev/null, in a folder of our own
    args, code = commands[name](null)
    result = run_gates(*args, env=_env(tmp_path))
    assert result.returncode == code, result.stderr
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert result.stdout == ""


@pytest.mark.parametrize("name", COMMANDS)
def test_output_to_a_directory_is_refused(name: str, commands: dict[str, Command],
                                          tmp_path: Path) -> None:
    folder = tmp_path / "out-dir"
    folder.mkdir()
    args, _ = commands[name](folder)
    result = run_gates(*args, env=_env(tmp_path))
    one_error_line(result, str(folder), "directory")
    assert list(folder.iterdir()) == []


def test_output_dash_is_stdout(spine: Path, tmp_path: Path) -> None:
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", "-",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(REPORT_START)
    assert not (tmp_path / "-").exists()


def test_output_through_a_link_to_an_open_descriptor_writes_to_it(spine: Path,
                                                                 tmp_path: Path) -> None:
    link = tmp_path / "my-stdout"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(link))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(REPORT_START)
    assert link.is_symlink()


def test_output_replacing_a_file_keeps_its_mode(spine: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    out.write_text("old\n")
    out.chmod(0o644)
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert out.read_text().startswith(REPORT_START)


def test_output_to_the_real_dev_null_leaves_the_device(spine: Path) -> None:
    before = os.lstat("/dev/null")
    if not stat.S_ISCHR(before.st_mode):
        pytest.skip("/dev/null is not a character device here")
    try:
        result = run_gates("run", "registry-policy", "--root", str(spine),
                           "--output", "/dev/null")
    finally:
        after = os.lstat("/dev/null")
        if not stat.S_ISCHR(after.st_mode):  # a regression replaced it: restore it for everyone
            os.unlink("/dev/null")
            os.mknod("/dev/null", stat.S_IFCHR | 0o666, before.st_rdev)
            os.chmod("/dev/null", 0o666)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_output_to_the_real_dev_stdout_is_stdout(spine: Path) -> None:
    if not os.path.islink("/dev/stdout"):
        pytest.skip("/dev/stdout is not a link here")
    target = os.readlink("/dev/stdout")
    try:
        result = run_gates("run", "registry-policy", "--root", str(spine),
                           "--output", "/dev/stdout")
    finally:
        if not os.path.islink("/dev/stdout"):  # a regression replaced it: restore it
            os.unlink("/dev/stdout")
            os.symlink(target, "/dev/stdout")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(REPORT_START)


def test_output_to_dev_stdout_redirected_to_a_file_writes_that_open_file(spine: Path,
                                                                         tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with log.open("w") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        result = subprocess.run([sys.executable, "-m", "spine_gates", "run", "registry-policy",
                                 "--root", str(spine), "--output", "/dev/stdout"],
                                cwd=REPO, env=gates_env(), stdout=handle,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert log.stat().st_ino == inode  # written through the descriptor, not replaced
    assert log.read_text().startswith(REPORT_START)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the CLI is a child of this process and inherits it
    try:
        yield
    finally:
        os.umask(old)


def test_new_output_file_gets_the_umask_mode(spine: Path, tmp_path: Path,
                                             umask_022: None) -> None:
    out = tmp_path / "new-report.txt"
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_output_in_a_missing_folder_is_refused(spine: Path, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "report.txt"
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(out))
    one_error_line(result, str(out), "folder does not exist")


class _FifoReader:
    """Reads a FIFO in a thread until the writer is done; opened non-blocking, so a writer
    that never comes cannot leave the thread stuck in open()."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.chunks: list[bytes] = []
        self.writer_done = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            chunk = os.read(self.fd, 65536) if ready else b""
            if chunk:
                self.chunks.append(chunk)
            elif self.writer_done.is_set():
                return
            else:
                time.sleep(0.02)  # no writer yet: a FIFO with no writer reads as EOF

    def text(self) -> str:
        self.writer_done.set()
        self.thread.join(timeout=10)
        os.close(self.fd)
        return b"".join(self.chunks).decode()


def test_output_to_a_fifo_with_a_reader_writes_through(spine: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = _FifoReader(fifo)
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(fifo),
                       timeout=30)
    text = reader.text()
    assert result.returncode == 0, result.stderr
    assert text.startswith(REPORT_START)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_to_a_fifo_without_a_reader_is_refused_without_waiting(spine: Path,
                                                                     tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(fifo),
                       timeout=30)
    one_error_line(result, str(fifo), "FIFO has no reader")
    assert time.monotonic() - started < 20
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_to_a_block_device_is_refused(spine: Path, tmp_path: Path) -> None:
    device = tmp_path / "disk"
    _mknod(device, stat.S_IFBLK, 7, 0)  # a loop device's number; never opened
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(device))
    one_error_line(result, str(device), "block device")
    assert stat.S_ISBLK(device.lstat().st_mode)


def test_output_to_a_socket_is_refused(spine: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        result = run_gates("run", "registry-policy", "--root", str(spine),
                           "--output", str(path))
        one_error_line(result, str(path), "socket")
        assert stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        server.close()


def test_output_to_a_dangling_link_is_refused(spine: Path, tmp_path: Path) -> None:
    link = tmp_path / "report-link"
    link.symlink_to(tmp_path / "gone" / "report.txt")
    result = run_gates("run", "registry-policy", "--root", str(spine), "--output", str(link))
    one_error_line(result, str(link), "link")
    assert link.is_symlink() and not link.exists()
