"""Is the router that reads the override running? One short GET of its /health on 127.0.0.1.

`apply` records the override either way (the module reads it from the router's first request),
but an operator whose router is stopped must be told to start it, or nothing is answered at
all. Only loopback is probed, whatever `HOST` says: the live config is the user's file, and this
check must never reach another machine.
"""

from __future__ import annotations

import http.client
from typing import Any

DEFAULT_PORT = 3456  # claude-code-router's own default when the config names no PORT
TIMEOUT_S = 0.5


def router_port(live: dict[str, Any]) -> int:
    port = live.get("PORT")
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        return port
    if isinstance(port, str) and port.isdigit() and 0 < int(port) < 65536:
        return int(port)
    return DEFAULT_PORT


def router_running(port: int, timeout: float = TIMEOUT_S) -> bool:
    """Whether anything answers HTTP on 127.0.0.1:`port`/health (any status: it is up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read(256)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True
