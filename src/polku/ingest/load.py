"""Import a file into the store: read, validate, pseudonymise, load, in one transaction.

First, outside the transaction: open the file as text and stop if its columns do not fit
the mapping. Then, in one transaction: if the same file (same SHA-256, mapping and key
version) is already the current import of this source, log an 'unchanged' import and write
nothing else; otherwise delete the source's earlier rows and quarantine (replacement),
validate and convert every row in SQL, insert the accepted rows and quarantine the rest,
check that no row was lost, and log the import. Any error or a killed process leaves the
store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from polku.errors import Location, PolkuError, UsageError, ValidationFailed
from polku.identity import PseudonymKey
from polku.ingest import read, validate
from polku.ingest.mapping import Mapping, TableMapping, load_mapping
from polku.ingest.quarantine import insert_malformed, quarantine_sql
from polku.ingest.read import InMemory, RawFile, column_rules, file_format, materialise, read_source
from polku.ingest.report import ImportReport
from polku.ingest.rules import quote
from polku.ingest.validate import (
    DUPS,
    STAGED,
    ColumnPlan,
    duplicates_sql,
    identities_sql,
    mark_duplicates_sql,
    per_distinct_code,
    plan_columns,
    staged_sql,
)
from polku.progress import ProgressCallback
from polku.schema.tables import IMPORT_ORDER, TABLES
from polku.store.connection import Store
from polku.store.ddl import column_definitions

EFFECTIVE = ("imported", "replaced")
"""Statuses of imports whose rows are in the store (an 'unchanged' import wrote none)."""


class LostRows(PolkuError):
    """Rows read differ from rows accepted plus quarantined: a bug, so the import is undone."""


@dataclass(frozen=True)
class Previous:
    import_id: int
    sha256: str
    mapping: str
    key_version: int | None


@dataclass(frozen=True)
class Job:
    """One import's fixed inputs, passed between the steps."""

    table: str
    file: Path
    source: str
    mapping: Mapping
    key: PseudonymKey
    progress: ProgressCallback
    allow_empty: bool = False

    @property
    def table_mapping(self) -> TableMapping:
        return self.mapping.for_table(self.table)

    def params(self, import_id: int) -> dict[str, Any]:
        return {"import_id": import_id, "table": self.table, "source": self.source, "file": str(self.file)}


def _silent(step: str, fraction: float) -> None:
    """Default progress callback: library code never prints."""


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise UsageError(
            f"unknown table '{table}'",
            why="files are imported into one of the data model's tables.",
            fix=f"use one of: {', '.join(TABLES)}.",
        )


def _previous(con: duckdb.DuckDBPyConnection, job: Job) -> Previous | None:
    row = con.execute(
        "SELECT import_id, file_sha256, mapping, key_version FROM import_log "
        "WHERE table_name = ? AND source = ? AND list_contains(?, status) "
        "ORDER BY import_id DESC LIMIT 1",
        [job.table, job.source, list(EFFECTIVE)],
    ).fetchall()
    return Previous(*row[0]) if row else None


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM import_log").fetchall()[0][0])


def _by_reason(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason_code, count(*) FROM quarantine WHERE import_id = ? GROUP BY 1 ORDER BY 1", [import_id]
    ).fetchall()
    return {code: int(count) for code, count in rows}


def _log(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, report: ImportReport, started: dt.datetime) -> None:
    con.execute(
        "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.import_id, job.table, job.source, str(job.file), raw.sha256, raw.format,
            job.mapping.label, job.key.version if job.table_mapping.table.identity_field else None,
            report.status, report.rows_read, report.rows_accepted, report.rows_quarantined,
            report.rows_replaced, started, _utc_now(), report.file_records,
        ],
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _is_unchanged(previous: Previous, job: Job, raw: RawFile) -> bool:
    key_version = job.key.version if job.table_mapping.table.identity_field else None
    return (previous.sha256, previous.mapping, previous.key_version) == (raw.sha256, job.mapping.label, key_version)


def _unchanged(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, previous: Previous, started: dt.datetime) -> ImportReport:
    """Log a repeated import of the current file; the data tables are not touched."""
    counts = con.execute(
        "SELECT rows_read, rows_accepted, rows_quarantined, file_records FROM import_log WHERE import_id = ?", [previous.import_id]
    ).fetchall()[0]
    report = ImportReport(
        job.table, job.source, str(job.file), _next_import_id(con), "unchanged", *counts[:3], 0,
        _by_reason(con, previous.import_id), mapping=job.mapping.label, file_sha256=raw.sha256, file_records=counts[3],
    )
    _log(con, job, raw, report, started)
    return report


def _replace(con: duckdb.DuckDBPyConnection, job: Job) -> int:
    """Delete the source's earlier rows and quarantine; the number of data rows removed."""
    deleted = con.execute(f"DELETE FROM {quote(job.table)} WHERE _source = ?", [job.source]).fetchall()[0][0]
    con.execute("DELETE FROM quarantine WHERE table_name = ? AND source = ?", [job.table, job.source])
    return int(deleted)


def _stage(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan) -> RawFile:
    """Validate and convert every row into the temporary STAGED table (see `validate`)."""
    mapping = job.table_mapping
    raw = materialise(con, raw, column_rules(mapping.table, plan.sources))
    if per_distinct_code(mapping):
        con.execute(identities_sql(mapping, plan, raw.relation), job.key.sql_parameters())
    other = bool(con.execute(f"SELECT count(*) > 0 FROM {quote(job.table)} WHERE _source <> ?", [job.source]).fetchall()[0][0])
    sql = staged_sql(mapping, plan, raw.relation, other_sources=other)
    params: dict[str, Any] = {"source": job.source} if other else {}
    if "$hmac_ipad" in sql:  # identity checked inline (person table)
        params.update(job.key.sql_parameters())
    con.execute(sql, params)
    con.execute(duplicates_sql(mapping))
    if con.execute(f"SELECT count(*) FROM {DUPS}").fetchall()[0][0]:
        con.execute(mark_duplicates_sql(mapping, plan, raw.relation))
    return raw


def _insert_accepted(con: duckdb.DuckDBPyConnection, job: Job, import_id: int) -> int:
    names = [name for name, _ in column_definitions(job.table_mapping.table)]
    values = [quote(f.name) for f in job.table_mapping.table.fields]
    if "key_version" in names:
        values.append(str(job.key.version))
    values += [str(import_id), "$source", "_line"]
    sql = (
        f"INSERT INTO {quote(job.table)} ({', '.join(map(quote, names))}) "
        f"SELECT {', '.join(values)} FROM {STAGED} WHERE NOT _bad"
    )
    return int(con.execute(sql, {"source": job.source}).fetchall()[0][0])


def _quarantine(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan, import_id: int) -> int:
    """Write every problem to quarantine; the number of rows (not problems) rejected."""
    params = job.params(import_id)
    con.execute(quarantine_sql(job.table_mapping, plan), params)
    insert_malformed(con, raw.malformed, len(raw.columns), params)
    bad = con.execute(f"SELECT count(*) FROM {STAGED} WHERE _bad").fetchall()[0][0]
    return int(bad) + len(raw.malformed)


def _check_no_loss(records: int, accepted: int, quarantined: int, job: Job) -> None:
    """Every record of the file, counted from its bytes, is accepted or quarantined."""
    if records != accepted + quarantined:
        raise LostRows(
            f"the file has {records} records but {accepted} were accepted and {quarantined} quarantined",
            where=str(job.file),
            why="every row read must be either imported or quarantined; the import was undone.",
            fix="this is a bug in Polku; please report it with the file's structure (not its data).",
        )


def _refuse_emptying(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile) -> None:
    """A file without data rows would delete every row of its source: far more often a
    failed export than an intended deletion, so it needs `allow_empty`."""
    if raw.rows + len(raw.malformed) or job.allow_empty:
        return
    stored = con.execute(f"SELECT count(*) FROM {quote(job.table)} WHERE _source = ?", [job.source]).fetchall()[0][0]
    if stored:
        raise ValidationFailed(
            f"the file has no data rows; importing it would delete the {stored:,} rows imported earlier from source '{job.source}'",
            where=Location(str(job.file), 1),
            why="an empty export is more often a failed export than a real deletion, and deleted rows are lost from every analysis.",
            fix="check the export; to empty the source on purpose, import again with --allow-empty.",
        )


def _load(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan, previous: Previous | None, started: dt.datetime) -> ImportReport:
    if previous is not None:
        _refuse_emptying(con, job, raw)
    import_id = _next_import_id(con)
    replaced = _replace(con, job) if previous is not None else 0
    job.progress(f"validating {raw.rows:,} rows", 0.3)
    raw = _stage(con, job, raw, plan)
    job.progress("writing accepted rows", 0.6)
    accepted = _insert_accepted(con, job, import_id)
    quarantined = _quarantine(con, job, raw, plan, import_id)
    read = raw.rows + len(raw.malformed)
    _check_no_loss(raw.records, accepted, quarantined, job)
    report = ImportReport(
        job.table, job.source, str(job.file), import_id, "replaced" if previous else "imported",
        read, accepted, quarantined, replaced, _by_reason(con, import_id),
        mapping=job.mapping.label, file_sha256=raw.sha256, file_records=raw.records,
    )
    _log(con, job, raw, report, started)
    return report


def _write(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan) -> ImportReport:
    """Everything that changes the store; runs inside the import's transaction."""
    started = _utc_now()
    previous = _previous(con, job)
    if previous is not None and _is_unchanged(previous, job, raw):
        report = _unchanged(con, job, raw, previous, started)
    else:
        report = _load(con, job, raw, plan, previous, started)
    job.progress("committing", 0.95)
    return report


def _run(store: Store, job: Job) -> ImportReport:
    """Check the file and its columns first, then write inside one transaction.

    Temporary tables and in-memory copies are removed whether the import succeeds or not.
    """
    job.progress(f"reading {job.file.name}", 0.0)
    try:
        with InMemory(store.con) as memory:
            return _read_and_write(store, job, memory)
    finally:
        for name in read.TEMPORARIES + validate.TEMPORARIES:
            store.con.execute(f"DROP TABLE IF EXISTS {name}")


def _read_and_write(store: Store, job: Job, memory: InMemory) -> ImportReport:
    raw = read_source(store.con, job.file, job.table_mapping.file, memory)
    plan = plan_columns(raw.columns, job.table_mapping, file=str(job.file), mapping_path=job.mapping.path, trim=raw.spaces)
    with store.transaction() as con:
        return _write(con, job, raw, plan)


def import_file(
    store: Store,
    table: str,
    file: Path,
    *,
    mapping: Path | None = None,
    source: str | None = None,
    key: PseudonymKey,
    progress: ProgressCallback | None = None,
    allow_empty: bool = False,
) -> ImportReport:
    """Import one file into `table`; all or nothing, in one transaction.

    `source` (default: the file's name) identifies where the rows came from: a new file
    under the same source replaces the earlier one's rows, the same file again changes
    nothing. Rows that fail validation go to `quarantine`; the report counts both. A file
    without data rows may replace a source's rows only with `allow_empty`.
    """
    _check_table(table)
    file = Path(file)
    if not file.is_file():
        raise UsageError("the file to import does not exist", where=str(file), fix="check the path and the file name.")
    file_format(file)
    began = time.perf_counter()
    job = Job(table, file, source or file.name, load_mapping(mapping), key, progress or _silent, allow_empty)
    report = _run(store, job)
    job.progress("done", 1.0)
    return _with_seconds(report, time.perf_counter() - began)


def _with_seconds(report: ImportReport, seconds: float) -> ImportReport:
    return replace(report, seconds=round(seconds, 3))


def folder_files(folder: Path) -> list[tuple[str, Path]]:
    """(table, file) for every `{table}.csv|.xlsx|.parquet` in `folder`, in IMPORT_ORDER."""
    if not Path(folder).is_dir():
        raise UsageError("the folder to import does not exist", where=str(folder), fix="check the path.")
    found = []
    for table in IMPORT_ORDER:
        candidates = [Path(folder) / f"{table}{suffix}" for suffix in (".csv", ".xlsx", ".parquet")]
        present = [c for c in candidates if c.is_file()]
        if len(present) > 1:
            raise UsageError(
                f"the folder has several files for table {table}",
                where=str(folder),
                why="it is not clear which one is current.",
                fix=f"keep one of: {', '.join(p.name for p in present)}.",
            )
        found += [(table, p) for p in present]
    return found


def import_folder(
    store: Store,
    folder: Path,
    *,
    key: PseudonymKey,
    mapping: Path | None = None,
    progress: ProgressCallback | None = None,
) -> list[ImportReport]:
    """Import every table file present in `folder`, in the order references resolve.

    Other files (ground truth, manifests) are ignored. Each file is its own transaction.
    """
    files = folder_files(Path(folder))
    return [
        import_file(store, table, path, mapping=mapping, key=key, progress=_share(progress, table, position, len(files)))
        for position, (table, path) in enumerate(files)
    ]


def _share(progress: ProgressCallback | None, table: str, position: int, total: int) -> ProgressCallback | None:
    """A callback mapping one file's 0..1 onto its share of a folder import."""
    if progress is None:
        return None
    return lambda step, fraction: progress(f"{table}: {step}", (position + fraction) / total)
