"""Validate and convert a whole file in a few vectorised DuckDB statements.

`plan_columns` first decides which source column feeds which field and stops the file when
a column is unknown or a required one is missing. Then, each statement one pass:

1. `IDS` (event tables only): each distinct identity code checked and pseudonymised once
   (a person has many rows in event tables, and the HMAC is the most expensive step),
   with the fields that can be derived from the code. In the person table every row has
   its own code, so there the same expressions run inline.
2. `STAGED`: from the file's text, trimmed, each field's typed value (the field's own
   name) and first problem (`_p_<field>`), the table's cross-field checks (`_c_<check>`),
   keys already stored from other sources (`_other`), and `_bad` for rows that go to
   quarantine. Every expression sits in its own layer, so each runs once per row.
3. `DUPS`: lines whose key repeats an earlier line; they are marked in STAGED.

A file is validated part by part (`polku.ingest.read.Source.parts`): the statements run on
one part at a time, on the import's staging connection (outside its transaction, so each
part's tables are freed when dropped), and a key is compared with the earlier parts' lines
through `SEEN` (the keys of rows they rejected, and of rows inserted under this import that
this part's keys repeat).
"""

from __future__ import annotations

from dataclasses import dataclass

from polku.errors import Location, UsageError, ValidationFailed
from polku.identity import birth_month_sql, birth_year_sql, hetu_problem_sql, pseudonym_sql, sex_sql
from polku.ingest.mapping import TableMapping
from polku.ingest.reasons import ERASED, check_code
from polku.ingest.rules import problem_col, problem_sql, quote, text_col, trimmed_sql, value_sql
from polku.redaction import MIN_LENGTH, has_hetu

IDS = "_polku_ids"
STAGED = "_polku_staged"
DUPS = "_polku_dups"
SEEN = "_polku_seen"
PART_TEMPORARIES = (IDS, STAGED, DUPS)
"""Dropped after each part; SEEN lives as long as the import."""
TEMPORARIES = (*PART_TEMPORARIES, SEEN)
DERIVATIONS = {"birth_year": birth_year_sql, "birth_month": birth_month_sql, "sex": sex_sql}


@dataclass(frozen=True)
class ColumnPlan:
    """Which source column feeds each field; None for a field that is absent or derived."""

    sources: dict[str, str | None]
    derived: frozenset[str]
    trim: bool = True  # False when the file is known to hold no value with surrounding spaces
    short: frozenset[str] = frozenset()  # fields whose every value is too short to hold an identity code

    def source_of(self, field: str) -> str | None:
        return self.sources.get(field)


def _unknown_columns_error(file: str, unknown: list[str], mapping: TableMapping, mapping_path: str) -> ValidationFailed:
    if any(has_hetu(column) for column in unknown):
        return _no_header_error(file)
    return ValidationFailed(
        f"the file has {len(unknown)} column(s) that the mapping does not map: {', '.join(unknown)}",
        where=Location(file, 1, unknown[0]),
        why="only mapped columns are imported (allow-list), so that no unexpected personal data is stored.",
        fix=(
            f"map each column to a field of {mapping.table.name} under `tables.{mapping.table.name}.columns` in {mapping_path}, "
            "or remove it from the export."
        ),
    )


def refuse_codes_in_names(file: str, source: str) -> None:
    """A file path or source name shaped like an identity code would be stored in every
    row's `_source`, in `import_log` and in quarantine: refuse it before anything is read."""
    if has_hetu(file) or has_hetu(source):
        raise UsageError(
            "the file's path or the source name holds something shaped like a personal identity code",
            where=file,  # redacted by PolkuError
            why="the path and the source name are stored with every imported row and in the import log.",
            fix="rename the file or its folder, or give another name with --source.",
        )


def _no_header_error(file: str) -> ValidationFailed:
    """The first line holds a personal identity code: it is data, not a header. The message
    names no column, since every name there is a value of somebody's row."""
    return ValidationFailed(
        "the first line looks like data, not column names: a value on it is shaped like a personal identity code",
        where=Location(file, 1),
        why="the file seems to have been exported without its header row, so no column can be mapped.",
        fix="export the file again with the column names on the first line.",
    )


def _missing_column_error(file: str, column: str, mapping: TableMapping, mapping_path: str) -> ValidationFailed:
    return ValidationFailed(
        f"the required column '{column}' is missing",
        where=Location(file, 1, column),
        why=f"every row of {mapping.table.name} needs it; without the column no row can be imported.",
        fix=f"add the column to the export, or map the export's own column name to it in {mapping_path}.",
    )


def _expected_name(field: str, mapping: TableMapping) -> str:
    """The source column name the mapping expects for `field` (for error messages)."""
    if mapping.table.identity_field is not None and field == mapping.table.identity_field.name:
        return mapping.identity.column
    return next((s for s, f in mapping.columns.items() if f == field), field)


def plan_columns(
    columns: tuple[str, ...],
    mapping: TableMapping,
    *,
    file: str,
    mapping_path: str,
    trim: bool = True,
    longest: dict[str, int] | None = None,
) -> ColumnPlan:
    """Map the file's header onto the table; unknown or missing required columns stop the file.

    `trim=False` (the reader found no spaces in the file) leaves values as they are.
    `longest` (bytes of each column's longest value, when the reader knows them) marks the
    fields whose values are all shorter than an identity code: no value there is searched
    for one.
    """
    sources: dict[str, str | None] = {}
    unknown = []
    for column in columns:
        target = mapping.field_for(column)
        if target is None:
            unknown.append(column)
        else:
            sources[target] = column
    if unknown:
        raise _unknown_columns_error(file, unknown, mapping, mapping_path)
    derived = frozenset(f for f in mapping.identity.derive if f not in sources)
    for field in mapping.table.fields:
        if field.required and field.name not in sources and field.name not in derived:
            raise _missing_column_error(file, _expected_name(field.name, mapping), mapping, mapping_path)
        sources.setdefault(field.name, None)
    return ColumnPlan(sources, derived, trim, _short_fields(sources, longest))


def _short_fields(sources: dict[str, str | None], longest: dict[str, int] | None) -> frozenset[str]:
    if longest is None:
        return frozenset()
    return frozenset(f for f, column in sources.items() if column is not None and longest.get(column, MIN_LENGTH) < MIN_LENGTH)


def _identity_name(mapping: TableMapping) -> str | None:
    field = mapping.table.identity_field
    return field.name if field is not None else None


def texts_sql(mapping: TableMapping, plan: ColumnPlan, raw: str) -> str:
    """SELECT `_line` and each field's trimmed text (empty = NULL; a missing code = '')."""
    columns = ["_line"]
    cleaned = trimmed_sql if plan.trim else (lambda expr: expr)
    for field in mapping.table.fields:
        source = plan.source_of(field.name)
        if field.kind == "identity":
            columns.append(f"coalesce({cleaned(quote(source or ''))}, '') AS {text_col(field.name)}")
        elif source is not None:
            columns.append(f"NULLIF({cleaned(quote(source))}, '') AS {text_col(field.name)}")
        elif field.name not in plan.derived:
            columns.append(f"CAST(NULL AS VARCHAR) AS {text_col(field.name)}")
    return f"SELECT {', '.join(columns)} FROM {raw}"


def per_distinct_code(mapping: TableMapping) -> bool:
    """Check and pseudonymise each distinct code once, unless every row has its own code."""
    name = _identity_name(mapping)
    return name is not None and mapping.table.key != (name,)


def _identity_columns(plan: ColumnPlan, code: str) -> str:
    """SELECT list over a relation with `_hetu`: pseudonym and derived texts of `code`."""
    derived = "".join(
        f", (CASE WHEN _hetu IS NULL THEN CAST({DERIVATIONS[f](code)} AS VARCHAR) END) AS {text_col(f)}"
        for f in sorted(plan.derived)
    )
    return f"*, (CASE WHEN _hetu IS NULL THEN {pseudonym_sql(code)} END) AS _pid{derived}"


def _unerased(relation: str) -> str:
    """`relation` with `_hetu` set to 'erased' for a person on the suppression list
    (`erased_person`, written by `polku erase`), so the row goes to quarantine."""
    erased = f"(CASE WHEN _pid IN (SELECT person_pseudonym FROM erased_person) THEN '{ERASED}' ELSE _hetu END)"
    return f"SELECT * REPLACE ({erased} AS _hetu) FROM ({relation})"


def _checked(mapping: TableMapping, relation: str, code: str) -> str:
    hetu = hetu_problem_sql(code, allow_temporary=mapping.identity.allow_temporary)
    return f"SELECT *, {hetu} AS _hetu FROM ({relation})"


def identities_sql(mapping: TableMapping, plan: ColumnPlan, raw: str) -> str:
    """CREATE IDS: each distinct code once, with its problem, pseudonym and derived texts."""
    name = _identity_name(mapping) or ""
    codes = f"SELECT DISTINCT {text_col(name)} AS _id FROM ({texts_sql(mapping, plan, raw)})"
    identified = f"SELECT {_identity_columns(plan, '_id')} FROM ({_checked(mapping, codes, '_id')})"
    return f"CREATE TEMP TABLE {IDS} AS {_unerased(identified)}"


def _with_identities(mapping: TableMapping, plan: ColumnPlan, raw: str) -> str:
    """Texts plus `_hetu`, `_pid` and derived texts: joined from IDS, or computed inline."""
    name = _identity_name(mapping)
    texts = texts_sql(mapping, plan, raw)
    if name is None:
        return f"SELECT *, CAST(NULL AS VARCHAR) AS _hetu FROM ({texts})"
    if not per_distinct_code(mapping):
        return _unerased(f"SELECT {_identity_columns(plan, text_col(name))} FROM ({_checked(mapping, texts, text_col(name))})")
    derived = "".join(f", i.{text_col(f)}" for f in sorted(plan.derived))
    return f"SELECT t.*, i._hetu, i._pid{derived} FROM ({texts}) t LEFT JOIN {IDS} i ON t.{text_col(name)} = i._id"


def _layers(mapping: TableMapping, plan: ColumnPlan, raw: str) -> str:
    """SELECT with texts, typed values and per-field problems, each computed once."""
    fields = mapping.table.fields
    values = ", ".join(f"{value_sql(f, mapping)} AS {quote(f.name)}" for f in fields)
    typed = f"SELECT *, {values} FROM ({_with_identities(mapping, plan, raw)})"
    problems = ", ".join(
        f"{problem_sql(f, mapping, derived=f.name in plan.derived, short=f.name in plan.short)} AS {problem_col(f.name)}"
        for f in fields
    )
    return f"SELECT *, {problems} FROM ({typed})"


def _check_sql(mapping: TableMapping) -> list[str]:
    """One column per cross-field check: its reason code when the rule is broken.

    A rule is tested when its first (reported) column has a value and none of its columns
    already has a problem of its own; it is broken when the condition is false. A NULL
    result (a compared value is empty) is not a breach: `end_date >= start_date` says
    nothing about an open spell, while `end_date IS NOT NULL` can still demand a value.
    """
    columns = []
    for check in mapping.table.checks:
        valid = " AND ".join(f"{problem_col(c)} IS NULL" for c in check.columns)
        columns.append(
            f"(CASE WHEN {quote(check.columns[0])} IS NOT NULL AND {valid} AND NOT coalesce(({check.condition}), true) "
            f"THEN '{check_code(check)}' END) AS {quote('_c_' + check.name)}"
        )
    return columns


def _other_sources_sql(mapping: TableMapping, other_sources: bool) -> tuple[str, str]:
    """(other-source column, join): keys already stored from another source."""
    if not other_sources:
        return "false AS _other", ""
    key = mapping.table.key
    keys = ", ".join(quote(k) for k in key)
    on = " AND ".join(f"s.{quote(k)} = o.{quote(k)}" for k in key)
    join = f"LEFT JOIN (SELECT DISTINCT {keys}, true AS _hit FROM {quote(mapping.table.name)} WHERE _source <> $source) o ON {on}"
    return "coalesce(o._hit, false) AS _other", join


def staged_sql(mapping: TableMapping, plan: ColumnPlan, raw: str, *, other_sources: bool) -> str:
    """CREATE STAGED: per row its line, typed values, problems and the `_bad` flag.

    Source texts are kept only for bad rows (NULL costs next to nothing), which keeps the
    one full materialisation narrow. `other_sources` adds the look-up of keys already
    stored from other sources (skipped when the table holds none). Parameter: `$source`
    when `other_sources`.
    """
    other, other_join = _other_sources_sql(mapping, other_sources)
    keyed = f"SELECT s.*, {', '.join(_check_sql(mapping) + [other])} FROM ({_layers(mapping, plan, raw)}) s {other_join}"
    problems = [problem_col(f.name) for f in mapping.table.fields]
    problems += [quote("_c_" + c.name) for c in mapping.table.checks]
    bad = " OR ".join(f"{p} IS NOT NULL" for p in problems) + " OR _other"
    flagged = f"SELECT *, ({bad}) AS _bad FROM ({keyed})"
    texts = [f"(CASE WHEN _bad THEN {t} END) AS {t}" for t in text_columns(mapping, plan)]
    kept = ["_line", *(quote(f.name) for f in mapping.table.fields), *problems, "_other", "CAST(NULL AS BIGINT) AS _dup", "_bad"]
    return f"CREATE TEMP TABLE {STAGED} AS SELECT {', '.join(kept + texts)} FROM ({flagged})"


def text_columns(mapping: TableMapping, plan: ColumnPlan) -> list[str]:
    """The `_t_` columns of fields read from the file (derived fields have none)."""
    return [text_col(f.name) for f in mapping.table.fields if plan.source_of(f.name) is not None]


def seen_sql(mapping: TableMapping) -> str:
    """CREATE SEEN (once per import, empty): keys and lines of earlier parts that a later
    part's key may repeat."""
    keys = ", ".join(quote(k) for k in mapping.table.key)
    return f"CREATE TEMP TABLE IF NOT EXISTS {SEEN} AS SELECT {keys}, _line FROM {STAGED} LIMIT 0"


def part_keys_sql(mapping: TableMapping) -> str:
    """SELECT the part's distinct keys, to look up in the rows already inserted (`earlier_sql`)."""
    keys = [quote(k) for k in mapping.table.key]
    return f"SELECT DISTINCT {', '.join(keys)} FROM {STAGED} WHERE {' AND '.join(f'{k} IS NOT NULL' for k in keys)}"


def earlier_sql(mapping: TableMapping, part_keys: str, import_id: int) -> str:
    """SELECT, on the import's own connection, the first line of each of the part's keys
    among the rows this import inserted from earlier parts (uncommitted, so only that
    connection sees them)."""
    keys = [quote(k) for k in mapping.table.key]
    match = " AND ".join(f"t.{k} = p.{k}" for k in keys)
    return (
        f"SELECT {', '.join(f't.{k}' for k in keys)}, min(t._line) AS _line FROM {quote(mapping.table.name)} t "
        f"SEMI JOIN {part_keys} p ON {match} WHERE t._import_id = {int(import_id)} GROUP BY ALL"
    )


def remember_rejected_sql(mapping: TableMapping) -> str:
    """INSERT INTO SEEN the part's rejected rows with a key, for the later parts' duplicates
    (its accepted rows are found in the table itself, `earlier_sql`)."""
    keys = [quote(k) for k in mapping.table.key]
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    return f"INSERT INTO {SEEN} SELECT {', '.join(keys)}, _line FROM {STAGED} WHERE _bad AND {present}"


def duplicates_sql(mapping: TableMapping) -> str:
    """CREATE DUPS: lines of the part whose key repeats an earlier line of the file.

    Keys are compared as stored (text, or the pseudonym, which is equal exactly when the
    code is); a key that failed its own check is already quarantined. The earlier lines are
    the part's own and, in SEEN, those of earlier parts: the rejected rows' keys, and the
    first inserted line of each of this part's keys (`earlier_sql`). Only the part's keys
    are looked up, so the aggregation is as large as the part, not the file.
    """
    keys = [quote(k) for k in mapping.table.key]
    names = ", ".join(keys)
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    match = " AND ".join(f"e.{k} = p.{k}" for k in keys)
    lines = (
        f"SELECT {names}, _line FROM {STAGED} WHERE {present} UNION ALL SELECT e.* FROM {SEEN} e SEMI JOIN {STAGED} p ON {match}"
    )
    group = f"SELECT {names}, min(_line) AS _first FROM ({lines}) GROUP BY ALL HAVING count(*) > 1"
    on = " AND ".join(f"s.{k} = d.{k}" for k in keys)
    return (
        f"CREATE TEMP TABLE {DUPS} AS SELECT s._line, d._first FROM {STAGED} s JOIN ({group}) d ON {on} WHERE s._line > d._first"
    )


def mark_duplicates_sql(mapping: TableMapping, plan: ColumnPlan, raw: str) -> str:
    """UPDATE STAGED: duplicates become bad, with their texts read again from the file."""
    texts = text_columns(mapping, plan)
    fill = "".join(f", {t} = d.{t}" for t in texts)
    source = (
        f"SELECT d._line, d._first, r.* EXCLUDE (_line) FROM {DUPS} d "
        f"JOIN ({texts_sql(mapping, plan, raw)}) r ON d._line = r._line"
    )
    return f"UPDATE {STAGED} SET _dup = d._first, _bad = true{fill} FROM ({source}) d WHERE {STAGED}._line = d._line"
