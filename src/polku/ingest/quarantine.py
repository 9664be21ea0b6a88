"""Write rejected rows to the `quarantine` table: one row per problem, never a raw code.

Each problem becomes one quarantine row with the file, line, source column, the offending
value (identity codes reduced to their format class by `redacted_sql`), a reason code and a
text saying what to fix. `record` holds the whole source row as JSON with the identity
column redacted the same way, so the row can be corrected without opening the file.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from polku.identity import REASONS as HETU_REASONS
from polku.ingest.mapping import TableMapping
from polku.ingest.reasons import FIELD_REASONS, ROW_REASONS, check_code, check_reason, field_reason
from polku.ingest.rules import literal, problem_col, quote, redacted_sql, text_col
from polku.ingest.validate import STAGED, ColumnPlan

COLUMNS = "import_id, table_name, source, file_path, line, column_name, value, reason_code, reason, record"


def _value_sql(field: str, mapping: TableMapping, plan: ColumnPlan) -> str:
    """The offending value as text: the source text, a derived value, or a redacted code."""
    identity = mapping.table.identity_field
    if identity is not None and field == identity.name:
        return redacted_sql(f"NULLIF({text_col(field)}, '')")
    if field in plan.derived:
        return f"CAST({quote(field)} AS VARCHAR)"
    return text_col(field)


def _record_sql(mapping: TableMapping, plan: ColumnPlan) -> str:
    """JSON of the row's source values by source column name, identity redacted."""
    pairs = [
        f"{literal(source)}, {_value_sql(field, mapping, plan)}"
        for field, source in plan.sources.items()
        if source is not None
    ]
    return f"json_object({', '.join(pairs)})"


def _reason_case(field_name: str, mapping: TableMapping, column: str) -> str:
    field = mapping.table.field(field_name)
    codes = _possible_codes(field.kind)
    arms = " ".join(f"WHEN {literal(c)} THEN {literal(field_reason(c, field, column, mapping.file))}" for c in codes)
    return f"(CASE {problem_col(field_name)} {arms} END)"


def _possible_codes(kind: str) -> list[str]:
    return list(HETU_REASONS) if kind == "identity" else list(FIELD_REASONS)


def _field_selects(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    selects = []
    for field in mapping.table.fields:
        column = plan.source_of(field.name) or field.name
        selects.append(
            f"SELECT _line, {literal(column)} AS c, {_value_sql(field.name, mapping, plan)} AS v, "
            f"{problem_col(field.name)} AS code, {_reason_case(field.name, mapping, column)} AS reason, _record "
            f"FROM bad WHERE {problem_col(field.name)} IS NOT NULL"
        )
    return selects


def _check_selects(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    selects = []
    for check in mapping.table.checks:
        columns = [plan.source_of(c) or c for c in check.columns]
        selects.append(
            f"SELECT _line, {literal(columns[0])}, {_value_sql(check.columns[0], mapping, plan)}, "
            f"'{check_code(check)}', {literal(check_reason(check, columns))}, _record "
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
        f"{head}, 'duplicate_key', {literal(before)} || _dup || {literal(after)}, _record FROM bad WHERE _dup IS NOT NULL",
        f"{head}, 'key_in_other_source', {literal(other)}, _record FROM bad WHERE _other",
    ]


def quarantine_sql(mapping: TableMapping, plan: ColumnPlan) -> str:
    """INSERT of every problem of every bad staged row. Parameters: import_id, table, source, file.

    STAGED keeps the source texts of bad rows, so values and `record` show exactly what
    the file said.
    """
    union = " UNION ALL ".join(_field_selects(mapping, plan) + _check_selects(mapping, plan) + _key_selects(mapping, plan))
    return (
        f"INSERT INTO quarantine ({COLUMNS}) "
        f"WITH bad AS (SELECT *, {_record_sql(mapping, plan)} AS _record FROM {STAGED} WHERE _bad) "
        f"SELECT $import_id, $table, $source, $file, * FROM ({union})"
    )


def insert_malformed(con: duckdb.DuckDBPyConnection, rows: tuple[tuple[int, str, str | None, int | None], ...], expected: int, params: dict[str, object]) -> None:
    """Quarantine the records the reader set apart, (line, code, column, number) each, with
    no value kept: such a record could not be split into trustworthy fields."""
    if not rows:
        return
    texts: dict[tuple[str, str | None, int | None], str] = {}
    for _, code, column, number in rows:
        if (code, column, number) not in texts:
            texts[code, column, number] = ROW_REASONS[code].format(fields=number, expected=expected, limit=number, column=column)
    lines, codes, columns, numbers = zip(*rows)
    table = pa.table({
        "line": pa.array(lines, pa.int64()), "column_name": pa.array(columns, pa.string()),
        "code": pa.array(codes, pa.string()), "reason": pa.array([texts[k] for k in zip(codes, columns, numbers)], pa.string()),
    })
    con.register("_polku_malformed", table)
    try:
        con.execute(
            f"INSERT INTO quarantine ({COLUMNS}) SELECT $import_id, $table, $source, $file, line, column_name, NULL, "
            f"code, reason, NULL FROM _polku_malformed ORDER BY line",
            params,
        )
    finally:
        con.unregister("_polku_malformed")
