"""A run's tables as Parquet files, and the digests that let two runs be compared.

Why digests of the files: pyarrow writes the same bytes for the same frame (no time stamps
in the file; the writer's version is in its metadata), so the SHA-256 of each file, and one
SHA-256 over the sorted (name, file digest) pairs, say whether two runs hold the same
results. The same data, seed and Polku version give the same `results_sha256`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
"""Table names are file names: lower-case letters, digits and underscores."""


class TableError(ValueError):
    """A section computed a table that cannot be stored as it is (a bug in that section)."""


def check(name: str, frame: Any) -> pa.Table:
    """The frame as the Arrow table stored for it; TableError naming the table when it cannot be."""
    if not NAME.match(name):
        raise TableError(f"table name {name!r} must be lower-case letters, digits and underscores")
    if not isinstance(frame, pd.DataFrame):
        raise TableError(f"table {name!r} is a {type(frame).__name__}, not a pandas DataFrame")
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.has_duplicates:
        raise TableError(f"table {name!r} needs unique text column names")
    if isinstance(frame.index, pd.MultiIndex):
        raise TableError(f"table {name!r} has a MultiIndex; reset it into columns")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise TableError(f"table {name!r} cannot be stored as Parquet: {error}") from None
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        raise TableError(f"table {name!r} has columns of lists or records ({', '.join(nested)}); store plain columns")
    return table


def write(path: Path, table: pa.Table) -> str:
    """Write one table (owner-only, new file) and return the SHA-256 of its bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        pq.write_table(table, handle, compression="zstd")
    return file_digest(path)


def write_all(folder: Path, frames: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Every frame as `<name>.parquet` in `folder`; one entry per table, sorted by name."""
    checked = {name: check(name, frames[name]) for name in sorted(frames)}
    return [
        {"name": name, "rows": table.num_rows, "columns": table.column_names, "sha256": write(folder / f"{name}.parquet", table)}
        for name, table in checked.items()
    ]


def read(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def results_digest(entries: list[dict[str, Any]]) -> str:
    """One SHA-256 over the sorted (name, file digest) pairs: equal when every table is equal."""
    lines = "".join(f"{e['name']}\t{e['sha256']}\n" for e in sorted(entries, key=lambda e: e["name"]))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
