"""Errors that tell the user what failed, where, why it matters and how to fix it.

Every error Polku raises for bad input or bad usage is a `PolkuError`. The CLI turns
them into exit codes: `ValidationFailed` -> 1, `UsageError` -> 2. The message never
contains a raw personal identity code: callers pass redacted values only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem sits in a source file; line numbers count the header as line 1."""

    file: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class PolkuError(Exception):
    """Base error: what happened, where, why it matters, how to fix it."""

    exit_code = 1

    def __init__(
        self,
        what: str,
        *,
        where: Location | str | None = None,
        why: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.where = where
        self.why = why
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.what]
        if self.where is not None:
            lines.append(f"  where: {self.where}")
        if self.why:
            lines.append(f"  why:   {self.why}")
        if self.fix:
            lines.append(f"  fix:   {self.fix}")
        return "\n".join(lines)


class ValidationFailed(PolkuError):
    """Input data or configuration content is wrong (exit code 1)."""

    exit_code = 1


class UsageError(PolkuError):
    """The command was called wrongly: missing file, unknown table, bad option (exit code 2)."""

    exit_code = 2


class ConfigurationError(PolkuError):
    """A setting or secret is missing or unsafe (exit code 2)."""

    exit_code = 2
