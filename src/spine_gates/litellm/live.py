"""The gateway's live state, two ways: its `config.yaml` (with lines), and the running proxy read
through its endpoints (`/model/info`, `/get/config/callbacks`) with the master key.

The running proxy is the truth: it keeps what it loaded at start, and deployments or settings
saved through its API or UI (kept in its database) override the file. Neither view ever holds a
key: the file's keys are `os.environ/` references or flagged literals, and the proxy never
returns them.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_gates.errors import InputError
from spine_gates.model.loader import Document, parse_yaml, read_text
from spine_gates.secrets.redact import register_secret

DEFAULT_LIVE = "~/.litellm/config.yaml"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
# What the proxy reports of a deployment's litellm_params (it strips keys and adds defaults).
RUNTIME_PARAMS = ("model", "api_base", "rpm", "tpm")
TIMEOUT = 10.0


@dataclass(frozen=True)
class LitellmFile:
    """A parsed `config.yaml`: its bytes (for the changed-since-read check), data and lines."""

    path: Path
    name: str
    raw: bytes
    data: dict[str, Any]
    document: Document

    def line(self, pointer: str) -> int | None:
        return self.document.line_of(pointer)


@dataclass(frozen=True)
class LitellmRuntime:
    """What the running proxy serves, shaped like a config: deployments and router settings."""

    path: Path
    name: str  # the proxy's URL
    raw: bytes
    data: dict[str, Any]

    def line(self, pointer: str) -> int | None:
        return None


def live_path(option: str | None) -> tuple[Path, bool]:
    if option:
        return Path(option).expanduser(), True
    return Path(DEFAULT_LIVE).expanduser(), False


def read_file(path: Path) -> LitellmFile:
    """The config file as LiteLLM loads it (YAML, a mapping); anything else is exit 3."""
    name = str(path)
    text = read_text(path, name)
    document = parse_yaml(text, path, name)
    # sync replaces this file: a YAML mapping that is not a gateway config (a registry, any
    # other settings file) must not be overwritten with one
    if not isinstance(document.data, dict) or "model_list" not in document.data:
        raise InputError("is not a LiteLLM config (a YAML mapping with model_list); refusing "
                         "to read or replace it", name)
    return LitellmFile(path, name, text.encode("utf-8"), document.data, document)


def _get(url: str, key: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    # the operator's proxy settings must not carry the master key elsewhere
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = " (is LITELLM_MASTER_KEY the proxy's master key?)" if exc.code in (400, 401, 403) \
            else ""
        raise InputError(f"the proxy answered HTTP {exc.code}{hint}", url) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot reach the LiteLLM proxy ({reason})", url) from None
    except ValueError:
        raise InputError("the proxy's answer is not JSON", url) from None


def read_runtime(url: str) -> LitellmRuntime:
    """Deployments (`/model/info`) and router settings (`/get/config/callbacks`) of the running
    proxy, read with the master key from LITELLM_MASTER_KEY (never shown)."""
    try:
        parsed = urllib.parse.urlsplit(url)
        parsed.port  # noqa: B018  a port that is not a number raises here
    except ValueError:
        raise InputError("--live-url is not a valid URL", "--live-url") from None
    if parsed.username is not None or parsed.password is not None:
        # refused before any lookup: urllib would resolve `user:password@host` as a host name;
        # the URL is not repeated (it holds the password)
        raise InputError("--live-url must not carry a user or password (user:password@); the "
                         f"proxy is read with the master key in {MASTER_KEY_ENV}", "--live-url")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError("--live-url must be the proxy's http(s) URL, e.g. "
                         "http://127.0.0.1:4000", url)
    key = os.environ.get(MASTER_KEY_ENV, "")
    if not key:
        raise InputError(f"reading the running proxy needs its master key in {MASTER_KEY_ENV}",
                         url)
    register_secret(key)
    base = url.rstrip("/")
    info = _get(f"{base}/model/info", key)
    callbacks = _get(f"{base}/get/config/callbacks", key)
    entries = info.get("data") if isinstance(info, dict) else None
    settings = callbacks.get("router_settings") if isinstance(callbacks, dict) else None
    if not isinstance(entries, list) or not isinstance(settings, dict):
        raise InputError("the proxy's /model/info or /get/config/callbacks has an unexpected "
                         "shape (is this a LiteLLM proxy?)", url)
    data = {"model_list": _deployments(entries), "router_settings": settings}
    return LitellmRuntime(Path(base), base, json.dumps(data, sort_keys=True).encode(), data)


def _deployments(entries: list[Any]) -> list[dict[str, Any]]:
    """One entry per deployment id: /model/info also lists every model-group alias, as a copy
    of the deployment it resolves to (same id), after the deployments themselves."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        raw_info = entry.get("model_info")
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        ident = info.get("id")
        if isinstance(ident, str):
            if ident in seen:
                continue
            seen.add(ident)
        raw_params = entry.get("litellm_params")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        model_info: dict[str, Any] = {"id": ident}
        if info.get("db_model"):
            model_info["db_model"] = True  # added through the API or UI, kept in its database
        out.append({"model_name": entry.get("model_name"),
                    "litellm_params": {k: params[k] for k in RUNTIME_PARAMS if k in params},
                    "model_info": model_info})
    return out
