"""Errors that tell the user what failed, where, why it matters and how to fix it.

Every error Polku raises for bad input or bad usage is a `PolkuError`. The CLI turns
them into exit codes: `ValidationFailed` -> 1, `UsageError` -> 2. The message never
contains a raw personal identity code: every part of an error (what, where, why, fix) is
passed through `redact_hetus` when the error is made, so a code that reached a message by
accident (a file exported without its header, a code in a file name) is replaced by
`<hetu>` before anything can print, log or chain it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from polku.redaction import redact_hetus


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
        self.what = redact_hetus(what)
        self.where = _redacted_where(where)
        self.why = None if why is None else redact_hetus(why)
        self.fix = None if fix is None else redact_hetus(fix)
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


def _redacted_where(where: Location | str | None) -> Location | str | None:
    if isinstance(where, Location):
        column = None if where.column is None else redact_hetus(where.column)
        return replace(where, file=redact_hetus(where.file), column=column)
    return None if where is None else redact_hetus(where)


class ValidationFailed(PolkuError):
    """Input data or configuration content is wrong (exit code 1)."""

    exit_code = 1


class UsageError(PolkuError):
    """The command was called wrongly: missing file, unknown table, bad option (exit code 2)."""

    exit_code = 2


class ConfigurationError(PolkuError):
    """A setting or secret is missing or unsafe (exit code 2)."""

    exit_code = 2
