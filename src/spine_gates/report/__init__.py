"""Output formats, one module each, all rendered from a GateResult's findings."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI reads FORMATS while building its parser: no runtime import here
    from spine_gates.checks.interface import GateResult

Renderer = Callable[["GateResult", bool], str]
FORMATS = ("text", "json", "sarif", "junit", "github", "spine")


def renderer(name: str) -> Renderer:
    """Import only the chosen format's module (keeps the hook path light)."""
    module = importlib.import_module(f"spine_gates.report.{name}_format")
    return module.render  # type: ignore[no-any-return]
