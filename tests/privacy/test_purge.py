"""`polku purge`: persons whose last activity is before the cut-off leave every table.

A hand-made store with known dates (each person's last activity worked out by hand):
- person 1: registered 2015-01-02 to 2016-06-30, employed 2016-07-01 to 2017-12-31 -> 2017-12-31;
- person 2: registered 2015-01-02 to 2016-06-30, employed from 2022-01-03 (open) -> 2022-01-03;
- person 3: registered since 2014-01-02 and still registered (no end date) -> never purged;
- person 4: only a person row, no dated row -> the day it was imported (today).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_helpers import TEST_CODES, row, write_csv

from conftest import KEY
from polku.cli import main
from polku.errors import UsageError
from polku.identity import pseudonym
from polku.ingest import import_file
from polku.privacy import cutoff_date, purge
from polku.store import Store, open_store

PERSONS = [pseudonym(code, KEY) for code in TEST_CODES[:4]]


def _registration(key: int, start: str, end: str) -> dict[str, str]:
    return row("registration_spell", key, start_date=start, end_date=end, end_reason="open_market_job" if end else "")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    files = {
        "person": [row("person", k) for k in (1, 2, 3, 4)],
        "registration_spell": [
            _registration(1, "2015-01-02", "2016-06-30"),
            _registration(2, "2015-01-02", "2016-06-30"),
            _registration(3, "2014-01-02", ""),
        ],
        "employment_spell": [
            row("employment_spell", 1, start_date="2016-07-01", end_date="2017-12-31"),
            row("employment_spell", 2, start_date="2022-01-03", end_date=""),
            row("employment_spell", 12, start_date="2017-01-01", weekly_hours="lots"),
        ],  # person 1, quarantined
        "team": [row("team", 1, name="")],  # quarantined, names nobody
    }
    opened = open_store(tmp_path / "store.duckdb")
    for table, rows in files.items():
        import_file(opened, table, write_csv(tmp_path / f"{table}.csv", table, rows), key=KEY)
    opened.con.execute("UPDATE import_log SET finished_at = TIMESTAMP '2010-06-01 12:00' WHERE table_name = 'team'")
    return opened


def _persons(store: Store) -> list[int]:
    """Which of persons 1-4 still have a row anywhere (1-based)."""
    held = set()
    for table in ("person", "registration_spell", "employment_spell"):
        held |= {p for (p,) in store.con.execute(f"SELECT person_id FROM {table}").fetchall()}
    return [i + 1 for i, p in enumerate(PERSONS) if p in held]


def test_purge_removes_persons_whose_last_activity_is_before_the_cutoff(store: Store) -> None:
    result = purge(store, dt.date(2020, 1, 1))
    removed = {t: n for t, n in result.removed.items() if n}
    assert (result.persons, removed) == (1, {"employment_spell": 1, "person": 1, "registration_spell": 1, "quarantine": 2})
    assert _persons(store) == [2, 3, 4]
    assert store.con.execute("SELECT table_name FROM quarantine").fetchall() == []  # person 1's row and the 2010 import's
    result = purge(store, dt.date(2023, 1, 1))
    assert (result.persons, _persons(store)) == (1, [3, 4])
    result = purge(store, dt.date.today() + dt.timedelta(days=1))
    assert (result.persons, _persons(store)) == (1, [3])  # person 4 by import date; person 3 is still registered
    assert "last activity before" in result.render()


def test_a_cutoff_on_the_last_day_keeps_the_person(store: Store) -> None:
    assert purge(store, dt.date(2017, 12, 31)).persons == 0
    assert purge(store, dt.date(2018, 1, 1)).persons == 1


def test_a_dry_run_counts_exactly_and_changes_nothing(store: Store) -> None:
    before = store.con.execute("SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM quarantine)").fetchall()
    dry = purge(store, dt.date(2023, 1, 1), dry_run=True)
    assert store.con.execute("SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM quarantine)").fetchall() == before
    real = purge(store, dt.date(2023, 1, 1))
    assert (dry.persons, dry.removed, dry.dry_run) == (real.persons, real.removed, True) == (2, real.removed, True)
    assert "dry run: nothing was changed" in dry.render()


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("5y", dt.date(2026, 2, 28), dt.date(2021, 2, 28)),
        ("1m", dt.date(2026, 3, 31), dt.date(2026, 2, 28)),  # February has no 31st: its last day
        ("13M", dt.date(2026, 3, 15), dt.date(2025, 2, 15)),
        ("4y", dt.date(2024, 2, 29), dt.date(2020, 2, 29)),
        ("1y", dt.date(2024, 2, 29), dt.date(2023, 2, 28)),
        ("90d", dt.date(2026, 2, 28), dt.date(2025, 11, 30)),
        (" 2020-12-31 ", dt.date(2026, 2, 28), dt.date(2020, 12, 31)),
    ],
)
def test_cutoff_dates(text: str, today: dt.date, expected: dt.date) -> None:
    assert cutoff_date(text, today) == expected


def test_a_bad_period_is_a_usage_error() -> None:
    for bad in ("soon", "5 years", "-1y", "2020-13-01", ""):
        with pytest.raises(UsageError, match="--older-than must be a period or a date"):
            cutoff_date(bad, dt.date(2026, 1, 1))


def test_cli_purge(store: Store) -> None:
    path = str(store.path)
    store.close()
    result = CliRunner().invoke(main, ["purge", "--older-than", "2020-01-01", "--dry-run", "--json", "--store", path])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) | {"removed": None} == {
        "cutoff": "2020-01-01",
        "persons": 1,
        "removed": None,
        "rows_removed": 5,
        "dry_run": True,
    }
    result = CliRunner().invoke(main, ["purge", "--older-than", "2020-01-01", "--store", path])
    assert result.exit_code == 0 and "removed 1 persons, 5 rows" in result.stdout
    for args in (["purge", "--older-than", "soon", "--store", path], ["purge", "--older-than", "5y", "--store", path + ".x"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Traceback" not in result.stderr
    with open_store(path, read_only=True) as reopened:
        assert reopened.con.execute("SELECT count(*) FROM person WHERE person_id = ?", [PERSONS[0]]).fetchall() == [(0,)]
