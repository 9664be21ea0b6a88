"""Analysis runs and what reads them: `polku analyse`, `national`, `runs` and `report`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from polku import settings
from polku.cli.base import (
    EXACT_OPTION,
    REGISTER_RUNS_OPTION,
    STORE_OPTION,
    emit_json,
    existing_store,
    gate,
    main,
    register_option,
    runs_owner,
)
from polku.cli.text import (
    out,
    print_analysis,
    print_runs,
)
from polku.command import run as _run
from polku.errors import UsageError


@main.command()
@click.option(
    "--as-of",
    "as_of",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The data's end date, YYYY-MM-DD (default: the latest date the store holds).",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Random seed (comparison draws, cross-fitting, bootstrap, Monte Carlo); same data, seed and version, same run.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the run's id, provenance and effects (by service, group, provider) as JSON, gated unless --exact.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Engine of the queries and the estimation: DuckDB on this machine, or Apache Spark (docs/scale.md).",
)
@click.option(
    "--spark-remote",
    default=None,
    metavar="sc://HOST:PORT",
    help="With --engine spark: a Spark Connect server to run on (default: Spark in local mode, local[2]).",
)
@click.option(
    "--change-bootstrap",
    default=0,
    show_default=True,
    type=click.IntRange(0, 2000),
    help="Person-bootstrap replicates for effects on change whose weighted comparison is worth fewer than 10 people"
    " (about 9 s a cell at 200); 0 withholds those cells (docs/change.md).",
)
@EXACT_OPTION
@STORE_OPTION
def analyse(
    as_of: Any,
    seed: int,
    as_json: bool,
    engine: str,
    spark_remote: str | None,
    change_bootstrap: int,
    exact: bool,
    store_path: Path | None,
) -> None:
    """Compute everything the report shows and store it as one analysis run.

    The run is an immutable folder beside the store (STORE.runs/RUN_ID) holding every
    table and its provenance: the imports read, the parameters' digest, the version, the
    seed, the settings, the times and the user (docs/runs.md). It reads the store's newest
    read snapshot, so an import can run meanwhile. `polku report` renders a run.
    """
    from polku import sdc
    from polku.pipeline.settings import AnalysisSettings
    from polku.runs.effects import effect_lines, estimate_records
    from polku.runs.record import analyse as analyse_store
    from polku.store import audit

    def action() -> int:
        target = existing_store(store_path)
        started = time.perf_counter()
        if spark_remote and engine != "spark":
            raise UsageError("--spark-remote needs --engine spark", fix="add --engine spark, or leave --spark-remote out.")
        if as_of is not None and not 1900 <= as_of.year <= 2200:
            raise UsageError(
                f"--as-of {as_of.date()} is outside the years 1900-2200", fix="give the data's end date, YYYY-MM-DD."
            )
        settings = AnalysisSettings(as_of=as_of.date() if as_of else None, seed=seed, change_bootstrap=change_bootstrap)
        run = analyse_store(target, settings, engine=engine, spark_remote=spark_remote)
        audit.note(run_id=run.run_id)
        records = gate("analyse", exact, estimate_records(run.tables), sdc.release_estimates, target)
        payload = run.summary() | {"folder": str(run.folder), "effects": effect_lines(records)}
        emit_json(payload) if as_json else print_analysis(payload, time.perf_counter() - started)
        return 0

    _run(action)


@main.command()
@register_option("Folder of the national Parquet register (`polku generate --format parquet`).", required=True)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed of the expected model's fit.")
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True, help="Engine of the queries."
)
@click.option("--spark-remote", default=None, metavar="sc://HOST:PORT", help="With --engine spark: a Spark Connect server.")
@click.option("--impact", is_flag=True, help="Also estimate every service's effect in every area (spread by area and service).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary and the indicators per area as JSON.")
def national(register: Path, seed: int, engine: str, spark_remote: str | None, impact: bool, as_json: bool) -> None:
    """Compute the national indicators per employment area over the national register.

    Time to open-market work, inflow to more than 3 months of unemployment, the share of
    long-term unemployed, transitions to work at 3, 6 and 12 months, the employment and
    contract coefficients, and observed against expected work per area given its
    clients; stored as a run beside the register (REGISTER.runs/RUN_ID, docs/scale.md).
    The figures are aggregates over whole areas and are printed exact.
    """
    from polku.pipeline.settings import AnalysisSettings
    from polku.runs.record import analyse_register

    def action() -> int:
        if spark_remote and engine != "spark":
            raise UsageError("--spark-remote needs --engine spark", fix="add --engine spark, or leave --spark-remote out.")
        settings = AnalysisSettings(seed=seed)
        run = analyse_register(register, settings, engine=engine, spark_remote=spark_remote, impact=impact)
        tables = {name: json.loads(run.tables[name].to_json(orient="records", date_format="iso")) for name in sorted(run.tables)}
        payload = run.summary() | {"folder": str(run.folder), "engine": engine} | tables
        if as_json:
            emit_json(payload)
        else:
            out.print(f"run {run.run_id} in {run.folder}")
            out.print(run.tables["national_indicators"].to_string(index=False))
        return 0

    _run(action)


@main.command(name="runs")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@STORE_OPTION
@REGISTER_RUNS_OPTION
def runs_(as_json: bool, store_path: Path | None, register: Path | None) -> None:
    """List the store's analysis runs in the order they finished: id, time, seed, data
    date, Polku version, user and the digest of the results (equal digests, equal results).
    With --register, a national register's runs (`polku national`).
    """
    from polku.runs import list_runs

    def action() -> int:
        target = runs_owner(store_path, register, must_exist=False)
        summaries = [run.summary() for run in list_runs(target)]
        emit_json(summaries) if as_json else print_runs(summaries, target)
        return 0

    _run(action)


@main.command()
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (mode 0600); an existing file is replaced only if it is a Polku report.",
)
@click.option(
    "--lang", default=None, type=click.Choice(["fi", "sv", "en"]), help="Report language (default: setting POLKU_LANG)."
)
@click.option(
    "--format",
    "fmt",
    default=None,
    type=click.Choice(["html", "pdf", "xlsx", "csv"]),
    help="html, pdf (printed from the HTML by Chromium), xlsx (a sheet per table) or csv (a ZIP of one CSV per table);"
    " default: from the --out suffix (.pdf, .xlsx, .zip), else html.",
)
@click.option(
    "--run",
    "run_ref",
    default="latest",
    show_default=True,
    help="The analysis run to render: its id (`polku runs`) or latest.",
)
@STORE_OPTION
@REGISTER_RUNS_OPTION
def report(
    out_path: Path, lang: str | None, fmt: str | None, run_ref: str, store_path: Path | None, register: Path | None
) -> None:
    """Write the report of an analysis run (`polku analyse`): self-contained HTML, PDF, XLSX or CSV.

    The report reads the run's stored results and never fits; its header names the run.
    With --register, the run is a national register's (`polku national`): the report holds
    its national comparison only.
    """
    from polku.runs.report import run_report
    from polku.store import audit

    def action() -> int:
        target = runs_owner(store_path, register)
        path, run = run_report(target, out_path, run=run_ref, lang=lang or settings.language(), fmt=fmt)
        audit.note(run_id=run.run_id)
        out.print(f"report of run {run.run_id} written to {path}", highlight=False)
        return 0

    _run(action)
