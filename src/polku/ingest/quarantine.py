"""Write rejected rows to the `quarantine` table: one row per problem, never a raw code.

Each problem becomes one quarantine row with the file, line, source column, the offending
value, a reason code and a text saying what to fix. `record` holds the whole source row as
JSON, so the row can be corrected without opening the file. No code reaches either: the
identity column is reduced to its format class (`redacted_sql`), and in every other column
each hetu-shaped substring becomes `<hetu>` (`redact_hetus_sql`), because a swapped column
or a code typed into a text field is somebody's identity code all the same.

So that `polku erase` can find a person's rejected rows, each row carries the person's
pseudonym (`person_pseudonym`) when it holds a valid code: the identity column's, else the
first valid code found in another column. A code that is not valid gets no pseudonym but a
keyed hash of its text (`code_hash`, `polku.identity.code_hash`). Rows of an erased person
keep neither value nor record: only the line, the reason `erased` and the pseudonym.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from polku.identity import code_hash_sql, hetu_problem_sql, pseudonym_sql
from polku.ingest.mapping import TableMapping
from polku.ingest.read import insert_rows
from polku.ingest.reasons import (
    ERASED,
    ERASED_REASON,
    FIELD_REASONS,
    IDENTITY_REASONS,
    ROW_REASONS,
    check_code,
    check_reason,
    field_reason,
)
from polku.ingest.rules import literal, problem_col, quote, redacted_sql, text_col
from polku.ingest.validate import STAGED, ColumnPlan
from polku.redaction import first_hetu_sql, redact_hetus_sql

COLUMNS = (
    "import_id, table_name, source, file_path, line, column_name, value, reason_code, reason, record, person_pseudonym, code_hash"
)


def _value_sql(field: str, mapping: TableMapping, plan: ColumnPlan) -> str:
    """The offending value as text: the source text, a derived value, or a redacted code."""
    identity = mapping.table.identity_field
    if identity is not None and field == identity.name:
        return redacted_sql(f"NULLIF({text_col(field)}, '')")
    if field in plan.derived:
        return f"CAST({quote(field)} AS VARCHAR)"
    return redact_hetus_sql(text_col(field))


def _record_sql(mapping: TableMapping, plan: ColumnPlan) -> str:
    """JSON of the row's source values by source column name, identity redacted."""
    pairs = [
        f"{literal(source)}, {_value_sql(field, mapping, plan)}" for field, source in plan.sources.items() if source is not None
    ]
    return f"json_object({', '.join(pairs)})"


def _reason_case(field_name: str, mapping: TableMapping, column: str) -> str:
    field = mapping.table.field(field_name)
    codes = _possible_codes(field.kind)
    arms = " ".join(f"WHEN {literal(c)} THEN {literal(field_reason(c, field, column, mapping.file))}" for c in codes)
    return f"(CASE {problem_col(field_name)} {arms} END)"


def _possible_codes(kind: str) -> list[str]:
    return list(IDENTITY_REASONS) if kind == "identity" else list(FIELD_REASONS)


def _present(field: str, plan: ColumnPlan) -> bool:
    """The file has the field (or it is derived): an optional field the file lacks has no
    text column in STAGED and no value that could be wrong."""
    return plan.source_of(field) is not None or field in plan.derived


def _field_selects(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    selects = []
    for field in mapping.table.fields:
        if not _present(field.name, plan):
            continue
        column = plan.source_of(field.name) or field.name
        selects.append(
            f"SELECT _line, {literal(column)} AS c, {_value_sql(field.name, mapping, plan)} AS v, "
            f"{problem_col(field.name)} AS code, {_reason_case(field.name, mapping, column)} AS reason, _record, _person, _hash "
            f"FROM bad WHERE {problem_col(field.name)} IS NOT NULL"
        )
    return selects


def _check_selects(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    selects = []
    for check in mapping.table.checks:
        if not all(_present(c, plan) for c in check.columns):
            continue
        columns = [plan.source_of(c) or c for c in check.columns]
        selects.append(
            f"SELECT _line, {literal(columns[0])}, {_value_sql(check.columns[0], mapping, plan)}, "
            f"'{check_code(check)}', {literal(check_reason(check, columns))}, _record, _person, _hash "
            f"FROM bad WHERE {quote('_c_' + check.name)} IS NOT NULL"
        )
    return selects


def _key_selects(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    key = mapping.table.key
    columns = [plan.source_of(k) or k for k in key]
    head = f"SELECT _line, {literal(columns[0])}, {_value_sql(key[0], mapping, plan)}"
    before, after = ROW_REASONS["duplicate_key"].format(key=", ".join(columns), first="\0").split("\0")
    other = ROW_REASONS["key_in_other_source"].format(key=", ".join(columns))
    return [
        f"{head}, 'duplicate_key', {literal(before)} || _dup || {literal(after)}, _record, _person, _hash "
        "FROM bad WHERE _dup IS NOT NULL",
        f"{head}, 'key_in_other_source', {literal(other)}, _record, _person, _hash FROM bad WHERE _other",
    ]


def _erased_select(mapping: TableMapping, plan: ColumnPlan) -> str:
    """One row per line of an erased person: no value, no record, just why it is missing."""
    identity = mapping.table.identity_field
    column = (plan.source_of(identity.name) or identity.name) if identity is not None else ""
    reason = ERASED_REASON if identity is None else field_reason(ERASED, identity, column, mapping.file)
    return (
        f"SELECT _line, {literal(column) if column else 'NULL'}, NULL, '{ERASED}', {literal(reason)}, NULL, _person, NULL "
        "FROM gone"
    )


def _stray_sql(mapping: TableMapping, plan: ColumnPlan) -> str:
    """The first hetu-shaped text in any column other than the identity column, or NULL."""
    identity = mapping.table.identity_field
    texts = [text_col(f) for f, s in plan.sources.items() if s is not None and (identity is None or f != identity.name)]
    return first_hetu_sql(f"concat_ws(' ', {', '.join(texts)})") if texts else "CAST(NULL AS VARCHAR)"


def _person_sql(mapping: TableMapping) -> tuple[str, str]:
    """(pseudonym, keyed hash) of a bad row with `_stray`: see the module docstring."""
    valid = f"{hetu_problem_sql('_stray', allow_temporary=mapping.identity.allow_temporary)} IS NULL"
    from_stray = f"(CASE WHEN _stray IS NOT NULL AND {valid} THEN {pseudonym_sql('_stray')} END)"
    stray_hash = f"(CASE WHEN _stray IS NOT NULL AND NOT ({valid}) THEN {code_hash_sql('_stray')} END)"
    identity = mapping.table.identity_field
    if identity is None:
        return from_stray, stray_hash
    text, problem = text_col(identity.name), problem_col(identity.name)
    own_hash = f"(CASE WHEN {problem} NOT IN ('hetu_missing', '{ERASED}') THEN {code_hash_sql(text)} END)"
    return f"coalesce({quote(identity.name)}, {from_stray})", f"coalesce({own_hash}, {stray_hash})"


def quarantine_sql(mapping: TableMapping, plan: ColumnPlan) -> str:
    """SELECT of every problem of every bad staged row, in the order of COLUMNS. Parameters:
    import_id, table, source, file, and the key's `sql_parameters()` (for
    `person_pseudonym` and `code_hash`).

    STAGED keeps the source texts of bad rows, so values and `record` show what the file
    said, with every code redacted. A row whose person is on the suppression list (by the
    identity column, or by a code found in another column) gets one `erased` row instead.
    """
    union = " UNION ALL ".join(_field_selects(mapping, plan) + _check_selects(mapping, plan) + _key_selects(mapping, plan))
    person, hashed = _person_sql(mapping)
    strays = f"SELECT *, {_stray_sql(mapping, plan)} AS _stray FROM {STAGED} WHERE _bad"
    found = f"SELECT *, {person} AS _person, {hashed} AS _hash FROM ({strays})"
    erased = "coalesce(_person IN (SELECT person_pseudonym FROM erased_person), false)"
    return (
        f"WITH found AS (SELECT *, {erased} AS _gone FROM ({found})), "
        f"bad AS (SELECT *, {_record_sql(mapping, plan)} AS _record FROM found WHERE NOT _gone), "
        f"gone AS (SELECT * FROM found WHERE _gone) "
        f"SELECT $import_id, $table, $source, $file, * FROM ({union} UNION ALL {_erased_select(mapping, plan)})"
    )


def insert_malformed(
    con: duckdb.DuckDBPyConnection,
    rows: tuple[tuple[int, str, str | None, int | None], ...],
    expected: int,
    params: dict[str, object],
) -> None:
    """Quarantine the records the reader set apart, (line, code, column, number) each, with
    no value kept: such a record could not be split into trustworthy fields."""
    if not rows:
        return
    texts: dict[tuple[str, str | None, int | None], str] = {}
    for _, code, column, number in rows:
        if (code, column, number) not in texts:
            texts[code, column, number] = ROW_REASONS[code].format(fields=number, expected=expected, limit=number, column=column)
    lines, codes, columns, numbers = zip(*rows)
    table = pa.table(
        {
            "line": pa.array(lines, pa.int64()),
            "column_name": pa.array(columns, pa.string()),
            "code": pa.array(codes, pa.string()),
            "reason": pa.array([texts[k] for k in zip(codes, columns, numbers)], pa.string()),
        }
    )
    import_id, table_name, source, file = (literal(str(params[k])) for k in ("import_id", "table", "source", "file"))
    values = f"{import_id}::BIGINT, {table_name}, {source}, {file}, line, column_name, NULL, code, reason, NULL, NULL, NULL"
    insert_rows(con, "quarantine", COLUMNS, table.sort_by("line"), values)
