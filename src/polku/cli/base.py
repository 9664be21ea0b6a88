"""The `polku` command group, and what its commands share: the store, run and exact
options, JSON output and the disclosure gate. The commands live beside it, one module per
kind of work (`polku.cli.area`, `analysis`, `results`, `estimate`, `money`, `privacy`, `web`).

Exit codes: 0 ok, 1 validation failed (bad data: rows quarantined, invalid file content),
2 usage error (bad options, missing files, missing or unsafe settings, a locked store),
70 internal error (a bug in Polku), 130 interrupted: see `polku.command`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from polku import settings
from polku.cli.text import out
from polku.command import Finite, PolkuGroup, console
from polku.command import run as _run
from polku.errors import UsageError

STORE_OPTION = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB store file (default: setting POLKU_STORE, else $POLKU_DATA_DIR/polku.duckdb).",
)


MAX_CLIENTS = 10_000_000
"""Largest synthetic area `demo` and `generate` make (ten times the scale target): a typo
with more digits is refused at once instead of filling the memory."""


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


EXACT_OPTION = click.option(
    "--exact",
    is_flag=True,
    help="Exact counts and estimates without disclosure control, for analysts with access to the store; each use is logged.",
)
"""The one way past the disclosure gate (docs/report.md); the same name on every command."""


def gate(command: str, exact: bool, payload: Any, release: Callable[[Any], Any], store_path: Path | None = None) -> Any:
    """What an output may show: the disclosure gate's release of `payload`, or, with
    --exact, the payload itself, with the use logged (`sdc.log_exact_use`)."""
    from polku import sdc

    if not exact:
        return release(payload)
    sdc.log_exact_use(command, store=store_path)
    console.print("exact output without disclosure control; this use is logged", highlight=False)
    return payload


@click.group(cls=PolkuGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polku")
@click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")
@click.option(
    "--wait",
    "wait_seconds",
    default=0.0,
    show_default=True,
    type=Finite(0, 86400),
    help="Seconds to keep retrying a store another process has locked.",
)
def main(debug: bool, wait_seconds: float) -> None:
    """Polku: which employment services work, for whom, at what cost.

    Start with `polku demo`: it generates a synthetic employment area, imports it,
    runs every analysis and writes the report.
    """
    from polku.store.connection import LOCK_WAIT

    LOCK_WAIT.set(wait_seconds)


RUN_OPTION = click.option(
    "--run", "run_ref", default="latest", show_default=True, help="The analysis run to read: its id (`polku runs`) or latest."
)


def gated_json_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--json` of a command whose figures pass the disclosure gate unless `--exact`."""
    help = f"Print the {what} as JSON (under disclosure control unless --exact)."
    return click.option("--json", "as_json", is_flag=True, help=help)


def register_option(help: str, *, required: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--register DIR`: a national register's folder (`polku generate --format parquet`), which
    `polku national` reads and whose runs the report, the runs list and the web read."""
    folder = click.Path(file_okay=False, path_type=Path)
    return click.option("--register", "register", type=folder, required=required, help=help)


REGISTER_RUNS_OPTION = register_option("A national register's folder: its runs (`polku national`) instead of a store's.")


def runs_owner(store_path: Path | None, register: Path | None, *, must_exist: bool = True) -> Path:
    """Whose runs a command reads: the national register's folder when given (it must be a
    register: `manifest.json` in it), else the store (`must_exist`: the file must be there)."""
    if register is None:
        from polku.store.connection import store_target

        return existing_store(store_path) if must_exist else store_target(store_path)
    if store_path is not None:
        raise UsageError("--store and --register name two places", fix="give one of them.")
    if not (register / "manifest.json").is_file():
        raise UsageError(f"no national register at {register}", fix="give the folder `polku generate --format parquet` wrote.")
    return register


def existing_store(store_path: Path | None) -> Path:
    """The store to change; erase and purge never create one."""
    target = store_path or settings.store_path()
    if not target.is_file():
        raise UsageError(f"no store at {target}", fix="give the store with --store, or point POLKU_STORE at it.")
    return target


def compact(target: Path) -> None:
    """Rewrite the store so that removed rows leave the file too (polku.privacy.compact)."""
    from polku.privacy import compact
    from polku.store.snapshots import replace_all

    size = compact(target)
    replace_all(target)  # the older read snapshots still hold the removed rows
    console.print(
        f"store rewritten ({size / 1e6:,.1f} MB), so that the removed rows leave the file as well; read snapshots replaced",
        highlight=False,
    )


def show_run(
    command: str,
    *,
    store_path: Path | None,
    run_ref: str,
    exact: bool,
    as_json: bool,
    record: Callable[[Any], dict[str, Any]],
    release: Callable[[Any], Any],
    text: Callable[[dict[str, Any], str], str],
) -> None:
    """The one shape of a command that shows a run's results (`polku groups`, `menu`,
    `equality`, `payments`): read the run, build the command's `record` from it, pass it
    through the disclosure gate (or --exact, logged), and print it as JSON or as `text`.
    Views never fit; the output names its run (`run_id`)."""
    from polku.runs.read import open_run

    def action() -> int:
        target = existing_store(store_path)
        run = open_run(target, run_ref)
        shown = gate(command, exact, record(run), release, target) | {"run_id": run.run_id}
        emit_json(shown) if as_json else out.print(text(shown, run.run_id), highlight=False)
        return 0

    _run(action)


def stored_tables(run: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The run's tables `names`, typed as declared (`polku.reports.frames.table`)."""
    from polku.reports.frames import table

    return {name: table(run.tables, name) for name in names}
