"""One row entered by hand (the web's forms): checked by the import's own rules, then stored.

Why here: an entry must pass exactly what an imported row passes, so the same SQL
expressions decide (`polku.ingest.rules.value_sql` and `problem_sql` for each field, the
table's `Check` conditions across fields, the reason texts of `polku.ingest.reasons`), run
by DuckDB on a one-row relation. The texts are read as the default (synthetic) mapping
reads a file: ISO dates, a decimal point, code-list codes. A bad value is not quarantined:
the person entering it is told at once and nothing is stored.

A stored entry carries its lineage like an imported row: `_source` = `web:<user>` (who
entered it), `_import_id` 0 (no file was imported; `import_log` lists files only, so a
demo store stays a demo store) and `_line` 0, and the person's pseudonymisation
`key_version`. A later import of a file never replaces these rows, as it replaces only the
rows of its own source.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from polku.ingest.mapping import TableMapping, load_mapping
from polku.ingest.reasons import check_code, check_reason, field_reason
from polku.ingest.rules import problem_col, problem_sql, text_col, value_sql
from polku.schema.tables import table as schema_table
from polku.store import Store
from polku.store.sql import quote

WEB_IMPORT_ID = 0
SOURCE_PREFIX = "web:"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an entry: the field and the import's reason text."""

    column: str
    code: str
    reason: str


def _mapping(table: str) -> TableMapping:
    return load_mapping(None).for_table(table)


def _checked_sql(mapping: TableMapping, entry: str) -> str:
    """Values, problems and check breaches of the one-row relation `entry`."""
    fields = mapping.table.fields
    values = ", ".join(f"{value_sql(f, mapping)} AS {quote(f.name)}" for f in fields)
    problems = ", ".join(f"{problem_sql(f, mapping)} AS {problem_col(f.name)}" for f in fields)
    checks = [
        f"(CASE WHEN {quote(c.columns[0])} IS NOT NULL AND "
        + " AND ".join(f"{problem_col(col)} IS NULL" for col in c.columns)
        + f" AND NOT coalesce(({c.condition}), true) THEN '{check_code(c)}' END) AS {quote('_c_' + c.name)}"
        for c in mapping.table.checks
    ]
    layered = f"SELECT *, {problems} FROM (SELECT *, {values} FROM ({entry}))"
    return f"SELECT * {', ' + ', '.join(checks) if checks else ''} FROM ({layered})"


def check(store: Store, table: str, person_id: uuid.UUID, texts: dict[str, str | None]) -> tuple[dict[str, Any], list[Problem]]:
    """(typed values, problems) of one entry for `table`; the person is already known to exist."""
    mapping = _mapping(table)
    fields = [f for f in mapping.table.fields if f.kind != "identity"]
    names = ", ".join(f"CAST(? AS VARCHAR) AS {text_col(f.name)}" for f in fields)
    args = [(texts.get(f.name) or "").strip() or None for f in fields]
    relation = f"SELECT CAST(NULL AS VARCHAR) AS _hetu, CAST(? AS UUID) AS _pid, {names}"
    frame = store.con.execute(_checked_sql(mapping, relation), [str(person_id), *args]).fetchdf()
    row = frame.iloc[0].to_dict()
    return {f.name: row[f.name] for f in mapping.table.fields}, _problems(mapping, row)


def _problems(mapping: TableMapping, row: dict[str, Any]) -> list[Problem]:
    found = []
    for f in mapping.table.fields:
        code = row.get(f"_p_{f.name}")
        if isinstance(code, str):
            found.append(Problem(f.name, code, field_reason(code, f, f.name, mapping.file)))
    for c in mapping.table.checks:
        code = row.get(f"_c_{c.name}")
        if isinstance(code, str):
            found.append(Problem(c.columns[0], code, check_reason(c, list(c.columns)).split("; correct")[0]))
    return found


def store_row(store: Store, table: str, values: dict[str, Any], actor: str) -> None:
    """Insert one checked row (from `check`) with the web's lineage, inside the caller's writer."""
    fields = [f.name for f in schema_table(table).fields]
    with store.transaction() as con:
        found = con.execute("SELECT key_version FROM person WHERE person_id = ?", [values["person_id"]]).fetchone()
        key_version = found[0] if found else None
        columns = [*fields, "key_version", "_import_id", "_source", "_line"]
        row = [values[f] for f in fields] + [key_version, WEB_IMPORT_ID, SOURCE_PREFIX + actor, 0]
        con.execute(f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES ({', '.join('?' * len(row))})", row)


def update_row(store: Store, table: str, key: str, values: dict[str, Any], columns: list[str], actor: str) -> int:
    """Set `columns` of the row whose key is `key`, only when it was entered on the web by
    anyone (a source system owns its own rows); the number of rows changed (0 or 1)."""
    key_field = schema_table(table).key[0]
    sets = ", ".join(f"{quote(c)} = ?" for c in columns)
    with store.transaction() as con:
        changed = con.execute(
            f"UPDATE {quote(table)} SET {sets}, _source = ? WHERE {quote(key_field)} = ? AND starts_with(_source, ?) RETURNING 1",
            [*(values[c] for c in columns), SOURCE_PREFIX + actor, key, SOURCE_PREFIX],
        ).fetchall()
    return len(changed)


KEY_LETTERS = str.maketrans("0123456789abcdef", "ghjkmnpqrstvwxyz")
"""Random hex digits written as letters: a key of digits and A-F could take the shape of an
identity code (six digits, a separator such as A, three digits and a check character), which
the entry's own check refuses as one."""


def new_key(prefix: str) -> str:
    """A key for an entered row that no export uses (`W` + a prefix + 12 random letters)."""
    return f"W{prefix}{uuid.uuid4().hex[:12].translate(KEY_LETTERS)}"
