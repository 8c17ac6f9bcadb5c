"""The few exception types the CLI turns into one clear line and an exit code."""

from __future__ import annotations

EXIT_PASS = 0
EXIT_VIOLATIONS = 1
EXIT_DRIFT = 2
EXIT_BAD_INPUT = 3
EXIT_INTERNAL = 4


class GatesError(Exception):
    """Base class; `exit_code` decides what the process returns."""

    exit_code = EXIT_INTERNAL


class InputError(GatesError):
    """A file cannot be read or parsed, or a usage mistake: exit 3 with file and line."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"
