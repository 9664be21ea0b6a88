"""The `polku` command: a thin layer over the library; each command's docstring is its help.

Exit codes: 0 ok, 1 validation failed (bad data: rows quarantined, invalid file content),
2 usage error (bad options, missing files, missing or unsafe settings, a locked store),
70 internal error (a bug in Polku), 130 interrupted: see `polku.command`.
"""

from __future__ import annotations

import json
import math
import sys  # noqa: F401  (commands that read standard input, e.g. erase --hetu -)
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from polku import settings
from polku.cli_text import (
    estimate_lines,
    out,
    print_analysis,
    print_audit,
    print_cba,
    print_effects,
    print_runs,
    print_survival,
)
from polku.command import Finite, PolkuGroup, console
from polku.command import run as _run
from polku.errors import UsageError
from polku.progress import progress_bar

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


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


EXACT_OPTION = click.option(
    "--exact",
    is_flag=True,
    help="Exact counts and estimates without disclosure control, for analysts with access to the store; each use is logged.",
)
"""The one way past the disclosure gate (docs/report.md); the same name on every command."""


def _gate(command: str, exact: bool, payload: Any, release: Callable[[Any], Any], store_path: Path | None = None) -> Any:
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


@main.command()
@click.option(
    "--clients",
    default=20000,
    show_default=True,
    type=click.IntRange(min=100, max=MAX_CLIENTS),
    help="Number of synthetic clients.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
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
@click.option(
    "--clients",
    default=20000,
    show_default=True,
    type=click.IntRange(min=100, max=MAX_CLIENTS),
    help="Number of synthetic clients.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
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
        _emit_json(report.to_dict())
    else:
        out.print(report.render(), highlight=False)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (under disclosure control unless --exact).")
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
            _emit_json(_gate("status", exact, summary.to_dict(), sdc.release_status, store_path))
        else:
            out.print(_gate("status", exact, summary, QualitySummary.released, store_path).render(), highlight=False)
        return 0

    _run(action)


@main.command("change")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (under disclosure control unless --exact).")
@click.option(
    "--instruments",
    "instruments_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the area's own instrument files (*.yaml, docs/change.md); one with a shipped instrument's code replaces it.",
)
@EXACT_OPTION
@STORE_OPTION
def change_command(as_json: bool, instruments_dir: Path | None, exact: bool, store_path: Path | None) -> None:
    """Change before employment: reliable change by instrument and item, by service, and GAS.

    Clients improved, unchanged and worsened (reliable change index beyond 1.96) from
    the first to the latest measurement and over each service episode, the mean change
    with its 95 % interval, and goal attainment T-scores (before-and-after figures); then,
    from the latest analysis run (`polku analyse`), the effects of services on change
    with intervals and the hazard ratios of later work per point of change. Counts of
    people pass the disclosure gate as in the report; --exact shows them exact (logged).
    """
    from polku import sdc
    from polku.change.instrument import with_area_files
    from polku.change.measures import summaries
    from polku.change.record import change_record, render_effects_text, render_text
    from polku.runs.change import run_effects
    from polku.store import open_store
    from polku.store.connection import store_target

    def action() -> int:
        chosen = with_area_files(instruments_dir)
        with open_store(store_path, read_only=True) as store:
            record = change_record(summaries(store, chosen)) | run_effects(store_target(store_path))
        shown = _gate("change", exact, record, lambda r: sdc.release_change_effects(sdc.release_change(r)), store_path)
        if as_json:
            _emit_json(shown)
        else:
            out.print(render_text(shown) + "\n\n" + render_effects_text(shown), highlight=False)
        return 0

    _run(action)


# --- payments, equal treatment, client groups and the service menu (issues 17 and 18) ------

RUN_OPTION = click.option(
    "--run", "run_ref", default="latest", show_default=True, help="The analysis run to read: its id (`polku runs`) or latest."
)


@main.command("payments")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The payment model file (YAML; examples in polku/payments/models, docs/payments.md).",
)
@RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the payments as JSON (under disclosure control unless --exact).")
@EXACT_OPTION
@STORE_OPTION
def payments_command(model_path: Path, run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """What a payment model would pay each provider per period, beside the value added.

    Reads an analysis run (`polku analyse`) and never fits: the counts the model pays for,
    and the value added that the impact and fiscal engines estimate (additional
    employments times the public gain of one employment over the model's horizon), so
    the area sees whether it would pay for work that would have happened anyway.
    """
    from polku.payments.model import load_model
    from polku.payments.record import payment_record, release_payments, render_text
    from polku.runs.read import open_run

    def action() -> int:
        model = load_model(model_path)
        target = _existing_store(store_path)
        run = open_run(target, run_ref)
        record = payment_record(run.tables, model, run.run_id)
        shown = _gate("payments", exact, record, release_payments, target)
        _emit_json(shown) if as_json else out.print(render_text(shown), highlight=False)
        return 0

    _run(action)


def _run_record(
    store_path: Path | None, run_ref: str, names: tuple[str, ...], build: Callable[[Any], dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """(run id, record) from the stored tables `names` of an analysis run; views never fit."""
    from polku.reports.frames import table
    from polku.runs.read import open_run

    run = open_run(_existing_store(store_path), run_ref)
    return run.run_id, build({name: table(run.tables, name) for name in names})


@main.command("groups")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (under disclosure control unless --exact).")
@RUN_OPTION
@EXACT_OPTION
@STORE_OPTION
def groups_command(as_json: bool, run_ref: str, exact: bool, store_path: Path | None) -> None:
    """Client groups: each group's profile at registration and how stable it stays.

    Rule-based groups (the group file, setting POLKU_GROUPS) and the seed model's bands of
    the chance of work without a service, read from an analysis run (`polku analyse`):
    size, age, education, duration, benefit payer, work within 12 months, and the share
    still in the same group 6 and 12 months later. Counts of people pass the disclosure
    gate as in the report; --exact shows them exact (logged).
    """
    from polku.groups.record import TABLES, groups_record
    from polku.groups.text import groups_text
    from polku.sdc.groups import release_groups

    def action() -> int:
        run_id, record = _run_record(store_path, run_ref, TABLES, groups_record)
        shown = _gate("groups", exact, record, release_groups, store_path) | {"run_id": run_id}
        _emit_json(shown) if as_json else out.print(groups_text(shown, run_id), highlight=False)
        return 0

    _run(action)


@main.command("equality")
@RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the comparisons as JSON (under disclosure control unless --exact).")
@EXACT_OPTION
@STORE_OPTION
def equality_command(run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """Equal treatment by sex, age group, mother tongue, partial work ability and municipality.

    Reads an analysis run: allocation of each service against what the client group
    predicts, time to the first service, employment, the seed model's calibration and the
    estimated effects by group. A difference is flagged only where its Holm-adjusted
    p-value is below 0.05 (docs/equality.md).
    """
    from polku.equality.record import equality_record, release_equality, render_text
    from polku.runs.read import open_run

    def action() -> int:
        target = _existing_store(store_path)
        run = open_run(target, run_ref)
        record = equality_record(run.tables, run.run_id)
        shown = _gate("equality", exact, record, release_equality, target)
        _emit_json(shown) if as_json else out.print(render_text(shown), highlight=False)
        return 0

    _run(action)


@main.command("menu")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (under disclosure control unless --exact).")
@RUN_OPTION
@EXACT_OPTION
@STORE_OPTION
def menu_command(as_json: bool, run_ref: str, exact: bool, store_path: Path | None) -> None:
    """The service menu and targeting: do services reach the groups they are meant for?

    Against the area's menu file (setting POLKU_MENU), read from an analysis run: each
    service's share of participants in its intended groups (flagged below the menu's
    minimum), time from registration to the first service, interruptions and service
    starts by group (a group far below its share of registrations is flagged). Counts of
    people pass the disclosure gate as in the report; --exact shows them exact (logged).
    """
    from polku.groups.text import menu_text
    from polku.menu.record import TABLES, menu_record
    from polku.sdc.groups import release_menu

    def action() -> int:
        run_id, record = _run_record(store_path, run_ref, TABLES, menu_record)
        shown = _gate("menu", exact, record, release_menu, store_path) | {"run_id": run_id}
        _emit_json(shown) if as_json else out.print(menu_text(shown, run_id), highlight=False)
        return 0

    _run(action)


def _existing_store(store_path: Path | None) -> Path:
    """The store to change; erase and purge never create one."""
    target = store_path or settings.store_path()
    if not target.is_file():
        raise UsageError(f"no store at {target}", fix="give the store with --store, or point POLKU_STORE at it.")
    return target


def _compact(target: Path) -> None:
    """Rewrite the store so that removed rows leave the file too (polku.privacy.compact)."""
    from polku.privacy import compact
    from polku.store.snapshots import replace_all

    size = compact(target)
    replace_all(target)  # the older read snapshots still hold the removed rows
    console.print(
        f"store rewritten ({size / 1e6:,.1f} MB), so that the removed rows leave the file as well; read snapshots replaced",
        highlight=False,
    )


@main.command()
@click.option(
    "--hetu",
    default=None,
    help="The person's identity code; '-' reads it from standard input (keeps it out of the shell history and the process list).",
)
@click.option("--pseudonym", default=None, help="The person's pseudonym (person_id as stored).")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Pseudonymisation key file for --hetu (default: the settings, as for import).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@STORE_OPTION
def erase(hetu: str | None, pseudonym: str | None, key_file: Path | None, as_json: bool, store_path: Path | None) -> None:
    """Erase one person from every table, quarantine and history included, and put the
    pseudonym on the suppression list so that later imports quarantine the person's rows
    as 'erased'. Then the store file is rewritten, so the removed rows leave the disk too.
    Prints the rows removed per table, never the code (docs/privacy.md).
    """
    from polku.privacy import erase as erase_person
    from polku.privacy import person_from_hetu, person_from_pseudonym
    from polku.store import open_store

    def action() -> int:
        if (hetu is None) == (pseudonym is None):
            raise UsageError(
                "give exactly one of --hetu and --pseudonym", fix="for example: polku erase --hetu - (and type the code)."
            )
        if hetu is not None:
            from polku.identity import load_key

            person = person_from_hetu(sys.stdin.readline() if hetu == "-" else hetu, load_key(key_file=key_file))
        else:
            person = person_from_pseudonym(pseudonym or "")
        target = _existing_store(store_path)
        with open_store(target) as store:
            result = erase_person(store, person)
        _emit_json(result.to_dict()) if as_json else out.print(result.render(), highlight=False, markup=False)
        _compact(target)
        return 0

    _run(action)


@main.command()
@click.option(
    "--older-than",
    "older_than",
    required=True,
    help=(
        "Retention period before today (5y, 18m, 90d) or the cut-off date (YYYY-MM-DD): persons whose last activity is before "
        "it are removed."
    ),
)
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@STORE_OPTION
def purge(older_than: str, dry_run: bool, as_json: bool, store_path: Path | None) -> None:
    """Apply a retention period: remove every person whose last activity (the latest date
    in any of their rows; an open registration, benefit or service keeps them) is before
    the cut-off, from every table, quarantine and history included; then the store file is
    rewritten so the removed rows leave the disk too (docs/privacy.md).
    """
    import datetime as dt

    from polku.privacy import cutoff_date
    from polku.privacy import purge as purge_store
    from polku.store import open_store

    def action() -> int:
        cutoff = cutoff_date(older_than, dt.date.today())
        target = _existing_store(store_path)
        with open_store(target) as store:
            result = purge_store(store, cutoff, dry_run=dry_run)
        _emit_json(result.to_dict()) if as_json else out.print(result.render(), highlight=False, markup=False)
        if not dry_run:
            _compact(target)
        return 0

    _run(action)


@main.command()
@click.option(
    "--since",
    default=None,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only rows from this UTC date (YYYY-MM-DD) or time on.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@STORE_OPTION
def audit(since: Any, as_json: bool, store_path: Path | None) -> None:
    """Who read or wrote person-level data, or wrote an output, and when (UTC).

    Lists the store's append-only audit table (rows still waiting in the journal beside a
    store that was locked are marked pending); see docs/operations.md.
    """
    from polku.store import audit as audit_trail
    from polku.store.connection import store_target

    def action() -> int:
        target = store_target(store_path)
        if not target.exists():
            raise UsageError(f"no store at {target}", fix="give the store with --store.")
        rows = audit_trail.rows(target, since)
        if as_json:
            _emit_json([row | {"arguments": json.loads(row["arguments"]), "data": json.loads(row["data"])} for row in rows])
        else:
            print_audit(rows)
        return 0

    _run(action)


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
@EXACT_OPTION
@STORE_OPTION
def analyse(
    as_of: Any, seed: int, as_json: bool, engine: str, spark_remote: str | None, exact: bool, store_path: Path | None
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
        target = _existing_store(store_path)
        started = time.perf_counter()
        if spark_remote and engine != "spark":
            raise UsageError("--spark-remote needs --engine spark", fix="add --engine spark, or leave --spark-remote out.")
        if as_of is not None and not 1900 <= as_of.year <= 2200:
            raise UsageError(
                f"--as-of {as_of.date()} is outside the years 1900-2200", fix="give the data's end date, YYYY-MM-DD."
            )
        settings = AnalysisSettings(as_of=as_of.date() if as_of else None, seed=seed)
        run = analyse_store(target, settings, engine=engine, spark_remote=spark_remote)
        audit.note(run_id=run.run_id)
        records = _gate("analyse", exact, estimate_records(run.tables), sdc.release_estimates, target)
        payload = run.summary() | {"folder": str(run.folder), "effects": effect_lines(records)}
        _emit_json(payload) if as_json else print_analysis(payload, time.perf_counter() - started)
        return 0

    _run(action)


@main.command()
@click.option(
    "--register",
    "register",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the national Parquet register (`polku generate --format parquet`).",
)
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
            _emit_json(payload)
        else:
            out.print(f"run {run.run_id} in {run.folder}")
            out.print(run.tables["national_indicators"].to_string(index=False))
        return 0

    _run(action)


@main.command(name="runs")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@STORE_OPTION
def runs_(as_json: bool, store_path: Path | None) -> None:
    """List the store's analysis runs in the order they finished: id, time, seed, data
    date, Polku version, user and the digest of the results (equal digests, equal results).
    """
    from polku.runs import list_runs
    from polku.store.connection import store_target

    def action() -> int:
        target = store_target(store_path)
        summaries = [run.summary() for run in list_runs(target)]
        _emit_json(summaries) if as_json else print_runs(summaries, target)
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
def report(out_path: Path, lang: str | None, fmt: str | None, run_ref: str, store_path: Path | None) -> None:
    """Write the report of an analysis run (`polku analyse`): self-contained HTML, PDF, XLSX or CSV.

    The report reads the run's stored results and never fits; its header names the run.
    """
    from polku.runs.report import run_report
    from polku.store import audit

    def action() -> int:
        target = _existing_store(store_path)
        path, run = run_report(target, out_path, run=run_ref, lang=lang or settings.language(), fmt=fmt)
        audit.note(run_id=run.run_id)
        out.print(f"report of run {run.run_id} written to {path}", highlight=False)
        return 0

    _run(action)


class _Methods(click.Choice):
    """`--method`'s choices: the names in `polku.impact.registry`, read only when the option is
    parsed or its help shown (importing the estimators loads scikit-learn, seconds that the
    other commands should not wait)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from polku.impact.registry import ESTIMATORS

        return tuple(ESTIMATORS)

    @choices.setter
    def choices(self, _: Any) -> None:
        pass


class _MethodOption(click.Option):
    """`--method` with its default and help from the registry: each estimator's name and label."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from polku.impact.registry import DEFAULT_METHOD, ESTIMATORS

        self.default = DEFAULT_METHOD
        self.help = "; ".join(f"{name}: {cls.label}" for name, cls in ESTIMATORS.items()) + " (docs/methods.md)."
        return super().get_help_record(ctx)


def _default_method() -> str:
    from polku.impact.registry import DEFAULT_METHOD

    return DEFAULT_METHOD


@main.command()
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Flat CSV or Parquet file, one row per person (or person and start). Without it: estimates over the store.",
)
@click.option("--treatment", default=None, help="With --data: column with 1 for participants and 0 for comparison people.")
@click.option(
    "--outcome",
    default=None,
    help=(
        "With --data: the outcome column. Over the store: employed, employed_hours, days_employed, earnings, exit_education or "
        "exit_out_of_labour_force with a window, e.g. employed_12m (default)."
    ),
)
@click.option("--covariates", default="", help="With --data: comma-separated covariate columns; text columns become indicators.")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="Over the store: service code(s) to estimate (default: every service with participants).",
)
@click.option("--method", cls=_MethodOption, default=_default_method, show_default=True, type=_Methods())
@click.option(
    "--estimand",
    default="att",
    show_default=True,
    type=click.Choice(["att", "ate"]),
    help="att: effect on participants; ate: on everybody (with --data).",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting folds, bootstrap)."
)
@click.option(
    "--bootstrap",
    default=None,
    type=click.IntRange(min=0),
    help=(
        "Bootstrap replications (ipw, aipw, entropy: percentile CI, over the store resampling whole persons; expected_observed: "
        "model uncertainty, default 100)."
    ),
)
@click.option(
    "--trim",
    default=None,
    type=Finite(0, 0.5, max_open=True),
    help="Trimming threshold alpha for ipw, aipw and match (default 0.01) and entropy (default 0); see docs/methods.md.",
)
@click.option(
    "--keep-later-services",
    is_flag=True,
    help="Over the store: do not censor comparison people who start a service later (estimand: starting now vs not now).",
)
@click.option(
    "--survival",
    is_flag=True,
    help=(
        "Over the store: instead of effects, the share in open-market work by 3, 6, 12 and 24 months (cumulative incidence, "
        "exits to education or out of the labour force competing) for participants and the weighted comparison group, on the "
        "censoring-weighted rows of the estimate on --outcome; for each service and for each of its client groups with an "
        "estimate (docs/methods.md, section 10)."
    ),
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON (one object with --data, a list over the store), under disclosure control unless --exact.",
)
@EXACT_OPTION
@STORE_OPTION
def estimate(
    data_path: Path | None,
    treatment: str | None,
    outcome: str | None,
    covariates: str,
    services: tuple[str, ...],
    method: str,
    estimand: str,
    seed: int,
    bootstrap: int | None,
    trim: float | None,
    keep_later_services: bool,
    survival: bool,
    as_json: bool,
    exact: bool,
    store_path: Path | None,
) -> None:
    """Estimate services' effects on an outcome, with intervals and diagnostics.

    Over the store: by service, by service and client group, and by service and provider,
    comparing participants with job seekers registered on the same day who had not yet
    started a service. With --data: from any flat file, for example the NSW/LaLonde
    benchmark or an area's own extract. With --survival: time to open-market work for
    participants and for the comparison group weighted by the estimate's propensity
    score. Counts and estimates pass the disclosure gate as in the report; --exact
    prints them exact (logged).
    """
    from polku import sdc

    options: dict[str, Any] = {}
    if bootstrap is not None:
        options["bootstrap"] = bootstrap
    if trim is not None:
        from polku.impact.registry import takes_setting

        if takes_setting(method, "trim"):
            options["trim"] = trim
    store_outcome = outcome or "employed_12m"

    def from_file(data_path: Path) -> int:
        from polku.pipeline.flatfile import estimate_file

        if survival:
            raise UsageError("--survival works over the store, not with --data", fix="leave out --data (or --survival).")
        if not treatment or not outcome:
            raise UsageError(
                "--treatment and --outcome are required with --data", fix="name the treatment (0/1) and outcome columns."
            )
        names = [c.strip() for c in covariates.split(",") if c.strip()]
        result, sentences = estimate_file(
            data_path,
            treatment=treatment,
            outcome=outcome,
            covariates=names,
            method=method,
            estimand=estimand,
            seed=seed,
            settings=options,
        )
        record = _gate("estimate", exact, [result.to_dict()], sdc.release_estimates, data_path)[0]
        if record["estimate"] is None:  # the sentences describe the estimate, or quote its note's counts
            sentences = [f"No estimate: {record['note'] or 'too few people to show'}."]
        if as_json:
            _emit_json(
                record
                | {
                    "data": str(data_path),
                    "treatment": treatment,
                    "outcome": outcome,
                    "covariates": names,
                    "seed": seed,
                    "sentences": sentences,
                }
            )
        else:
            for line in estimate_lines(record, sentences):
                out.print(line, highlight=False)
        return 0

    def from_store() -> int:
        from polku.pipeline.by_service import store_estimates
        from polku.store import open_store

        if estimand != "att":
            raise UsageError(
                "estimates over the store are for participants (att)", fix="leave out --estimand, or use --data for the ate."
            )
        if survival:
            return survival_curves()
        with open_store(store_path, read_only=True) as store:
            rows = store_estimates(
                store,
                services=list(services) or None,
                outcome=store_outcome,
                method=method,
                censor_later_services=not keep_later_services,
                seed=seed,
                settings=options,
            )
        records = _gate("estimate", exact, [row.to_dict() for row in rows], sdc.release_estimates, store_path)
        if as_json:
            _emit_json(records)
        else:
            print_effects(records)
        return 0

    def survival_curves() -> int:
        from polku.pipeline.store_views import store_views
        from polku.store import open_store

        if keep_later_services:  # the curves stop following a comparison person at a later start
            raise UsageError(
                "--survival censors comparison people at a later service start", fix="leave out --keep-later-services."
            )
        with open_store(store_path, read_only=True) as store:
            views = store_views(
                store,
                services=list(services) or None,
                outcome=store_outcome,
                method=method,
                seed=seed,
                settings=options,
                checks=False,
                expected=False,
                kaplan=True,
                by_provider=False,
            )
        exact_records = [_survival_record(view, store_outcome) for view in views]
        payload = _gate(
            "estimate",
            exact,
            exact_records,
            lambda _: [_survival_record(v, store_outcome, released=True) for v in views],
            store_path,
        )
        if as_json:
            _emit_json(payload)
        else:
            print_survival(payload)
        return 0

    _run(lambda: from_file(data_path) if data_path is not None else from_store())


def _survival_record(view: Any, outcome: str, released: bool = False) -> dict[str, Any]:
    """One service's curves as JSON-ready values (or why there are none), exact or as the
    disclosure gate releases them (`sdc.release_survival`)."""
    from polku import sdc

    if view.survival is None:
        note = view.overall.result.note or "no estimate"
        return {
            "service_code": view.service_code,
            "outcome": outcome,
            "suppressed": True,
            "note": sdc.scrub_text(note) if released else note,
        }
    if released:
        return sdc.release_survival(view.survival, view.group_survival) | {"outcome": outcome, "suppressed": False, "note": ""}
    groups = [g.to_dict() for g in view.group_survival]
    return view.survival.to_dict() | {"outcome": outcome, "suppressed": False, "note": "", "client_groups": groups}


@main.command()
@click.option("--year", required=True, type=click.IntRange(1, 9999), help="Tax year (the shipped parameters cover 2023-2026).")
@click.option(
    "--persons",
    "persons_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "CSV, one row per person: person_id, age, annual_wage_income, unemployment_benefit_days, unemployment_benefit_type "
        "(basic, labour_market_subsidy, earnings_related or none); optional earnings_related_daily_wage_basis (EUR a day), "
        "municipal_tax_rate and church_tax_rate (per cent; default the year's average municipal rate and no church tax), "
        "children, single_parent (0/1), benefit_days_used_before, step_down_applies (0/1), employer_payroll (EUR a year), "
        "adjusted_benefit_months."
    ),
)
@click.option(
    "--explain",
    "explain_id",
    default=None,
    help="Print this person's calculation line by line: each amount, its law, and every parameter with its value and source.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per person.")
def fiscal(year: int, persons_path: Path, explain_id: str | None, as_json: bool) -> None:
    """Taxes, contributions, benefits and net income of each person for one year, under
    that year's Finnish rules (docs/fiscal.md).
    """

    def action() -> int:
        from polku.fiscal.person_year import OUTPUT, calculate, read_persons

        persons = read_persons(persons_path)
        result = calculate(persons, year, source=str(persons_path))  # checks every row, with its line
        if explain_id is not None:
            from polku.fiscal.explain import breakdown, render

            chosen = persons[persons["person_id"].astype(str) == explain_id]
            if chosen.empty:
                raise UsageError(f"no person {explain_id!r} in {persons_path}", fix="use a person_id of the file.")
            out.print(render(breakdown(chosen, year, source=str(persons_path))), highlight=False, markup=False)
            return 0
        columns = ["person_id", *OUTPUT]
        if as_json:
            _emit_json(
                [
                    {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}
                    for row in result[columns].to_dict("records")
                ]
            )
        else:
            out.print(result[columns].round(2).to_string(index=False), highlight=False, markup=False)
        return 0

    _run(action)


@main.command()
@click.option(
    "--year",
    default=None,
    type=click.IntRange(1, 9999),
    help=(
        "Year whose tax and benefit rules value the employments (required with --employed; over the store: each cohort's median "
        "start year, within the years the parameters cover)."
    ),
)
@click.option(
    "--employed",
    "employed_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "CSV, one row per participant who found work: the columns of `polku fiscal` for the benefit they were on before, plus "
        "weekly_hours, annual_wage_income (when missing: imputed from education_level, isced_level, sex and age), "
        "housing_allowance_monthly and social_assistance_monthly. Without it: each service over the store."
    ),
)
@click.option("--participants", default=None, type=click.IntRange(min=1), help="With --employed: participants in the cohort.")
@click.option("--cost", default=None, type=Finite(min=0), help="With --employed: programme cost of the cohort in euros.")
@click.option(
    "--additional",
    default=None,
    type=Finite(),
    help=(
        "With --employed: additional employments, employed participants minus those expected without the service (polku "
        "estimate: the ATT times the participants; expected versus observed: O - E)."
    ),
)
@click.option("--interval", default=None, help="With --employed: 95 % interval of the additional employments, LOW,HIGH.")
@click.option("--service", "services", multiple=True, help="Over the store: service code(s) (default: every service).")
@click.option(
    "--horizon",
    default=None,
    type=click.IntRange(min=1),
    help="Years the effect is counted (default 1, as seed 000; see docs/fiscal.md).",
)
@click.option(
    "--persistence", default=None, type=Finite(0, 1), help="Share of the effect left in each further year (default 0.5)."
)
@click.option("--discount", default=None, type=Finite(0, 0.2), help="Discount rate a year (default 0.035).")
@click.option("--optimism-bias", default=None, type=Finite(0, 1), help="Haircut on the benefits (default 0).")
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting, Monte Carlo)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON (one object with --employed, a list over the store), under disclosure control unless --exact.",
)
@EXACT_OPTION
@STORE_OPTION
def cba(
    year: int | None,
    employed_path: Path | None,
    participants: int | None,
    cost: float | None,
    additional: float | None,
    interval: str | None,
    services: tuple[str, ...],
    horizon: int | None,
    persistence: float | None,
    discount: float | None,
    optimism_bias: float | None,
    seed: int,
    as_json: bool,
    exact: bool,
    store_path: Path | None,
) -> None:
    """Cost-benefit analysis: additional employments times the fiscal gain of an employment
    at the participants' own hours and wages, against the programme cost, with a Monte
    Carlo and a tornado (docs/fiscal.md, section 7).

    Over the store, for each service: the effect of `polku estimate` on employment within
    12 months, the participants who found work valued at their first open-market job, and
    the episodes' recorded costs. With --employed: a cohort described by a file and options.
    Counts pass the disclosure gate as in the report, and money figures are shown only when
    enough participants who found work lie behind them; --exact prints them exact (logged).
    """
    from polku import sdc
    from polku.cba import Assumptions

    def released(rows: list[Any], source: Path | None) -> list[dict[str, Any]]:
        return _gate(
            "cba", exact, [row.to_dict() for row in rows], lambda records: [sdc.release_cost_benefit(r) for r in records], source
        )

    chosen: dict[str, Any] = {
        k: v
        for k, v in {
            "horizon_years": horizon,
            "persistence": persistence,
            "discount_rate": discount,
            "optimism_bias": optimism_bias,
        }.items()
        if v is not None
    }
    assumptions = Assumptions(**chosen)

    def from_file(employed_path: Path) -> int:
        from polku.cba import Effect
        from polku.cba.cohort import employed_gain
        from polku.cba.store import analysed_row
        from polku.fiscal.person_year import read_persons

        if services:
            raise UsageError("--service is for the store; with --employed the file is the cohort", fix="leave out --service")
        if year is None or participants is None or cost is None or additional is None or interval is None:
            raise UsageError(
                "--employed needs --year, --participants, --cost, --additional and --interval",
                fix="give all five, or leave out --employed to analyse the store",
            )
        try:
            low, high = (float(x) for x in interval.split(","))
            if not math.isfinite(low) or not math.isfinite(high):
                raise ValueError(interval)
        except ValueError:
            raise UsageError(
                f"--interval must be LOW,HIGH (two finite numbers), not {interval!r}", fix="for example --interval 8,24"
            ) from None
        if not low <= additional <= high:
            raise UsageError("--additional must lie within --interval", fix="give the estimate and its 95 % interval")
        gain, simulated = employed_gain(read_persons(employed_path, "--employed"), year, source=str(employed_path))
        effect = Effect(additional, low, high)
        row = analysed_row(employed_path.stem, year, participants, effect, gain, simulated, cost, assumptions, seed)
        record = released([row], employed_path)[0]
        _emit_json(record) if as_json else print_cba(record)
        return 0

    def from_store() -> int:
        from polku.cba.store import covered_years, store_cost_benefit
        from polku.store import open_store

        low, high = covered_years()
        if year is not None and not low <= year <= high:
            raise UsageError(
                f"the tax and benefit parameters cover {low}-{high}, not {year}", fix=f"choose --year between {low} and {high}"
            )
        if any(v is not None for v in (participants, cost, additional, interval)):
            raise UsageError(
                "--participants, --cost, --additional and --interval go with --employed",
                fix="over the store they come from the data; leave them out",
            )
        with open_store(store_path, read_only=True) as store:
            rows = store_cost_benefit(store, list(services) or None, year=year, seed=seed, assumptions=assumptions)
        records = released(rows, store_path)
        if as_json:
            _emit_json(records)
        else:
            for record in records:
                print_cba(record)
        return 0

    _run(lambda: from_file(employed_path) if employed_path is not None else from_store())


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


# --- the web: polku serve, polku user (polku.web; docs/web.md) --------------------------------


def _store_for_web(store_path: Path | None) -> Path:
    """The existing store a web command works on (never created here)."""
    from polku.store.connection import store_target

    return store_target(store_path)


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep 127.0.0.1 behind a reverse proxy)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Server processes (uvicorn workers), about one per core; sessions are shared (docs/web.md, Load).",
)
@STORE_OPTION
def serve(host: str, port: int, workers: int, store_path: Path | None) -> None:
    """Serve the web views of the store until interrupted (docs/web.md).

    Logins are local accounts (`polku user add`); put a reverse proxy with TLS in front
    of it for any use beyond this machine.
    """
    from polku.web.serve import serve as run_server

    _run(lambda: run_server(_store_for_web(store_path), host, port, workers))


@main.group()
def user() -> None:
    """Web accounts of a store: add, disable, set a password, list (docs/web.md).

    Passwords are read from a hidden prompt or from standard input, never from an argument.
    """


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "analyst", "manager", "teamlead", "caseworker", "provider"]),
    help="What the user may see (docs/web.md).",
)
@click.option(
    "--case-worker", "case_worker_id", default=None, help="With --role caseworker: the case worker id whose clients they see."
)
@click.option("--team", "team_id", default=None, help="With --role teamlead: the team id whose clients they see.")
@click.option("--provider", "provider_id", default=None, help="With --role provider: the provider id whose clients they see.")
@STORE_OPTION
def user_add(
    name: str, role: str, case_worker_id: str | None, team_id: str | None, provider_id: str | None, store_path: Path | None
) -> None:
    """Add the account NAME; its password is asked for (or read from standard input)."""
    from polku.web.accounts import User
    from polku.web.serve import add_user, read_password

    def action() -> int:
        account = User(name, role, case_worker_id=case_worker_id, team_id=team_id, provider_id=provider_id)
        add_user(_store_for_web(store_path), account, read_password())
        out.print(f"user {name} added ({role})")
        return 0

    _run(action)


@user.command(name="disable")
@click.argument("name")
@STORE_OPTION
def user_disable(name: str, store_path: Path | None) -> None:
    """Disable the account NAME and end its sessions (the account stays, for the audit trail)."""
    from polku.web.serve import accounts_of

    def action() -> int:
        accounts_of(_store_for_web(store_path)).disable(name)
        out.print(f"user {name} disabled")
        return 0

    _run(action)


@user.command(name="passwd")
@click.argument("name")
@STORE_OPTION
def user_passwd(name: str, store_path: Path | None) -> None:
    """Set a new password for NAME (asked for, or read from standard input); its sessions end."""
    from polku.web.serve import accounts_of, read_password

    def action() -> int:
        accounts_of(_store_for_web(store_path)).set_password(name, read_password())
        out.print(f"password of {name} changed")
        return 0

    _run(action)


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@STORE_OPTION
def user_list(as_json: bool, store_path: Path | None) -> None:
    """List the accounts: name, role, what they are tied to, disabled or not (never a password hash)."""
    from polku.web.serve import accounts_of

    def action() -> int:
        rows = accounts_of(_store_for_web(store_path)).users()
        if as_json:
            _emit_json(rows)
        else:
            for row in rows:
                tie = row["case_worker_id"] or row["team_id"] or row["provider_id"] or ""
                state = "disabled" if row["disabled"] else "enabled"
                out.print(f"{row['username']}\t{row['role']}\t{tie}\t{state}{' (demo)' if row['demo'] else ''}", highlight=False)
        return 0

    _run(action)


# --- providers (issue 18) ------------------------------------------------------------------


@main.command()
@click.option(
    "--run", "run_ref", default="latest", show_default=True, help="The analysis run to read: its id (`polku runs`) or latest."
)
@click.option("--json", "as_json", is_flag=True, help="Print one object per provider and service as JSON, gated unless --exact.")
@EXACT_OPTION
@STORE_OPTION
def providers(run_ref: str, as_json: bool, exact: bool, store_path: Path | None) -> None:
    """Compare providers risk-adjusted: observed against expected employment per service.

    Reads an analysis run (`polku analyse`): for each provider and service, clients,
    observed (O) and expected (E) employment from the seed model, O/E with its 95 % funnel
    limits, and the rating (high, moderate or low, read at the 99.8 % limits), beside the
    naive employment rate (docs/providers.md). Rows are in the order of service and
    provider, never ranked.
    """
    from polku import sdc
    from polku.providers.output import comparison_of, lines, records
    from polku.runs.read import open_run

    def action() -> int:
        target = _existing_store(store_path)
        frame = comparison_of(open_run(target, run_ref).tables)
        if exact:
            _gate("providers", exact, None, lambda _: None, target)
        rows = records(frame, sdc.threshold(), exact=exact)
        if as_json:
            _emit_json(rows)
            return 0
        for line in lines(rows):
            out.print(line, highlight=False)
        return 0

    _run(action)
