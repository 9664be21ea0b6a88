"""How every `polku` command runs: exit codes, one line per error, the last resort for a
bug, `--debug`, and the command's audit row (docs/operations.md).

Exit codes: 0 ok, 1 validation failed (bad data), 2 usage error (bad options, missing
files, unsafe settings, a locked store), 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from polku.errors import PolkuError
from polku.redaction import redact_hetus

console = Console(stderr=True, soft_wrap=True)
"""Messages and progress go to stderr; results to stdout."""

INTERNAL_ERROR = 70
"""Exit code of an unexpected exception (EX_SOFTWARE of sysexits.h): not 1, which tells a
script that the data was at fault (for `import`: that the accepted rows were imported)."""
INTERRUPTED = 130


class Finite(click.FloatRange):
    """A number option that refuses nan and inf: Click's FloatRange lets nan through (every
    comparison with nan is false), and a nan wait or discount rate never ends or poisons
    every figure."""

    def __init__(self, min: float | None = None, max: float | None = None, **options: Any) -> None:
        super().__init__(min, max, **options)
        self.name = "float" if min is None and max is None else "float range"  # help as Click's own types

    def _describe_range(self) -> str:
        return "" if self.min is None and self.max is None else super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class PolkuGroup(click.Group):
    """The command group, with the last resort for code outside `run` (a command's own
    option handling): one line and exit 70 instead of a traceback, as in `run`. Click's own
    usage errors quote the value given ("'010594Y9032' is not a valid integer"), so their
    text passes the one redaction rule too: an identity code typed into the wrong option
    never reaches the terminal or a log."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            raise _redacted(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            raise _redacted(error) from None
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            caught = error
            sys.exit(_outcome(lambda: _raise(caught), bool(ctx.params.get("debug"))))


def _redacted(error: click.ClickException) -> click.ClickException:
    """`error` with every hetu-shaped text in its message replaced by the redaction mark."""
    # click declares `message` Final, but it is a plain attribute set in __init__; replacing it keeps
    # the exception's class, context and parameter hint, which a new exception would lose.
    error.message = redact_hetus(error.message)  # type: ignore[misc]
    return error


def _raise(error: Exception) -> None:
    raise error


def run(action: Callable[[], int | None]) -> None:
    """Run one command: Polku errors become their exit codes with a readable message on
    stderr, anything unexpected one line (the traceback with --debug), and the command's
    audit row is recorded whatever the outcome (store/audit.py)."""
    from polku.store import audit
    from polku.store.connection import store_target

    ctx = click.get_current_context()
    debug = bool(ctx.find_root().params.get("debug"))
    audit.begin(ctx.info_name or "", dict(ctx.params), _quiet(lambda: store_target(ctx.params.get("store_path"))))
    code = _outcome(action, debug)
    audit_code = _outcome(lambda: audit.finish(code), debug)
    if audit_code:
        _error("the command's audit row could not be recorded (above); nothing else is wrong with its result")
    sys.exit(code or (1 if audit_code else 0))


def _outcome(action: Callable[[], int | None], debug: bool) -> int:
    """The action's exit code; every exception ends here as one message."""
    try:
        return action() or 0
    except PolkuError as error:
        if debug:
            console.print_exception()
        _error(error.render())
        return error.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return INTERRUPTED
    except Exception as error:  # last resort: a bug, not the user's input
        if debug:
            console.print_exception()
        _error(f"internal error ({type(error).__name__}); run with `polku --debug ...` for the traceback, and report it")
        return INTERNAL_ERROR


def _error(message: str) -> None:
    from rich.markup import escape

    console.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False)  # a file named "[/x]" is text


def _quiet(make: Callable[[], Any]) -> Any:
    """`make()`, or None when it raises a Polku error (a bad setting is reported by the
    command itself, if it needs the setting)."""
    try:
        return make()
    except PolkuError:
        return None
