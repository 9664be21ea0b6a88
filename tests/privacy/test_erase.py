"""`polku erase`: one person out of every table, quarantine and history included, and kept
out of later imports by the suppression list.

The store holds persons 1-3 (conftest): person 1 has a person row, a registration, two
employment spells and three quarantine rows (bad hours: one problem; a swapped row: the
date in the identity column and the code in start_date). Counts below follow from that.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_helpers import TEST_CODES, row, write_csv

from conftest import KEY, load, three_persons
from polku.cli import main
from polku.errors import UsageError
from polku.identity import code_hash, pseudonym
from polku.ingest import import_file
from polku.privacy import compact, erase, person_from_hetu, person_from_pseudonym
from polku.store import Store, open_store


def _rows_of(store: Store, person: uuid.UUID) -> dict[str, int]:
    """The person's rows in the tables that hold persons (the schema's, and a history table when made)."""
    tables = ("person", "registration_spell", "employment_spell", "employment_spell_history")
    made = {name for (name,) in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    counts = {
        t: store.con.execute(f"SELECT count(*) FROM {t} WHERE person_id = ?", [person]).fetchall()[0][0]
        for t in tables
        if t in made
    }
    counts["quarantine"] = store.con.execute("SELECT count(*) FROM quarantine WHERE person_pseudonym = ?", [person]).fetchall()[
        0
    ][0]
    return counts


def _with_history(store: Store) -> None:
    """A history table as replacement keeps them: erasure finds it in the catalog."""
    store.con.execute("CREATE TABLE employment_spell_history AS SELECT * FROM employment_spell")


def test_erase_by_hetu_empties_every_table_of_the_person(store: Store) -> None:
    _with_history(store)
    first, second = pseudonym(TEST_CODES[0], KEY), pseudonym(TEST_CODES[1], KEY)
    assert _rows_of(store, first) == {
        "person": 1,
        "registration_spell": 1,
        "employment_spell": 2,
        "employment_spell_history": 2,
        "quarantine": 3,
    }
    before = _rows_of(store, second)
    result = erase(store, person_from_hetu(f" {TEST_CODES[0]}\n", KEY))
    assert {t: n for t, n in result.removed.items() if n} == {
        "employment_spell": 2,
        "employment_spell_history": 2,
        "person": 1,
        "quarantine": 3,
        "registration_spell": 1,
    }
    assert set(_rows_of(store, first).values()) == {0}
    assert _rows_of(store, second) == before
    assert store.con.execute("SELECT person_pseudonym, key_version FROM erased_person").fetchall() == [(first, 1)]
    assert result.suppressed and not result.already_suppressed
    assert TEST_CODES[0] not in result.render() + json.dumps(result.to_dict())
    assert result.render().splitlines()[0] == f"erased person {first}: 9 rows removed"


def test_a_later_import_quarantines_the_erased_person_as_erased(store: Store, tmp_path: Path) -> None:
    erase(store, person_from_hetu(TEST_CODES[0], KEY))
    files = three_persons(tmp_path / "again")
    files["person"] = write_csv(files["person"], "person", [row("person", k) for k in (1, 2, 3, 4)])  # a changed file
    files["registration_spell"] = write_csv(
        files["registration_spell"], "registration_spell", [row("registration_spell", k) for k in (1, 2, 3, 4)]
    )
    files["employment_spell"].write_text(
        files["employment_spell"].read_text() + ",".join(row("employment_spell", 4).values()) + "\n"
    )
    reports = load(store, files)
    assert {t: r.quarantined_by_reason.get("erased") for t, r in reports.items()} == {
        "person": 1,
        "registration_spell": 1,
        "employment_spell": 4,
    }
    assert {t: r.status for t, r in reports.items()} == dict.fromkeys(files, "replaced")
    first = pseudonym(TEST_CODES[0], KEY)
    assert _rows_of(store, first) == {"person": 0, "registration_spell": 0, "employment_spell": 0, "quarantine": 6}
    erased = store.con.execute(
        "SELECT table_name, line, value, record, person_pseudonym, code_hash FROM quarantine "
        "WHERE reason_code = 'erased' ORDER BY 1, 2"
    ).fetchall()
    assert erased == [
        ("employment_spell", 2, None, None, first, None),
        ("employment_spell", 5, None, None, first, None),
        ("employment_spell", 8, None, None, first, None),
        ("employment_spell", 9, None, None, first, None),
        ("person", 2, None, None, first, None),
        ("registration_spell", 2, None, None, first, None),
    ]
    assert store.con.execute(
        "SELECT count(*) FROM quarantine WHERE person_pseudonym = ? AND reason_code <> 'erased'", [first]
    ).fetchall() == [(0,)]


def test_erase_by_pseudonym_and_twice(store: Store) -> None:
    second = pseudonym(TEST_CODES[1], KEY)
    result = erase(store, person_from_pseudonym(str(second).upper()))
    assert {t: n for t, n in result.removed.items() if n} == {"employment_spell": 2, "person": 1, "registration_spell": 1}
    assert store.con.execute("SELECT key_version FROM erased_person").fetchall() == [(1,)]  # read from the rows
    again = erase(store, person_from_pseudonym(str(second)))
    assert (again.total, again.suppressed, again.already_suppressed) == (0, False, True)
    assert store.con.execute("SELECT count(*) FROM erased_person").fetchall() == [(1,)]


def test_an_invalid_code_is_found_in_quarantine_by_its_keyed_hash(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "extra.csv", "employment_spell", [row("employment_spell", 40, hetu="010594Y9033")])
    import_file(store, "employment_spell", path, key=KEY)
    assert store.con.execute(
        "SELECT count(*) FROM quarantine WHERE code_hash = ?", [code_hash("010594Y9033", KEY)]
    ).fetchall() == [(1,)]
    result = erase(store, person_from_hetu("010594Y9033", KEY))
    assert (result.pseudonym, {t: n for t, n in result.removed.items() if n}, result.suppressed) == (
        None,
        {"quarantine": 1},
        False,
    )
    assert "invalid code" in result.render() and "010594Y9033" not in result.render()


def test_a_pseudonym_that_is_not_one_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a person_id"):
        person_from_pseudonym("82b87f73-nope")


def _cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_cli_erase(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", KEY.secret.hex())
    path = str(store.path)
    store.close()
    code, stdout, stderr = _cli("erase", "--hetu", "-", "--store", path, "--json", stdin=TEST_CODES[2] + "\n")
    assert code == 0, stderr
    payload = json.loads(stdout)
    assert (payload["pseudonym"], payload["rows_removed"], payload["suppressed"]) == (str(pseudonym(TEST_CODES[2], KEY)), 4, True)
    code, stdout, _ = _cli("erase", "--pseudonym", str(pseudonym(TEST_CODES[1], KEY)), "--store", path)
    assert code == 0 and "4 rows removed" in stdout and "       2  employment_spell" in stdout
    assert TEST_CODES[1] not in stdout
    for args, words in (
        (("erase", "--store", path), "exactly one of --hetu and --pseudonym"),
        (("erase", "--pseudonym", "x", "--store", path), "not a person_id"),
        (("erase", "--pseudonym", str(uuid.uuid4()), "--store", path + ".missing"), "no store at"),
        (("erase", "--hetu", "  ", "--store", path), "is empty"),
    ):
        code, stdout, stderr = _cli(*args)
        assert code == 2 and words in stderr and "Traceback" not in stderr, (args, stderr)


def test_compact_removes_the_erased_rows_from_the_file(store: Store) -> None:
    """DuckDB only marks deleted rows: their bytes stay in the file until it is rewritten.
    A table written uncompressed, so that its values are plain bytes, shows both."""
    first = pseudonym(TEST_CODES[0], KEY)
    store.con.execute("PRAGMA force_compression='uncompressed'")
    store.con.execute("CREATE TABLE cached_notes AS SELECT person_id, 'NOTE-' || person_id::VARCHAR AS note FROM person")
    store.con.execute("CHECKPOINT")
    marker = f"NOTE-{first}".encode("ascii")
    assert marker in store.path.read_bytes()
    result = erase(store, person_from_hetu(TEST_CODES[0], KEY))
    assert result.removed["cached_notes"] == 1
    path = store.path
    store.close()
    assert marker in path.read_bytes()  # deleted and checkpointed, yet still on disk
    path.chmod(0o600)
    compact(path)
    assert marker not in path.read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not list(path.parent.glob(".*compact*"))
    with open_store(path, read_only=True) as reopened:
        assert reopened.con.execute("SELECT count(*) FROM cached_notes").fetchall() == [(2,)]
        assert reopened.con.execute("SELECT count(*) FROM erased_person").fetchall() == [(1,)]
