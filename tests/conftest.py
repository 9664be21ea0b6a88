"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection for checking SQL twins against Python (one per module;
    folders whose `con` means a built store define their own)."""
    connection = duckdb.connect()
    yield connection
    connection.close()
