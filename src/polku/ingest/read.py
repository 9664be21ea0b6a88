"""Read a source file as text, keeping every row's line and every record's fate.

Every value is read as text first (all columns VARCHAR), because a type error is a finding
about one row, not a reason to stop reading the file: validation and conversion happen
later in SQL, where each bad value can be sent to quarantine with its line and column. CSV
is parsed in memory by pyarrow and read by DuckDB in place as an Arrow table; XLSX goes
through openpyxl (read-only) and Parquet through DuckDB into temporary tables.

A CSV file is never held whole. `read_source` reads it once in blocks for what concerns the
whole file (its SHA-256, encoding, line endings, header: `decoding.Survey`), and then
`Source.parts` reads it again part by part, about `PART_BYTES` of whole records at a time,
each part parsed, validated and loaded before the next is read: the import's memory follows
the part, not the file. A part ends where the record scan has settled the records before it
(`lines.settled_end`), so the parts' records, lines and fates are those of the whole file.

The file's records are counted from its bytes (`lines.scan_records`), not by the parser
that splits the fields: a record the parser could not read safely (a stray quote, a NUL
byte, a stray carriage return, the wrong number of fields, an over-long value, a line
break in a key) is set apart with its line and a reason code, and the rest is read
without it. So records = rows read + rows set apart, always. A transcoded or cleaned
copy of a file exists only in memory (`InMemory`): it holds every identity code.

The result is a `Source` (the file's SHA-256 for idempotent re-imports, its format and
columns) whose parts are `RawFile`s: an SQL relation with the source columns plus `_line`
(header = line 1), the number of rows it must yield, the records set apart, and the number
of records in the part.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa

from polku.errors import UsageError, ValidationFailed
from polku.ingest.decoding import (
    Survey,
    TextForm,
    content_error,
    file_blocks,
    line_count_if_simple,
    survey,
    text_form,
)
from polku.ingest.lines import (
    Records,
    containing,
    guess_delimiter,
    lone_carriage_returns,
    nul_bytes,
    scan_records,
    settled_end,
)
from polku.ingest.mapping import FileOptions
from polku.ingest.reasons import ROW_REASONS
from polku.schema.tables import Table

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
RAW = "_polku_raw"
CUT = "_polku_cut"
TEMPORARIES = (f"{RAW}_parquet", CUT)

PART_BYTES = 64 << 20
"""Bytes of CSV text read, parsed, validated and loaded at a time. A part's rows take about
five times its bytes at their peak (text, Arrow table, staged values), so 64 MiB keeps an
import near 0.5 GiB above the store's own, while the per-part overhead (a few statements)
stays small next to the work."""
SURVEY_BYTES = 16 << 20
"""Bytes read at a time by the first pass (SHA-256, encoding, line endings)."""

FIELD_LIMITS = {"identity": 64, "code": 200, "text": 1000, "integer": 40, "number": 40, "money": 40, "date": 40, "boolean": 40}
"""Most characters a value of each field kind may hold (`field_too_long`). Each is far
above any real value (a hetu has 11, a date 10), so a longer one is two values joined by a
missing delimiter or quote, not data, and it is not stored."""


class SetApart(NamedTuple):
    """A record the reader did not pass on, with the reason code that says why."""

    line: int
    code: str
    column: str | None = None
    number: int | None = None  # the record's fields (wrong_field_count) or the limit


@dataclass(frozen=True)
class RawFile:
    """One part of a source file (all of an XLSX or Parquet file) as an SQL relation of
    text plus `_line`, ready for validation."""

    path: Path
    format: str
    columns: tuple[str, ...]
    relation: str
    rows: int
    malformed: tuple[SetApart, ...]  # records set apart by the reader
    spaces: bool = True  # a value may start or end with a space or hold a no-break space
    records: int = 0  # data records in the part, counted from its bytes (rows + set apart)
    breaks: bool = True  # a value may hold a line break (not in a CSV part without quotes)
    longest: dict[str, int] | None = None  # bytes of each column's longest value (CSV), else unknown
    read: float = 1.0  # share of the file's bytes read up to the end of this part


@dataclass(frozen=True)
class Source:
    """A file to import: what holds for the whole of it, and its rows part by part.

    `parts` yields the parts in file order; each part's relation stays readable until the
    next part is asked for (it is then unregistered), so a part is validated and loaded
    while only it is in memory."""

    path: Path
    format: str
    sha256: str
    columns: tuple[str, ...]
    parts: Callable[[], Iterator[RawFile]]


@dataclass(frozen=True)
class ColumnRule:
    """What the reader checks in one source column before validation."""

    column: str
    kind: str
    single_line: bool  # a key or identity column: a line break in it is an export error

    @property
    def limit(self) -> int:
        return FIELD_LIMITS[self.kind]


def column_rules(table: Table, sources: dict[str, str | None]) -> tuple[ColumnRule, ...]:
    """Rules for the source columns that feed `table`'s fields (`sources`: field -> column)."""
    single = set(table.key) | {f.name for f in table.fields if f.kind == "identity"}
    return tuple(
        ColumnRule(column, table.field(name).kind, name in single) for name, column in sources.items() if column is not None
    )


def file_format(path: Path) -> str:
    """'csv', 'xlsx' or 'parquet' from the file name; a UsageError for anything else."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot import a '{path.suffix or 'suffix-less'}' file",
            where=str(path),
            why="Polku reads CSV (.csv, .txt), Excel (.xlsx) and Parquet (.parquet) files.",
            fix="export the data as CSV, XLSX or Parquet.",
        )
    return fmt


def _csv_header(text_head: str, path: Path, delimiter: str) -> tuple[str, ...]:
    try:
        return _header(next(csv.reader(io.StringIO(text_head), delimiter=delimiter), []), path)
    except csv.Error as error:
        raise content_error(
            path, "the header line cannot be read", str(error), "export the file again with a plain header line.", line=1
        ) from None


def _header(row: Any, path: Path) -> tuple[str, ...]:
    """Column names of a header row; an error for a missing, empty or repeated name."""
    names = tuple("" if name is None else str(name).strip() for name in row)
    if not names or all(not n for n in names):
        raise content_error(
            path,
            "the file is empty",
            "there is no header row naming the columns.",
            "export the file again with a header row.",
            line=1,
        )
    for position, name in enumerate(names, start=1):
        if not name:
            raise content_error(
                path,
                f"column {position} of the header has no name",
                "every column must be named so it can be mapped.",
                "name the column or remove it.",
                line=1,
            )
        if names.count(name) > 1:
            raise content_error(
                path,
                f"the column '{name}' appears twice in the header",
                "a value could then come from either column.",
                "remove or rename one of them.",
                line=1,
                column=name,
            )
    return names


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class InMemory:
    """The in-memory tables of one import, unregistered when it ends.

    A transcoded or cleaned copy of a source holds every identity code of the file, so it
    must never be a file on disk, not even for a moment. The bytes are parsed in memory by
    pyarrow's CSV reader and DuckDB reads the Arrow table in place (a registered view):
    nothing is left behind, whatever kills the process. The tables are registered on the
    import's staging connection, which runs outside the import's transaction, so a part's
    table is freed as soon as it is released.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._names: list[str] = []

    def __enter__(self) -> InMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        while self._names:
            self.con.unregister(self._names.pop())

    def register(self, name: str, table: pa.Table) -> str:
        self.con.complete()  # a caller's unread result would block registering
        self.con.register(name, table)
        self._names.append(name)
        return name

    def release(self, name: str) -> None:
        """Unregister one table now (a part that is done), so its memory is freed."""
        if name in self._names:
            self._names.remove(name)
            self.con.complete()
            self.con.unregister(name)


PASSED = "_polku_passed"


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: str, rows: pa.Table, values: str = "*") -> int:
    """INSERT `rows` (Arrow, made on the staging connection) into `table` on `con`, inside
    the import's transaction; `values` selects from them as PASSED. The rows are read in
    place, never registered: a registration is a catalog entry, and DuckDB keeps it (and
    the rows) until the transaction ends, so every part would stay in memory to the commit."""
    if rows.num_rows:
        con.from_arrow(rows).query(PASSED, f"INSERT INTO {table} ({columns}) SELECT {values} FROM {PASSED}")
    return rows.num_rows


def select_rows(con: duckdb.DuckDBPyConnection, rows: pa.Table, sql: str) -> pa.Table:
    """The result of the SELECT `sql` on `con`, reading `rows` in place as PASSED (not
    registered, as in `insert_rows`)."""
    result = con.from_arrow(rows).query(PASSED, sql)
    if result is None:
        raise ValueError("select_rows runs a SELECT")
    return result.to_arrow_table()


def _parsed(
    utf8: bytes,
    columns: tuple[str, ...],
    delimiter: str,
    quoted: bool,
    longest: int = 0,
    invalid: list[int] | None = None,
    header: bool = True,
) -> pa.Table | None:
    """The records after the header (all of them in a part without it) as a table of
    text, or None if pyarrow cannot split them. A row of the wrong width is skipped (its
    number noted in `invalid`): the row count then differs from the count of records,
    which the caller checks. Quoted line
    breaks are looked for only in a file with quotes (faster without); a record must fit
    in one of the parser's blocks, so a block holds the `longest` record. Empty values and
    empty quoted values are missing (NULL), as in every other reader of Polku."""
    import pyarrow.csv as pacsv

    def skip(row: Any) -> str:
        if invalid is not None:
            invalid.append(row.number)
        return "skip"

    try:
        return pacsv.read_csv(
            pa.BufferReader(utf8),
            read_options=pacsv.ReadOptions(
                column_names=list(columns),
                skip_rows=int(header),
                use_threads=invalid is None,
                block_size=max(1 << 20, longest + 2),
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns}, null_values=[""], strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:
        return None


def _registered(raw: RawFile, table: pa.Table, lines: np.ndarray, memory: InMemory) -> RawFile:
    """The table with each row's line, readable by DuckDB as the relation RAW_csv."""
    numbers = np.ascontiguousarray(lines, dtype=np.int64)  # from its buffer: pa.array() would import pandas (seconds)
    longest = longest_values(table)
    table = table.append_column("_line", pa.Array.from_buffers(pa.int64(), len(numbers), [None, pa.py_buffer(numbers)]))
    return replace(raw, relation=memory.register(f"{RAW}_csv", table), rows=table.num_rows, longest=longest)


def longest_values(table: pa.Table) -> dict[str, int]:
    """Bytes of the longest value in each column, read from the Arrow offsets (no value is
    read): validation skips a check that no value of a column could fail, and bytes >=
    characters, so a column's limit is never underestimated."""
    import pyarrow.compute as pc

    return {name: int(pc.max(pc.binary_length(table[name])).as_py() or 0) for name in table.column_names}


def _problems(records: Records, utf8: bytes, expected: int) -> np.ndarray:
    """The reason code of each record ('' when it can be read), most telling first."""
    codes = np.where(records.fields != expected, "wrong_field_count", "").astype(object)
    codes[records.unbalanced] = "unbalanced_quote"
    codes[containing(records, lone_carriage_returns(utf8))] = "stray_carriage_return"
    codes[containing(records, nul_bytes(utf8))] = "nul_byte"
    return codes


def _refuse_bad_header(path: Path, code: str) -> None:
    if code and code != "wrong_field_count":
        raise content_error(
            path,
            "the header line cannot be read",
            ROW_REASONS[code].format(fields="", expected=""),
            "export the file again as CSV in UTF-8 or Windows-1252 with a plain header line.",
            line=1,
        )


def _without(utf8: bytes, records: Records, drop: np.ndarray) -> bytes:
    """The bytes without the dropped records and their line ends, built in memory from the
    spans between them (no per-byte mask: that took eight bytes of memory per byte)."""
    if not drop.any():
        return utf8
    view = memoryview(utf8)
    keep_from = np.concatenate(([0], np.minimum(records.ends[drop] + 1, len(utf8))))
    keep_to = np.concatenate((records.starts[drop], [len(utf8)]))
    return b"".join(view[a:b] for a, b in zip(keep_from.tolist(), keep_to.tolist()) if b > a)


def _scanned(raw: RawFile, utf8: bytes, delimiter: str, memory: InMemory, first_line: int) -> RawFile:
    """The careful reading: every record found by the scan, the unreadable ones set apart.

    Only the records the scan found readable are parsed (a copy without the others, in
    memory, when there are any), so the n-th row parsed is the n-th good record. The part
    starting on line 1 holds the header; a later part holds records only.
    """
    header = first_line == 1
    records = scan_records(utf8, delimiter, None if header else len(raw.columns))
    records = replace(records, lines=records.lines + (first_line - 1))
    codes = _problems(records, utf8, len(raw.columns))
    if header:
        _refuse_bad_header(raw.path, str(codes[0]))
        codes[0] = ""
    good = codes == ""
    clean = _without(utf8, records, ~good)
    longest = int((records.ends - records.starts).max(initial=0))
    table = _parsed(clean, raw.columns, delimiter, quoted=True, longest=longest, header=header) if clean else None
    lines = records.lines[good]
    rows = len(lines) - header
    if (table is None and rows) or (table is not None and table.num_rows != rows):
        raise quoting_error(
            raw.path,
            rows,
            0 if table is None else table.num_rows,
            _disagreement(clean, raw.columns, delimiter, lines, longest, header),
        )
    bad = np.flatnonzero(~good)
    malformed = tuple(SetApart(int(records.lines[i]), str(codes[i]), None, int(records.fields[i])) for i in bad)
    table = table if table is not None else _empty(raw.columns)
    return replace(_registered(raw, table, lines[int(header) :], memory), records=len(records) - header, malformed=malformed)


def _empty(columns: tuple[str, ...]) -> pa.Table:
    """No rows: a part of nothing but set-apart records or empty lines."""
    return pa.table({c: pa.array([], pa.string()) for c in columns})


def _disagreement(
    clean: bytes, columns: tuple[str, ...], delimiter: str, lines: np.ndarray, longest: int, header: bool
) -> int | None:
    """The line of the first record the CSV parser could not split as the scan did."""
    invalid: list[int] = []
    _parsed(clean, columns, delimiter, quoted=True, longest=longest, invalid=invalid, header=header)
    numbers = [n for n in invalid if n is not None and 0 < n <= len(lines)]
    return int(lines[numbers[0] - 1]) if numbers else None


def _has_spaces(utf8: bytes) -> bool:
    """False when no value can need trimming: the file holds no space and no no-break space
    (U+00A0). Machine exports often hold none, and then validation skips a check of every
    value (0.15 s per million rows of nine columns). Single bytes are searched first (memchr
    speed, 10 ms for 80 MB): without a 0xA0 byte there is no U+00A0 (UTF-8 C2 A0)."""
    return b" " in utf8 or (b"\xa0" in utf8 and "\u00a0".encode() in utf8)


def _head(data: bytes, simple: bool) -> str:
    """Text holding the header record: its line, or the file's first 64 KiB when a quoted
    name may span lines (the record scan refuses a header it cannot read)."""
    end = data.find(b"\n") if simple else -1
    return data[: end if end >= 0 else 1 << 16].decode("utf-8-sig", errors="replace")


def _csv_part(raw: RawFile, utf8: bytes, delimiter: str, memory: InMemory, first_line: int) -> RawFile:
    """One part's rows as text with each row's line, parsed in memory.

    For a part without quotes, NUL bytes or stray carriage returns, every line is claimed
    to be one row (line = its place in the part); the claim stands when the parser returns
    that many rows. Otherwise (an empty line or a malformed row makes it return fewer, or
    the part has quotes) the record scan finds each record's line and sets the unreadable
    ones apart.
    """
    header = first_line == 1
    raw = replace(raw, spaces=_has_spaces(utf8))
    lines = line_count_if_simple(utf8, header)
    if lines is not None:
        table = _parsed(utf8, raw.columns, delimiter, quoted=False, header=header) if lines else _empty(raw.columns)
        if table is not None and table.num_rows == lines:
            numbers = np.arange(first_line + header, first_line + header + lines)
            return replace(_registered(raw, table, numbers, memory), records=lines, breaks=False)
    return _scanned(raw, utf8, delimiter, memory, first_line)


@dataclass(frozen=True)
class _Csv:
    """What every part of a CSV file is read with, found from the whole file and its header."""

    path: Path
    form: TextForm
    delimiter: str
    columns: tuple[str, ...]
    size: int


def _open_csv(path: Path, found: Survey, options: FileOptions) -> _Csv:
    """The file's text form, delimiter and header, from the survey and the first part's
    first lines (errors for an unreadable or empty file, or a bad header)."""
    form = text_form(found, path, options.encoding, lambda: file_blocks(path, SURVEY_BYTES))
    with path.open("rb") as file:
        head = next(_line_blocks(file, form, 1 << 16), b"")
    first_line = head[: max(head.find(b"\n"), 0) or len(head)].removeprefix(b"\xef\xbb\xbf")
    delimiter = guess_delimiter(first_line) if options.delimiter == "auto" else options.delimiter
    columns = _csv_header(_head(head, line_count_if_simple(head) is not None), path, delimiter)
    return _Csv(path, form, delimiter, columns, found.size)


def _line_blocks(file: BinaryIO, form: TextForm, size: int) -> Iterator[bytes]:
    """The file's text, as UTF-8 with LF line ends, in blocks of whole lines of about
    `size` bytes (the last block is whatever follows the last line end)."""
    carry = b""
    while chunk := file.read(size):
        data = carry + chunk
        end = form.line_end(data)
        if end:
            yield form.utf8(data[:end])
        carry = data[end:]
    if carry:
        yield form.utf8(carry)


def _text_parts(csv_file: _Csv) -> Iterator[tuple[bytes, float]]:
    """The file's text in parts of whole records, about PART_BYTES each, with the share of
    the file read. A part ends where the record scan has settled the records before it; a
    record that the window cannot settle waits for the next block, so a part holds at
    least one whole record however long."""
    pending, expected = b"", None  # the first window's scan reads the header's width itself
    with csv_file.path.open("rb") as file:
        for block in _line_blocks(file, csv_file.form, PART_BYTES):
            pending += block
            if not pending.endswith(b"\n"):  # the file's last line, without a line end
                continue
            cut = settled_end(pending, csv_file.delimiter, expected) if b'"' in pending else len(pending)
            if cut:
                part, pending, expected = [pending[:cut]], pending[cut:], len(csv_file.columns)
                yield part.pop(), file.tell() / max(csv_file.size, 1)  # popped: only the reader holds the part
        if pending:
            yield pending, 1.0


def _csv_parts(csv_file: _Csv, memory: InMemory) -> Iterator[RawFile]:
    """The file's parts as relations, each released when the next is asked for."""
    raw = RawFile(csv_file.path, "csv", csv_file.columns, "", 0, ())
    first_line = 1
    for utf8, share in _text_parts(csv_file):
        part = replace(_csv_part(raw, utf8, csv_file.delimiter, memory, first_line), read=share)
        first_line += utf8.count(b"\n")
        del utf8
        yield part
        memory.release(part.relation)


def quoting_error(path: Path, expected: int, read: int, line: int | None) -> ValidationFailed:
    """The CSV parser split the readable records differently from the record scan: no row
    may be lost or joined, so the file is refused."""
    return content_error(
        path,
        "the file's quoting could not be read consistently",
        f"{expected} rows were expected from the line structure but {read} were read; a quote is probably unbalanced.",
        "check that every quoted value starts and ends with a double quote and that quotes inside values are doubled.",
        line=line,
    )


def _cell_text(value: Any, options: FileOptions) -> str | None:
    """A typed spreadsheet cell written the way the mapping expects text to look."""
    if value is None:
        return None
    if isinstance(value, bool):
        return options.true_words[0] if value else options.false_words[0]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text.replace(".", options.decimal_separator)
    return str(value)


def _sheet_rows(path: Path, options: FileOptions) -> Any:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise content_error(
            path,
            "the file is not a readable Excel workbook",
            type(error).__name__,
            "save it again as .xlsx from Excel or LibreOffice.",
        ) from None
    if options.sheet is not None and options.sheet not in book.sheetnames:
        raise content_error(
            path,
            f"the workbook has no sheet '{options.sheet}'",
            f"it has: {', '.join(book.sheetnames)}.",
            "fix `file: {sheet: ...}` in the mapping.",
        )
    sheet = book[options.sheet] if options.sheet else book.worksheets[0]
    return book, sheet.iter_rows(values_only=True)


def read_xlsx(path: Path, options: FileOptions, memory: InMemory) -> RawFile:
    """Load the first (or the mapping's) sheet; row 1 is the header, empty rows are skipped."""
    book, rows = _sheet_rows(path, options)
    header = next(rows, None)
    header = list(header or ())
    while len(header) > 1 and header[-1] in (None, ""):
        header.pop()  # spreadsheets often report empty cells right of the table
    columns = _header(header, path)
    values: list[list[str | None]] = [[] for _ in columns]
    lines: list[int] = []
    malformed: list[SetApart] = []
    for line, row in enumerate(rows, start=2):
        cells = [_cell_text(v, options) for v in row]
        if not any(c not in (None, "") for c in cells):
            continue
        if any(c not in (None, "") for c in cells[len(columns) :]):
            malformed.append(SetApart(line, "wrong_field_count", None, len(cells)))
            continue
        cells += [None] * (len(columns) - len(cells))
        for target, cell in zip(values, cells):
            target.append(cell)
        lines.append(line)
    book.close()
    arrow = pa.table({**{c: pa.array(v, pa.string()) for c, v in zip(columns, values)}, "_line": pa.array(lines, pa.int64())})
    relation = memory.register(f"{RAW}_xlsx", arrow)
    return RawFile(path, "xlsx", columns, relation, len(lines), tuple(malformed), records=len(lines) + len(malformed))


def _parquet_text(name: str, sql_type: str, options: FileOptions) -> str:
    """SQL rendering a typed Parquet column as the text the mapping expects."""
    col = '"' + name.replace('"', '""') + '"'
    if sql_type == "BOOLEAN":
        return (
            f"CASE WHEN {col} THEN {_sql_text(options.true_words[0])} WHEN NOT {col} THEN {_sql_text(options.false_words[0])} END"
        )
    if sql_type == "DATE" or sql_type.startswith("TIMESTAMP"):
        return f"strftime({col}, '%Y-%m-%d')"
    if sql_type in ("DOUBLE", "FLOAT") or sql_type.startswith("DECIMAL"):
        return f"replace(CAST({col} AS VARCHAR), '.', {_sql_text(options.decimal_separator)})"
    return f"CAST({col} AS VARCHAR)"


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path, options: FileOptions) -> RawFile:
    """Load a Parquet file; the line of row n is n + 1, as if the file had a header line."""
    scan = f"read_parquet({_sql_text(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as error:
        raise content_error(
            path,
            "the file is not a readable Parquet file",
            str(error).splitlines()[0][:200],
            "write the file again as Parquet, or export CSV.",
        ) from None
    columns = tuple(name for name, *_ in described)
    _header(columns, path)
    texts = ", ".join(f'{_parquet_text(n, t, options)} AS "{n}"' for n, t, *_ in described)
    numbered = f"read_parquet({_sql_text(str(path))}, file_row_number=true)"
    con.execute(f"CREATE TEMP TABLE {RAW}_parquet AS SELECT {texts}, file_row_number + 2 AS _line FROM {numbered}")
    rows = con.execute(f"SELECT count(*) FROM {RAW}_parquet").fetchall()[0][0]
    return RawFile(path, "parquet", columns, f"{RAW}_parquet", rows, (), records=rows)


def read_source(con: duckdb.DuckDBPyConnection, path: Path, options: FileOptions, memory: InMemory) -> Source:
    """Any supported file as a `Source`: its SHA-256 and columns now, its rows by part.

    The file is read once in blocks first (`decoding.Survey`): its digest decides whether
    the import has anything to do, and its encoding and line endings are decisions about
    the whole file. A CSV file's rows are then read part by part (`Source.parts`); an XLSX
    or Parquet file is one part, read here. `memory` holds the in-memory tables (a part's
    Arrow table, a UTF-8 copy of a Latin-1 part) until the part or the import ends.
    """
    if not path.is_file():
        raise UsageError("the file to import does not exist", where=str(path), fix="check the path and the file name.")
    fmt = file_format(path)
    found = survey(file_blocks(path, SURVEY_BYTES))
    if found.blank:
        raise content_error(
            path, "the file is empty", "there is no header row and no data.", "export the file again with a header row.", line=1
        )
    if fmt == "csv":
        csv_file = _open_csv(path, found, options)
        return Source(path, fmt, found.sha256, csv_file.columns, lambda: _csv_parts(csv_file, memory))
    raw = read_xlsx(path, options, memory) if fmt == "xlsx" else read_parquet(con, path, options)
    return Source(path, fmt, found.sha256, raw.columns, lambda: iter((raw,)))


def materialise(con: duckdb.DuckDBPyConnection, raw: RawFile, rules: tuple[ColumnRule, ...] = ()) -> RawFile:
    """The relation validation reads, without the rows that break a column rule (any format).

    Every reader has already put the part's rows in memory (an Arrow table for CSV,
    temporary tables for XLSX and Parquet), so the rows are read once.
    """
    return _set_apart(con, raw, rules)


def _rule_sql(rules: tuple[ColumnRule, ...], breaks: bool) -> tuple[str, str]:
    """(CASE giving the first broken rule's index, WHERE matching any broken rule); line
    breaks are looked for only where a value can hold one."""
    tests = []
    for rule in rules:
        column = '"' + rule.column.replace('"', '""') + '"'
        tests.append(f"strlen({column}) > {rule.limit} AND length({column}) > {rule.limit}")
        tests.append(f"contains({column}, chr(10)) OR contains({column}, chr(13))" if rule.single_line and breaks else "")
    arms = " ".join(f"WHEN {test} THEN {index}" for index, test in enumerate(tests) if test)
    return f"CASE {arms} END", " OR ".join(f"({test})" for test in tests if test)


def _within_limits(raw: RawFile, rules: tuple[ColumnRule, ...]) -> bool:
    """True when no rule can be broken, known without reading a value: a CSV file without
    line breaks in values, whose longest value per column (in bytes, from the Arrow
    table's offsets) is within the limit. Bytes >= characters, so this never hides one."""
    if raw.longest is None or raw.breaks:
        return False
    return all(raw.longest[r.column] <= r.limit for r in rules)


def _set_apart(con: duckdb.DuckDBPyConnection, raw: RawFile, rules: tuple[ColumnRule, ...]) -> RawFile:
    """Rows with an over-long value (`field_too_long`) or a line break in a key or identity
    column (`line_break_in_key`) are set apart unread, like a malformed record: such a
    value is an export error, and it may hold an identity code that slipped into it."""
    if not rules or _within_limits(raw, rules):
        return raw
    case, where = _rule_sql(rules, raw.breaks)
    found = con.execute(f"SELECT _line, {case} FROM {raw.relation} WHERE {where} ORDER BY _line").fetchall()
    if not found:
        return raw
    apart = tuple(
        SetApart(
            int(line),
            "line_break_in_key" if index % 2 else "field_too_long",
            rules[index // 2].column,
            None if index % 2 else rules[index // 2].limit,
        )
        for line, index in found
    )
    con.register(f"{CUT}_arrow", pa.table({"line": pa.array([a.line for a in apart], pa.int64())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CUT} AS SELECT * FROM {CUT}_arrow")
    con.unregister(f"{CUT}_arrow")
    relation = f"(SELECT * FROM {raw.relation} r ANTI JOIN {CUT} c ON r._line = c.line)"
    malformed = tuple(sorted(raw.malformed + apart, key=lambda a: a.line))
    return replace(raw, relation=relation, rows=raw.rows - len(apart), malformed=malformed)
