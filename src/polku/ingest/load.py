"""Import a file into the store: read, validate, pseudonymise, load, in one transaction.

First, outside the transaction: survey the file (its SHA-256 and text form) and stop if its
columns do not fit the mapping. Then, in one transaction: if the same file (same SHA-256,
mapping and key version) is already the current import of this source, log an 'unchanged'
import and write nothing else; otherwise move the source's current rows and quarantine into
history (replacement, `history.py`), then part by part (`read.Source.parts`) validate and
convert every row in SQL, insert the accepted rows and quarantine the rest, so that only one
part's rows are in memory at a time; then check that no row was lost and that the source did
not shrink below the limit, count what changed, and log the import. Any error or a killed process
leaves the store exactly as it was. `rollback` puts the newest kept version back.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from polku import settings
from polku.errors import Location, PolkuError, UsageError, ValidationFailed
from polku.identity import PseudonymKey
from polku.ingest import history, read, validate
from polku.ingest.history import Changes
from polku.ingest.mapping import Mapping, TableMapping, load_mapping
from polku.ingest.quarantine import COLUMNS, insert_malformed, quarantine_sql
from polku.ingest.read import (
    PASSED,
    InMemory,
    RawFile,
    Source,
    column_rules,
    file_format,
    insert_rows,
    materialise,
    read_source,
    select_rows,
)
from polku.ingest.report import ImportReport
from polku.ingest.rules import literal, quote
from polku.ingest.validate import (
    DUPS,
    PART_TEMPORARIES,
    SEEN,
    STAGED,
    ColumnPlan,
    duplicates_sql,
    earlier_sql,
    identities_sql,
    mark_duplicates_sql,
    part_keys_sql,
    per_distinct_code,
    plan_columns,
    refuse_codes_in_names,
    remember_rejected_sql,
    seen_sql,
    staged_sql,
)
from polku.progress import ProgressCallback
from polku.schema.tables import IMPORT_ORDER, TABLES
from polku.store.connection import Store
from polku.store.ddl import HISTORY_PREFIX, column_definitions
from polku.store.keys import bind_key

EFFECTIVE = ("imported", "replaced", "rolled_back")
"""Statuses of log entries that set a source's current version ('unchanged' sets none);
the latest one's `version_import_id` names the import whose rows are current."""


class LostRows(PolkuError):
    """Rows read differ from rows accepted plus quarantined: a bug, so the import is undone."""


@dataclass(frozen=True)
class Previous:
    """The source's current version: the import that wrote its rows, and what it read."""

    import_id: int
    sha256: str
    mapping: str
    key_version: int | None


@dataclass(frozen=True)
class Counts:
    """What the parts of one file added up to."""

    records: int = 0  # records counted from the bytes
    read: int = 0  # rows read plus records set apart by the reader
    accepted: int = 0
    quarantined: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(astuple(self), astuple(other))))


@dataclass(frozen=True)
class Job:
    """One import's fixed inputs, passed between the steps."""

    table: str
    file: Path
    source: str
    mapping: Mapping
    key: PseudonymKey
    progress: ProgressCallback
    allow_shrink: bool = False
    staging: duckdb.DuckDBPyConnection | None = None
    """The connection that reads and validates the parts, outside the import's transaction
    (a cursor of the store's connection, autocommitting): DuckDB keeps whatever a
    transaction drops until it ends, so staging inside it would hold every part to the
    commit. Its temporary tables hold raw codes and never leave memory (no spill)."""

    @property
    def stage(self) -> duckdb.DuckDBPyConnection:
        if self.staging is None:
            raise RuntimeError("the import's staging connection is not open")
        return self.staging

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


def _current(con: duckdb.DuckDBPyConnection, table: str, source: str) -> Previous | None:
    row = con.execute(
        "SELECT coalesce(version_import_id, import_id), file_sha256, mapping, key_version FROM import_log "
        "WHERE table_name = ? AND source = ? AND list_contains(?, status) "
        "ORDER BY import_id DESC LIMIT 1",
        [table, source, list(EFFECTIVE)],
    ).fetchall()
    return Previous(*row[0]) if row else None


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM import_log").fetchall()[0][0])


def _by_reason(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    rows = con.execute(
        "SELECT reason_code, count(*) FROM quarantine WHERE import_id = ? GROUP BY 1 ORDER BY 1", [import_id]
    ).fetchall()
    return {code: int(count) for code, count in rows}


def _log(
    con: duckdb.DuckDBPyConnection, job: Job, source: Source, report: ImportReport, started: dt.datetime, version: int
) -> None:
    """Log an import; `version` is the import whose rows are the source's current version after it."""
    key_version = job.key.version if job.table_mapping.table.identity_field else None
    _log_entry(
        con,
        {
            "import_id": report.import_id,
            "table_name": job.table,
            "source": job.source,
            "file_path": str(job.file),
            "file_sha256": source.sha256,
            "file_format": source.format,
            "mapping": job.mapping.label,
            "key_version": key_version,
            "started_at": started,
            "version_import_id": version,
            "file_records": report.file_records,
            **_counts(report),
        },
    )


def _counts(report: ImportReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "rows_read": report.rows_read,
        "rows_accepted": report.rows_accepted,
        "rows_quarantined": report.rows_quarantined,
        "rows_replaced": report.rows_replaced,
        "rows_added": report.changes.added,
        "rows_removed": report.changes.removed,
        "rows_changed": report.changes.changed,
    }


def _log_entry(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> None:
    """One row of import_log, by column name (columns not given stay NULL)."""
    values = {**values, "finished_at": _utc_now()}
    names = ", ".join(values)
    con.execute(f"INSERT INTO import_log ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _is_unchanged(previous: Previous, job: Job, source: Source) -> bool:
    key_version = job.key.version if job.table_mapping.table.identity_field else None
    return (previous.sha256, previous.mapping, previous.key_version) == (source.sha256, job.mapping.label, key_version)


def _unchanged(
    con: duckdb.DuckDBPyConnection, job: Job, source: Source, previous: Previous, started: dt.datetime
) -> ImportReport:
    """Log a repeated import of the current file; the data tables are not touched."""
    read, accepted, quarantined, file_records = con.execute(
        "SELECT rows_read, rows_accepted, rows_quarantined, file_records FROM import_log WHERE import_id = ?",
        [previous.import_id],
    ).fetchall()[0]
    report = ImportReport(
        job.table,
        job.source,
        str(job.file),
        _next_import_id(con),
        "unchanged",
        read,
        accepted,
        quarantined,
        0,
        _by_reason(con, previous.import_id),
        mapping=job.mapping.label,
        file_sha256=source.sha256,
        file_records=file_records,
    )
    _log(con, job, source, report, started, previous.import_id)
    return report


def _replace(con: duckdb.DuckDBPyConnection, job: Job, previous: Previous, import_id: int, at: dt.datetime) -> int:
    """Move the source's current rows and quarantine into history (pruned to the setting
    after the changes are counted); the number of data rows removed from the table."""
    return history.push(con, job.table, job.source, previous.import_id, import_id, at)


def _other_sources(con: duckdb.DuckDBPyConnection, job: Job) -> bool:
    """The table holds rows of other sources, whose keys a new row must not repeat."""
    return bool(con.execute(f"SELECT count(*) > 0 FROM {quote(job.table)} WHERE _source <> ?", [job.source]).fetchall()[0][0])


def _stage(
    con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan, import_id: int, other: bool, inserted: int
) -> RawFile:
    """Validate and convert every row of one part into the temporary STAGED table of the
    staging connection (see `validate`); a key repeating a line of this part or of an
    earlier one is a duplicate."""
    mapping, stage = job.table_mapping, job.stage
    raw = materialise(stage, raw, column_rules(mapping.table, plan.sources))
    if per_distinct_code(mapping):
        stage.execute(identities_sql(mapping, plan, raw.relation), job.key.sql_parameters())
    sql = staged_sql(mapping, plan, raw.relation, other_sources=other)
    params: dict[str, Any] = {"source": job.source} if other else {}
    if "$hmac_ipad" in sql:  # identity checked inline (person table)
        params.update(job.key.sql_parameters())
    stage.execute(sql, params)
    _mark_duplicates(con, job, raw, plan, import_id, inserted)
    return raw


def _mark_duplicates(
    con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan, import_id: int, inserted: int
) -> None:
    """Mark the part's rows whose key repeats an earlier line: of this part, of an earlier
    part's rejected rows (SEEN), or of the `inserted` rows of earlier parts (looked up on
    `con`, the only connection that sees them, for this part's keys only)."""
    mapping, stage = job.table_mapping, job.stage
    stage.execute(seen_sql(mapping))
    if inserted:
        keys = stage.sql(part_keys_sql(mapping)).to_arrow_table()
        earlier = select_rows(con, keys, earlier_sql(mapping, PASSED, import_id))
        insert_rows(stage, SEEN, ", ".join(map(quote, earlier.column_names)), earlier)
    stage.execute(duplicates_sql(mapping))
    if stage.execute(f"SELECT count(*) FROM {DUPS}").fetchall()[0][0]:
        stage.execute(mark_duplicates_sql(mapping, plan, raw.relation))
    stage.execute(remember_rejected_sql(mapping))


def _insert_accepted(con: duckdb.DuckDBPyConnection, job: Job, import_id: int) -> int:
    """Insert the part's accepted rows (typed, pseudonymised) into the table on `con`."""
    names = [name for name, _ in column_definitions(job.table_mapping.table)]
    fields = [quote(f.name) for f in job.table_mapping.table.fields]
    values = list(fields)
    if "key_version" in names:
        values.append(str(job.key.version))
    values += [str(import_id), literal(job.source), "_line"]
    rows = job.stage.sql(f"SELECT {', '.join(fields)}, _line FROM {STAGED} WHERE NOT _bad").to_arrow_table()
    return insert_rows(con, quote(job.table), ", ".join(map(quote, names)), rows, ", ".join(values))


def _quarantine(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, plan: ColumnPlan, import_id: int) -> int:
    """Write every problem of the part to quarantine; the number of rows (not problems) rejected."""
    params = job.params(import_id)
    problems = job.stage.sql(quarantine_sql(job.table_mapping, plan), params=params | job.key.sql_parameters())
    insert_rows(con, "quarantine", COLUMNS, problems.to_arrow_table())
    insert_malformed(con, raw.malformed, len(raw.columns), params)
    bad = job.stage.execute(f"SELECT count(*) FROM {STAGED} WHERE _bad").fetchall()[0][0]
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


def _refuse_shrinking(job: Job, stored: int, kept: int, read: int) -> None:
    """A new version keeping far fewer rows than the last is far more often a failed or
    partial export than a real deletion, so it needs `allow_shrink` (an empty file is the
    extreme case). Checked before commit: a refusal replaces nothing."""
    limit = settings.shrink_limit()
    if job.allow_shrink or kept * 100 >= stored * limit:
        return
    raise ValidationFailed(
        f"refused: source '{job.source}' of {job.table} had {stored:,} rows, the new file would leave {kept:,} "
        f"({read:,} read), below {limit} % of them; nothing was replaced; check the export, "
        "or import again with --allow-shrink",
        where=Location(str(job.file)),
        why=(
            "a much smaller export is more often a failed or partial one than a real deletion, and deleted rows are lost from "
            "every analysis."
        ),
        fix=(
            "check the export; to accept the smaller version on purpose, import again with --allow-shrink (the limit is "
            "POLKU_SHRINK_LIMIT)."
        ),
    )


def _plan(job: Job, raw: RawFile) -> ColumnPlan:
    """The columns' plan for one part: its own spaces and longest values decide which
    checks can be skipped (skipping never changes a result, `rules.converts_without_codes`)."""
    mapping = job.table_mapping
    return plan_columns(
        raw.columns, mapping, file=str(job.file), mapping_path=job.mapping.path, trim=raw.spaces, longest=raw.longest
    )


def _load_part(con: duckdb.DuckDBPyConnection, job: Job, raw: RawFile, import_id: int, other: bool, inserted: int) -> Counts:
    """Validate, insert and quarantine one part; its temporary tables are dropped after it."""
    plan = _plan(job, raw)
    raw = _stage(con, job, raw, plan, import_id, other, inserted)
    accepted = _insert_accepted(con, job, import_id)
    quarantined = _quarantine(con, job, raw, plan, import_id)
    for name in PART_TEMPORARIES:
        job.stage.execute(f"DROP TABLE IF EXISTS {name}")
    return Counts(raw.records, raw.rows + len(raw.malformed), accepted, quarantined)


def _load(
    con: duckdb.DuckDBPyConnection, job: Job, source: Source, previous: Previous | None, started: dt.datetime
) -> ImportReport:
    import_id = _next_import_id(con)
    replaced = _replace(con, job, previous, import_id, started) if previous is not None else 0
    other = _other_sources(con, job)
    counts = Counts()
    for raw in source.parts():
        counts += _load_part(con, job, raw, import_id, other, counts.accepted)
        job.progress(f"validated and written {counts.read:,} rows", 0.1 + 0.8 * raw.read)
    _check_no_loss(counts.records, counts.accepted, counts.quarantined, job)
    _refuse_shrinking(job, replaced, counts.accepted, counts.read)
    report = ImportReport(
        job.table,
        job.source,
        str(job.file),
        import_id,
        "replaced" if previous else "imported",
        counts.read,
        counts.accepted,
        counts.quarantined,
        replaced,
        _by_reason(con, import_id),
        mapping=job.mapping.label,
        file_sha256=source.sha256,
        file_records=counts.records,
        changes=_changes(con, job, previous, import_id, counts.accepted),
    )
    _log(con, job, source, report, started, import_id)
    history.prune(con, job.table, job.source, settings.history_versions())
    return report


def _changes(con: duckdb.DuckDBPyConnection, job: Job, previous: Previous | None, import_id: int, accepted: int) -> Changes:
    """What the import did to its source: against the version it moved into history."""
    if previous is None:
        return Changes(accepted, 0, 0)
    table = job.table_mapping.table
    return history.changes(con, table, HISTORY_PREFIX + job.table, job.table, job.source, (previous.import_id, import_id))


def _write(con: duckdb.DuckDBPyConnection, job: Job, source: Source) -> ImportReport:
    """Everything that changes the store; runs inside the import's transaction."""
    started = _utc_now()
    bind_key(con, job.key, _next_import_id(con), started)
    previous = _current(con, job.table, job.source)
    if previous is not None and _is_unchanged(previous, job, source):
        report = _unchanged(con, job, source, previous, started)
    else:
        report = _load(con, job, source, previous, started)
    job.progress("committing", 0.95)
    return report


def _run(store: Store, job: Job) -> ImportReport:
    """Check the file and its columns first, then write inside one transaction.

    Temporary tables and in-memory copies are removed whether the import succeeds or not.
    """
    job.progress(f"reading {job.file.name}", 0.0)
    staging = store.con.cursor()
    job = replace(job, staging=staging)
    try:
        with InMemory(staging) as memory:
            return _read_and_write(store, job, memory)
    except duckdb.OutOfMemoryException:
        raise UsageError(
            f"the import of {job.file} needs more memory than DuckDB may use; nothing was imported",
            why=(
                "while a store is open for writing, DuckDB writes no temporary files: they would hold the file's identity codes "
                "on disk."
            ),
            fix="import the file in parts (one source each), or run on a machine with more memory.",
        ) from None
    finally:
        for name in read.TEMPORARIES + validate.TEMPORARIES:
            staging.execute(f"DROP TABLE IF EXISTS {name}")
        staging.close()


def _read_and_write(store: Store, job: Job, memory: InMemory) -> ImportReport:
    source = read_source(job.stage, job.file, job.table_mapping.file, memory)
    plan_columns(source.columns, job.table_mapping, file=str(job.file), mapping_path=job.mapping.path)  # column errors first
    with store.transaction() as con:
        return _write(con, job, source)


def import_file(
    store: Store,
    table: str,
    file: Path,
    *,
    mapping: Path | None = None,
    source: str | None = None,
    key: PseudonymKey,
    progress: ProgressCallback | None = None,
    allow_shrink: bool = False,
) -> ImportReport:
    """Import one file into `table`; all or nothing, in one transaction.

    `source` (default: the file's name) identifies where the rows came from: a new file
    under the same source replaces the earlier one's rows, the same file again changes
    nothing. Rows that fail validation go to `quarantine`; the report counts both. A file
    that would keep fewer than POLKU_SHRINK_LIMIT % of the source's rows (an empty one
    included) replaces them only with `allow_shrink`; the replaced version is kept as history.
    """
    _check_table(table)
    file = Path(file)
    if not file.is_file():
        raise UsageError("the file to import does not exist", where=str(file), fix="check the path and the file name.")
    file_format(file)
    refuse_codes_in_names(str(file), source or file.name)
    began = time.perf_counter()
    job = Job(table, file, source or file.name, load_mapping(mapping), key, progress or _silent, allow_shrink)
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
    allow_shrink: bool = False,
) -> list[ImportReport]:
    """Import every table file present in `folder`, in the order references resolve.

    Other files (ground truth, manifests) are ignored. Each file is its own transaction.
    `allow_shrink` applies to every file (see `import_file`).
    """
    files = folder_files(Path(folder))
    return [
        import_file(
            store,
            table,
            path,
            mapping=mapping,
            key=key,
            allow_shrink=allow_shrink,
            progress=_share(progress, table, position, len(files)),
        )
        for position, (table, path) in enumerate(files)
    ]


def _share(progress: ProgressCallback | None, table: str, position: int, total: int) -> ProgressCallback | None:
    """A callback mapping one file's 0..1 onto its share of a folder import."""
    if progress is None:
        return None
    return lambda step, fraction: progress(f"{table}: {step}", (position + fraction) / total)


def rollback(store: Store, source: str, *, table: str | None = None) -> ImportReport:
    """Put the newest kept version of `source` back, in one transaction.

    The current version's rows and quarantine are deleted (not kept: importing that file
    again brings them back), the kept version's rows return with their original
    `_import_id` and lines, and import_log gets a 'rolled_back' entry with the restored
    version's file and counts. `table` is needed only when the source feeds several tables.
    """
    began = time.perf_counter()
    with store.transaction() as con:
        report = _rollback(con, _source_table(con, source, table), source)
    return _with_seconds(report, time.perf_counter() - began)


def _source_table(con: duckdb.DuckDBPyConnection, source: str, table: str | None) -> str:
    """The one table `source` was imported into, or `table` after checking it."""
    if table is not None:
        _check_table(table)
        return table
    tables = [
        t for (t,) in con.execute("SELECT DISTINCT table_name FROM import_log WHERE source = ? ORDER BY 1", [source]).fetchall()
    ]
    if len(tables) != 1:
        raise UsageError(
            f"source '{source}' was imported into {len(tables)} tables{': ' + ', '.join(tables) if tables else ''}",
            why="a rollback restores one table's source.",
            fix="name the table: polku import TABLE --rollback SOURCE"
            if tables
            else "check the source name with `polku status`.",
        )
    return tables[0]


def _rollback(con: duckdb.DuckDBPyConnection, table: str, source: str) -> ImportReport:
    started = _utc_now()
    current = _current(con, table, source)
    kept = history.newest(con, table, source)
    if current is None or kept is None:
        raise UsageError(
            f"no earlier version of source '{source}' in {table} is kept",
            why="only a replaced version can be restored, and only the newest POLKU_HISTORY_VERSIONS are kept.",
            fix="import the earlier file again instead (it is checked like any import).",
        )
    import_id = _next_import_id(con)
    changes = history.changes(con, TABLES[table], table, HISTORY_PREFIX + table, source, (current.import_id, kept.import_id))
    removed = history.discard_current(con, table, source)
    history.pop(con, table, source, kept)
    return _log_rollback(con, table, source, kept.import_id, import_id, removed, changes, started)


def _log_rollback(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    restored: int,
    import_id: int,
    removed: int,
    changes: Changes,
    started: dt.datetime,
) -> ImportReport:
    """Log the rollback with the restored version's file and counts, so that status and a
    later import see that version as current."""
    columns = "file_path, file_sha256, file_format, mapping, key_version, rows_read, rows_accepted, rows_quarantined"
    file_path, sha256, fmt, mapping, key_version, read, accepted, quarantined = con.execute(
        f"SELECT {columns} FROM import_log WHERE import_id = ?", [restored]
    ).fetchall()[0]
    report = ImportReport(
        table,
        source,
        file_path,
        import_id,
        "rolled_back",
        read,
        accepted,
        quarantined,
        removed,
        _by_reason(con, restored),
        mapping=mapping or "",
        file_sha256=sha256,
        changes=changes,
        restored_import_id=restored,
    )
    _log_entry(
        con,
        {
            "import_id": import_id,
            "table_name": table,
            "source": source,
            "file_path": file_path,
            "file_sha256": sha256,
            "file_format": fmt,
            "mapping": mapping,
            "key_version": key_version,
            "started_at": started,
            "version_import_id": restored,
            **_counts(report),
        },
    )
    return report
