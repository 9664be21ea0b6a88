"""Rewrite the store into a fresh file, so that removed rows leave the disk as well.

DuckDB deletes a row by marking it: until its row group is rewritten, the row's bytes stay
in the file, and blocks it frees are reused but not wiped (checked with uncompressed
strings: a deleted value was still in the file after `DELETE` and `CHECKPOINT`, and after
rewriting its table in place). An erasure that leaves the person in the file is no
erasure, so after `erase` and `purge` the whole store is copied into a new file with
`COPY FROM DATABASE` (tables, constraints, views and sequences) and swapped in with an
atomic rename. The copy takes about as long as reading the store once.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import duckdb

from polku.store.sql import literal


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def compact(path: Path) -> int:
    """Replace the store at `path` (closed, no other user) by a fresh copy; its new size.

    The copy is written beside the store with the store's own file mode, so the rename is
    atomic and never widens access; a failed copy leaves the store as it was.
    """
    path = Path(path)
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(4)}.compact")
    try:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH {literal(str(path))} AS polku_old (READ_ONLY)")
            con.execute(f"ATTACH {literal(str(fresh))} AS polku_fresh")
            con.execute("COPY FROM DATABASE polku_old TO polku_fresh")
        finally:
            con.close()
        os.chmod(fresh, stat.S_IMODE(path.stat().st_mode))
        os.replace(fresh, path)
    finally:
        _remove(fresh)
    return path.stat().st_size
