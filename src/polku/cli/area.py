"""Making and loading an area's data: `polku demo`, `generate`, `import`, `status` and `key`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from polku import settings
from polku.cli.base import (
    EXACT_OPTION,
    MAX_CLIENTS,
    STORE_OPTION,
    emit_json,
    gate,
    gated_json_option,
    main,
)
from polku.cli.text import (
    out,
)
from polku.command import console
from polku.command import run as _run
from polku.errors import UsageError
from polku.progress import progress_bar

CLIENTS_OPTION = click.option(
    "--clients",
    default=20000,
    show_default=True,
    type=click.IntRange(min=100, max=MAX_CLIENTS),
    help="Number of synthetic clients.",
)
SEED_OPTION = click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed; the same seed gives the same files."
)
"""The options `polku generate` and `polku demo` share."""


@main.command()
@CLIENTS_OPTION
@SEED_OPTION
@click.option(
    "--out",
    "out_dir",
    default=Path("polku-demo"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for every output of the demo.",
)
@click.option(
    "--lang", default=None, type=click.Choice(["fi", "sv", "en"]), help="Report language (default: setting POLKU_LANG)."
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="End by serving the web app on 127.0.0.1:8000 until Ctrl-C, one demo login per role (docs/web.md).",
)
def demo(clients: int, seed: int, out_dir: Path, lang: str | None, serve: bool) -> None:
    """Generate a synthetic area, import it, analyse it, write the report and serve the web app.

    Everything lands in OUT: the synthetic files, the pseudonymisation key (in
    OUT/secrets, apart from the store), the store and report.html. The web app then
    serves on http://127.0.0.1:8000 until Ctrl-C (--no-serve stops after the report).
    """
    from polku.demo import run_demo

    def action() -> int:
        started, chosen = time.perf_counter(), lang or settings.language()
        with progress_bar(console, "demo") as progress:
            result = run_demo(out_dir, clients=clients, seed=seed, lang=chosen, progress=progress)
        address = "http://127.0.0.1:8000/" if serve else None
        out.print(result.render(time.perf_counter() - started, serving_at=address, lang=chosen), highlight=False)
        if serve:
            from polku.web.serve import serve as run_server

            run_server(result.store_path, "127.0.0.1", 8000)
        return 0

    _run(action)


@main.command()
@CLIENTS_OPTION
@SEED_OPTION
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write the files to."
)
@click.option(
    "--areas",
    default=1,
    show_default=True,
    type=click.IntRange(min=1, max=100),
    help="Employment areas; more than one writes the national register (needs --format parquet; docs/scale.md).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="csv: one area in the import format; parquet: a pseudonymised register partitioned by area.",
)
def generate(clients: int, seed: int, out_dir: Path, areas: int, fmt: str) -> None:
    """Write a synthetic employment area in the import format, with its ground truth.

    One CSV per table of the data model, plus ground_truth_episodes.csv,
    ground_truth_effects.csv, ground_truth_change.csv, ground_truth_goals.csv and
    manifest.json. With --format parquet: a national register of --areas areas
    (different labour markets, clients, services and true effects), written area by
    area as Parquet partitioned by area, with each area's ground truth.
    """
    from polku.synth import generate as generate_area
    from polku.synth.national import generate_national

    def action() -> int:
        if fmt == "csv" and areas > 1:
            raise UsageError("--areas above 1 needs --format parquet", fix="add --format parquet (the national register).")
        with progress_bar(console, "generate") as progress:
            result: Any
            if fmt == "parquet":
                result = generate_national(areas=areas, clients=clients, seed=seed, out_dir=out_dir, progress=progress)
            else:
                result = generate_area(clients=clients, seed=seed, out_dir=out_dir, progress=progress)
        for name, count in result.rows.items():
            out.print(f"{name:<22} {count:>10,} rows")
        out.print(f"written to {result.out_dir}")
        return 0

    _run(action)


@main.command(name="import")
@click.argument("table", required=False)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mapping YAML from the export's columns and codes to the data model (default: the synthetic area's format).",
)
@click.option(
    "--source",
    default=None,
    help="Name of the source (default: the file's name). A new file under the same name replaces the old one's rows.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=(
        "Pseudonymisation key file; when given it wins over the settings (default: setting POLKU_PSEUDONYM_KEY, else the file "
        "POLKU_PSEUDONYM_KEY_FILE)."
    ),
)
@click.option(
    "--allow-shrink",
    "--allow-empty",
    "allow_shrink",
    is_flag=True,
    help=(
        "Let a file that keeps fewer than POLKU_SHRINK_LIMIT % of its source's rows (an empty file included) replace them; "
        "refused otherwise. --allow-empty is the old name."
    ),
)
@click.option(
    "--rollback",
    "rollback_source",
    metavar="SOURCE",
    default=None,
    help=(
        "Restore the previous kept version of SOURCE instead of importing (TABLE only when the source feeds several tables; no "
        "FILE)."
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@STORE_OPTION
def import_(
    table: str | None,
    file: Path | None,
    mapping: Path | None,
    source: str | None,
    key_file: Path | None,
    allow_shrink: bool,
    rollback_source: str | None,
    as_json: bool,
    store_path: Path | None,
) -> None:
    """Import FILE (CSV, XLSX or Parquet) into TABLE, validating every row.

    Rows that fail validation go to the quarantine table with file, line, column and
    reason; nothing is dropped. The whole import is one transaction. Exit code 1 when
    any row was quarantined (the accepted rows are imported). A replaced version is kept
    as history: `polku import --rollback SOURCE` puts it back.
    """
    from polku.identity import load_key
    from polku.ingest import import_file, rollback
    from polku.store import open_store

    def action() -> int:
        if rollback_source is not None:
            if file is not None:
                raise UsageError("--rollback takes no FILE", fix="polku import [TABLE] --rollback SOURCE.")
            with open_store(store_path) as store:
                _print_import(rollback(store, rollback_source, table=table), as_json)
            return 0
        if table is None or file is None:
            raise UsageError(
                "polku import needs TABLE and FILE", fix="polku import TABLE FILE, or polku import --rollback SOURCE."
            )
        key = load_key(key_file=key_file)
        if key.weakness:
            console.print(
                f"[yellow]warning:[/yellow] the pseudonymisation key looks weak: {key.weakness}; create a random one with "
                "`polku key PATH`",
                highlight=False,
            )
        with open_store(store_path) as store, progress_bar(console, "import") as progress:
            report = import_file(
                store, table, file, mapping=mapping, source=source, key=key, progress=progress, allow_shrink=allow_shrink
            )
        _print_import(report, as_json)
        return 1 if report.rows_quarantined else 0

    _run(action)


def _print_import(report: Any, as_json: bool) -> None:
    """An ImportReport (typed loosely: the CLI imports `polku.ingest` only when needed)."""
    if as_json:
        emit_json(report.to_dict())
    else:
        out.print(report.render(), highlight=False)


@main.command()
@gated_json_option("summary")
@EXACT_OPTION
@STORE_OPTION
def status(as_json: bool, exact: bool, store_path: Path | None) -> None:
    """What the store holds: tables, imports, quarantine by reason, data-quality findings.

    Counts of people pass the disclosure gate as in the report; --exact shows them exact
    (logged).
    """
    from polku import sdc
    from polku.quality import QualitySummary, summarise
    from polku.store import open_store

    def action() -> int:
        with open_store(store_path, read_only=True) as store:
            summary = summarise(store)
        if as_json:
            emit_json(gate("status", exact, summary.to_dict(), sdc.release_status, store_path))
        else:
            out.print(gate("status", exact, summary, QualitySummary.released, store_path).render(), highlight=False)
        return 0

    _run(action)


@main.command(name="key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing key file (every earlier pseudonym stops matching).")
def key_(path: Path, overwrite: bool) -> None:
    """Create a new pseudonymisation key file at PATH (32 random bytes, mode 0600).

    Keep it outside the data folder and out of version control; point
    POLKU_PSEUDONYM_KEY_FILE at it.
    """
    from polku.identity import create_key_file

    def action() -> int:
        key = create_key_file(path, overwrite=overwrite)
        out.print(f"key written to {path} (version {key.version}, fingerprint {key.fingerprint})")
        return 0

    _run(action)
