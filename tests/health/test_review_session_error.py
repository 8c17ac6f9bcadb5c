"""Review regression: a failed background refresh's error is stored and shown scrubbed.

`gates session check` prints the stored error without redacting it (it must stay fast), and the
error is an exception message that can quote a key (here a `?key=` URL given as an override).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers import run_gates

KEY = "Qq11Ww22Ee33Rr44Tt55Yy66"


def pieces(text: str, size: int = 8) -> set[str]:
    return {text[i:i + size] for i in range(len(text) - size + 1)}


def test_a_failed_refresh_never_stores_or_shows_a_key(spine: Path, health_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    failed = run_gates("providers", "status", "--root", str(spine), "--offline",
                       "--session-refresh", "--api-base-override", f"zai=ftp://x/?key={KEY}",
                       env=health_env)
    assert failed.returncode == 3
    assert "--api-base-override" in failed.stderr
    database = Path(health_env["XDG_STATE_HOME"]) / "spine-gates" / "health.sqlite3"
    with sqlite3.connect(database) as conn:
        (error,) = conn.execute("SELECT error FROM refreshes").fetchone()
    assert error and "--api-base-override" in error and "sha256:" in error
    # A snapshot makes session check read the refresh row; a registry edit makes it stale.
    done = run_gates("providers", "status", "--root", str(spine), "--offline", env=health_env)
    assert done.returncode == 0, done.stderr
    registry = spine / "docs" / "governance" / "PROVIDER_REGISTRY.yaml"
    registry.write_text(registry.read_text() + "# edited\n")
    failed = run_gates("providers", "status", "--root", str(spine), "--offline",
                       "--session-refresh", "--api-base-override", f"zai=ftp://x/?key={KEY}",
                       env=health_env)
    assert failed.returncode == 3
    session = run_gates("session", "check", "--root", str(spine), env=health_env)
    assert "last refresh failed: --api-base-override" in session.stdout, session.stdout
    outputs = failed.stdout + failed.stderr + session.stdout + session.stderr
    stored = b"".join(p.read_bytes() for p in database.parent.iterdir())  # the db and its WAL
    for piece in pieces(KEY):
        assert piece not in outputs
        assert piece.encode() not in stored
