"""Columns in the import format, and the CSV writer that puts them into files.

The format is fixed by the importer: UTF-8 without BOM, comma separator, a header row,
ISO dates, a decimal point, money with two decimals, `true`/`false`, empty = missing.
Columns are built as Arrow arrays straight from numpy (no Python loop per row), so a
million clients' files are written in seconds; money is exact because it goes through
integer cents into a decimal column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from polku.schema.tables import table as schema_table

IDENTITY_COLUMN = "hetu"
_MONEY = pa.decimal128(14, 2)
_CHUNK_ROWS = 500_000
_OPTIONS = pacsv.WriteOptions(include_header=False, delimiter=",", quoting_style="none")


def column_names(table_name: str) -> list[str]:
    """Schema field names in order, the identity field written as `hetu`."""
    return [IDENTITY_COLUMN if f.kind == "identity" else f.name for f in schema_table(table_name).fields]


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Date column from day numbers; negative (or not `valid`) days are missing."""
    days = np.asarray(days, dtype=np.int64)
    mask = days < 0 if valid is None else ~np.asarray(valid, dtype=bool) | (days < 0)
    return pa.array(np.where(mask, 0, days).astype(np.int32), type=pa.date32(), mask=mask)


def money(euros: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Exact two-decimal money column: euros rounded to cents, stored as decimal(14, 2)."""
    cents = np.round(np.asarray(euros, dtype=np.float64) * 100).astype(np.int64)
    words = np.empty(2 * len(cents), dtype=np.int64)
    words[0::2], words[1::2] = cents, np.where(cents < 0, -1, 0)
    array = pa.Array.from_buffers(_MONEY, len(cents), [None, pa.py_buffer(words)])
    if valid is None:
        return array
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), array, pa.scalar(None, _MONEY))


def labels(names: Sequence[str], index: np.ndarray) -> pa.Array:
    """Code column: `names[index]`; a negative index is missing."""
    index = np.asarray(index, dtype=np.int64)
    mask = index < 0
    return pa.array(list(names), type=pa.string()).take(pa.array(np.where(mask, 0, index), mask=mask))


def numbers(values: np.ndarray, valid: np.ndarray | None = None, *, integer: bool = False) -> pa.Array:
    """Numeric column; integer columns are written without a decimal part."""
    values = np.asarray(values)
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    if integer:
        return pa.array(np.where(mask, 0, values) if mask is not None else values, type=pa.int64(), mask=mask)
    return pa.array(values.astype(np.float64), type=pa.float64(), mask=mask)


def identifiers(prefix: str, numbers_: np.ndarray, width: int = 7) -> pa.Array:
    """Ids like E0000123: a prefix and a zero-padded sequence number."""
    text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers_, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def flags(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool))


def constant(text: str | None, n: int) -> pa.Array:
    """The same text on every row (small organisation tables)."""
    return pa.array([text] * n, type=pa.string())


class CsvFile:
    """One output file, written in chunks; counts rows and hashes the bytes as they go."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path, self.header, self.rows = path, header, 0
        self._hash = hashlib.sha256()
        self._handle = open(path, "wb")
        self._write((",".join(header) + "\n").encode("utf-8"))

    def _write(self, data: bytes) -> None:
        self._hash.update(data)
        self._handle.write(data)

    def append(self, columns: dict[str, pa.Array]) -> None:
        """Append rows; the columns must be exactly the header, in order."""
        if list(columns) != self.header:
            raise ValueError(f"{self.path.name}: columns {list(columns)} differ from {self.header}")
        table = pa.table(columns)
        for start in range(0, table.num_rows, _CHUNK_ROWS):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(table.slice(start, _CHUNK_ROWS), sink, _OPTIONS)
            self._write(sink.getvalue().to_pybytes())
        self.rows += table.num_rows

    def close(self) -> str:
        """Close the file and return the sha256 of its bytes."""
        self._handle.close()
        return self._hash.hexdigest()


def stringify(columns: dict[str, pa.Array]) -> dict[str, list[str | None]]:
    """Columns as the strings the writer prints (used to copy rows into flawed variants)."""
    return {name: pc.cast(array, pa.string()).to_pylist() for name, array in columns.items()}
