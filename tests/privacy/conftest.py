"""Fixtures for the erase and purge tests: a store with three persons, the ingest helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))  # for ingest_helpers

from ingest_helpers import row, write_csv  # noqa: E402

from polku.identity import PseudonymKey  # noqa: E402
from polku.ingest import import_file  # noqa: E402
from polku.store import Store, open_store  # noqa: E402

KEY = PseudonymKey(bytes(range(32)), 1)


def swapped(table: str, key: int, column: str) -> dict[str, str]:
    """A row of person `key` whose identity code and `column` changed places."""
    values = row(table, key)
    values["hetu"], values[column] = values[column], values["hetu"]
    return values


def three_persons(folder: Path) -> dict[str, Path]:
    """Files for persons 1-3 (TEST_CODES[0..2]): person rows, one registration and two
    employment spells each, and in quarantine: person 1's bad hours and a swapped row."""
    files = {
        "person": write_csv(folder / "person.csv", "person", [row("person", k) for k in (1, 2, 3)]),
        "registration_spell": write_csv(
            folder / "registration_spell.csv", "registration_spell", [row("registration_spell", k) for k in (1, 2, 3)]
        ),
        "employment_spell": write_csv(
            folder / "employment_spell.csv",
            "employment_spell",
            [row("employment_spell", k) for k in (1, 2, 3, 12, 13, 14)]
            + [row("employment_spell", 23, weekly_hours="lots"), swapped("employment_spell", 34, "start_date")],
        ),
    }
    return files


def load(store: Store, files: dict[str, Path], source: str | None = None) -> dict[str, object]:
    return {t: import_file(store, t, p, key=KEY, source=source) for t, p in files.items()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "store.duckdb") as opened:
        load(opened, three_persons(tmp_path / "in"))
        yield opened
