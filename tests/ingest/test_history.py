"""Safe replacement: the shrink rule, what a replacement changed, history and rollback.

Issue 14 finding: a 2-row export replaced a 200-row source with exit code 0.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import quarantine_rows, row, table_checksum, write_csv

from polku.cli import main
from polku.errors import ConfigurationError, UsageError, ValidationFailed
from polku.identity import PseudonymKey
from polku.ingest import history, import_file, import_folder, rollback
from polku.schema.tables import TABLES, Field, Table
from polku.store import Store, open_store

BENEFITS = "benefit_spell"


def _benefits(path: Path, keys: range | list[int], **changes: str) -> Path:
    return write_csv(path, BENEFITS, [row(BENEFITS, k, **changes) for k in keys])


def _state(store: Store) -> dict[str, object]:
    """Everything a refused import must leave as it was."""
    names = (BENEFITS, "quarantine", "import_log", "history_benefit_spell", "history_version", "key_fingerprint")
    return {name: table_checksum(store, name) for name in names}


def _log(store: Store, import_id: int) -> tuple[object, ...]:
    return store.con.execute(
        "SELECT status, rows_replaced, rows_added, rows_removed, rows_changed, version_import_id "
        "FROM import_log WHERE import_id = ?",
        [import_id],
    ).fetchall()[0]


def test_a_2_row_export_over_a_200_row_source_is_refused_until_allow_shrink(
    store: Store, key: PseudonymKey, tmp_path: Path
) -> None:
    full = _benefits(tmp_path / "v1" / "benefit_spell.csv", range(1, 201))
    short = _benefits(tmp_path / "v2" / "benefit_spell.csv", range(1, 3))
    assert import_file(store, BENEFITS, full, key=key).rows_accepted == 200
    before = _state(store)
    with pytest.raises(ValidationFailed) as caught:
        import_file(store, BENEFITS, short, key=key)
    first_line = str(caught.value).splitlines()[0]
    for words in (
        "source 'benefit_spell.csv'",
        "had 200 rows",
        "would leave 2",
        "90 %",
        "nothing was replaced",
        "--allow-shrink",
    ):
        assert words in first_line
    assert _state(store) == before
    report = import_file(store, BENEFITS, short, key=key, allow_shrink=True)
    assert (report.status, report.rows_replaced, report.rows_accepted) == ("replaced", 200, 2)
    assert (report.changes.added, report.changes.removed, report.changes.changed) == (0, 198, 0)
    assert store.con.execute("SELECT count(*) FROM benefit_spell").fetchall() == [(2,)]


def test_the_cli_refuses_the_shrunken_export_in_one_line_and_allow_shrink_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", os.urandom(32).hex())
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    full = _benefits(tmp_path / "v1" / "benefit_spell.csv", range(1, 201))
    short = _benefits(tmp_path / "v2" / "benefit_spell.csv", range(1, 3))
    runner = CliRunner()
    assert runner.invoke(main, ["import", BENEFITS, str(full)]).exit_code == 0
    refused = runner.invoke(main, ["import", BENEFITS, str(short)])
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    assert "had 200 rows, the new file would leave 2" in refused.stderr.splitlines()[0]
    accepted = runner.invoke(main, ["import", BENEFITS, str(short), "--allow-shrink"])
    assert accepted.exit_code == 0, accepted.output
    assert "rows added 0, removed 198, changed 0" in accepted.output


def test_the_cli_rolls_back_with_a_confirmation_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY", os.urandom(32).hex())
    monkeypatch.setenv("POLKU_STORE", str(tmp_path / "store.duckdb"))
    runner = CliRunner()
    for version in ("v1", "v2"):
        assert (
            runner.invoke(
                main, ["import", BENEFITS, str(_benefits(tmp_path / version / "b.csv", range(1, 4), amount=f"1{version[1]}.00"))]
            ).exit_code
            == 0
        )
    result = runner.invoke(main, ["import", "--rollback", "b.csv"])
    assert result.exit_code == 0, result.output
    assert "benefit_spell <- " in result.output and "v1/b.csv (source 'b.csv', import 3): rolled back" in result.output
    assert "(import 1)" in result.output and "rows added 0, removed 0, changed 3" in result.output
    assert runner.invoke(main, ["import", "--rollback", "b.csv"]).exit_code == 2
    assert runner.invoke(main, ["import", BENEFITS, "x.csv", "--rollback", "b.csv"]).exit_code == 2
    assert runner.invoke(main, ["import"]).exit_code == 2


@pytest.mark.parametrize(
    ("limit", "new_rows", "bad_rows", "refused"),
    [
        ("90", 9, 0, False),  # exactly 90 % is kept: accepted
        ("90", 8, 0, True),
        ("90", 10, 2, True),  # 10 read but 2 quarantined: 8 would be left
        ("50", 5, 0, False),
        ("50", 4, 0, True),
        ("0", 0, 0, False),  # 0 turns the rule off, even for an empty file
        ("100", 9, 0, True),
    ],
)
def test_the_shrink_limit_is_a_setting_and_counts_rows_that_would_be_left(
    store: Store,
    key: PseudonymKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    new_rows: int,
    bad_rows: int,
    refused: bool,
) -> None:
    monkeypatch.setenv("POLKU_SHRINK_LIMIT", limit)
    import_file(store, BENEFITS, _benefits(tmp_path / "v1" / "b.csv", range(1, 11)), key=key)
    rows = [row(BENEFITS, k) for k in range(1, new_rows - bad_rows + 1)]
    rows += [row(BENEFITS, 100 + k, amount="x") for k in range(bad_rows)]
    new = write_csv(tmp_path / "v2" / "b.csv", BENEFITS, rows)
    if refused:
        with pytest.raises(ValidationFailed, match=f"had 10 rows, the new file would leave {new_rows - bad_rows} "):
            import_file(store, BENEFITS, new, key=key)
    else:
        assert import_file(store, BENEFITS, new, key=key).rows_accepted == new_rows - bad_rows


def test_a_folder_import_obeys_the_shrink_rule_too(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """The demo reruns with fewer clients on purpose (allow_shrink); a real folder does not."""
    write_csv(tmp_path / "team.csv", "team", [row("team", k) for k in (1, 2, 3)])
    import_folder(store, tmp_path, key=key)
    write_csv(tmp_path / "team.csv", "team", [row("team", 1)])
    with pytest.raises(ValidationFailed, match="had 3 rows, the new file would leave 1 "):
        import_folder(store, tmp_path, key=key)
    assert [r.rows_accepted for r in import_folder(store, tmp_path, key=key, allow_shrink=True)] == [1]


def test_a_bad_shrink_limit_is_a_configuration_error(
    store: Store, key: PseudonymKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(store, BENEFITS, _benefits(tmp_path / "v1" / "b.csv", range(1, 3)), key=key)
    monkeypatch.setenv("POLKU_SHRINK_LIMIT", "101")
    with pytest.raises(ConfigurationError, match="POLKU_SHRINK_LIMIT is '101'"):
        import_file(store, BENEFITS, _benefits(tmp_path / "v2" / "b.csv", range(1, 2)), key=key)


def test_added_removed_and_changed_are_counted_by_natural_key(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Known example: v1 holds E1-E4; v2 keeps E1 as it was, changes E2's weekly hours,
    drops E3 and E4 and adds E5-E7: 3 added, 2 removed, 1 changed (and E1 unchanged)."""
    v1 = write_csv(tmp_path / "v1" / "w.csv", "employment_spell", [row("employment_spell", k) for k in (1, 2, 3, 4)])
    v2 = write_csv(
        tmp_path / "v2" / "w.csv",
        "employment_spell",
        [row("employment_spell", 1), row("employment_spell", 2, weekly_hours="20")]
        + [row("employment_spell", k) for k in (5, 6, 7)],
    )
    first = import_file(store, "employment_spell", v1, key=key)
    second = import_file(store, "employment_spell", v2, key=key)
    assert (first.changes.added, first.changes.removed, first.changes.changed) == (4, 0, 0)
    assert (second.changes.added, second.changes.removed, second.changes.changed) == (3, 2, 1)
    assert _log(store, first.import_id) == ("imported", 0, 4, 0, 0, first.import_id)
    assert _log(store, second.import_id) == ("replaced", 4, 3, 2, 1, second.import_id)
    again = import_file(store, "employment_spell", v2, key=key)
    assert _log(store, again.import_id) == ("unchanged", 0, 0, 0, 0, second.import_id)


def test_a_moved_line_is_not_a_change(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Only field values count: the same rows in another order (other _line values) change nothing."""
    v1 = write_csv(tmp_path / "v1" / "w.csv", "employment_spell", [row("employment_spell", k) for k in (1, 2, 3)])
    v2 = write_csv(tmp_path / "v2" / "w.csv", "employment_spell", [row("employment_spell", k) for k in (3, 2, 1)])
    import_file(store, "employment_spell", v1, key=key)
    report = import_file(store, "employment_spell", v2, key=key)
    assert (report.status, report.changes.added, report.changes.removed, report.changes.changed) == ("replaced", 0, 0, 0)


def test_rollback_restores_the_exact_previous_rows_and_quarantine(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    v1 = _benefits(tmp_path / "v1" / "b.csv", range(1, 6))
    v1.write_text(v1.read_text(encoding="utf-8") + "B9,too,few\n", encoding="utf-8")
    v2 = _benefits(tmp_path / "v2" / "b.csv", range(3, 9), amount="40.00")
    first = import_file(store, BENEFITS, v1, key=key)
    rows_v1, quarantine_v1 = table_checksum(store, BENEFITS), quarantine_rows(store)
    second = import_file(store, BENEFITS, v2, key=key)
    assert table_checksum(store, BENEFITS) != rows_v1 and quarantine_rows(store) == []
    undone = rollback(store, "b.csv")
    assert table_checksum(store, BENEFITS) == rows_v1
    assert quarantine_rows(store) == quarantine_v1
    assert store.con.execute("SELECT DISTINCT _import_id FROM benefit_spell").fetchall() == [(first.import_id,)]
    assert (undone.status, undone.restored_import_id, undone.rows_replaced, undone.rows_accepted) == (
        "rolled_back",
        first.import_id,
        6,
        5,
    )
    assert (undone.changes.added, undone.changes.removed, undone.changes.changed) == (2, 3, 3)
    assert _log(store, undone.import_id) == ("rolled_back", 6, 2, 3, 3, first.import_id)
    assert f"rolled back: the source's previous version is restored (import {first.import_id})" in undone.render()
    assert table_checksum(store, "history_benefit_spell") == (0, "0")
    assert import_file(store, BENEFITS, v1, key=key).status == "unchanged"
    assert import_file(store, BENEFITS, v2, key=key).status == "replaced"
    assert second.import_id < undone.import_id


def test_rollback_without_a_kept_version_is_refused(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    import_file(store, BENEFITS, _benefits(tmp_path / "b.csv", range(1, 3)), key=key)
    with pytest.raises(UsageError, match="no earlier version of source 'b.csv' in benefit_spell is kept"):
        rollback(store, "b.csv")
    with pytest.raises(UsageError, match="source 'nope.csv' was imported into 0 tables"):
        rollback(store, "nope.csv")


def test_rollback_needs_the_table_when_a_source_feeds_several(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    import_file(store, BENEFITS, _benefits(tmp_path / "a" / "x.csv", range(1, 3)), key=key, source="monthly")
    import_file(store, BENEFITS, _benefits(tmp_path / "b" / "x.csv", range(1, 4)), key=key, source="monthly")
    spells = write_csv(tmp_path / "w.csv", "employment_spell", [row("employment_spell", 1)])
    import_file(store, "employment_spell", spells, key=key, source="monthly")
    with pytest.raises(UsageError, match="imported into 2 tables: benefit_spell, employment_spell"):
        rollback(store, "monthly")
    assert rollback(store, "monthly", table=BENEFITS).rows_accepted == 2


@pytest.mark.parametrize("kept", [0, 1, 2, 3])
def test_the_number_of_versions_kept_is_the_setting(
    store: Store, key: PseudonymKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    monkeypatch.setenv("POLKU_HISTORY_VERSIONS", str(kept))
    ids = [
        import_file(store, BENEFITS, _benefits(tmp_path / f"v{n}" / "b.csv", range(1, 3), amount=f"{n}.00"), key=key).import_id
        for n in range(1, 6)
    ]
    versions = store.con.execute("SELECT import_id FROM history_version ORDER BY import_id").fetchall()
    assert [v for (v,) in versions] == ids[4 - kept : 4]
    assert store.con.execute("SELECT count(DISTINCT _import_id), count(*) FROM history_benefit_spell").fetchall() == [
        (kept, 2 * kept)
    ]
    for version in reversed(ids[4 - kept : 4]):
        assert rollback(store, "b.csv").restored_import_id == version
    with pytest.raises(UsageError, match="no earlier version"):
        rollback(store, "b.csv")


def test_history_tables_keep_the_data_tables_columns(store: Store) -> None:
    """The privacy helper's erase finds a person by the person column in every table: the
    history twins must hold it under the same name and type."""

    def columns(name: str) -> list[tuple[str, str]]:
        return store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [name]
        ).fetchall()

    for name in (*TABLES, "quarantine"):
        assert columns(f"history_{name}") == columns(name)
    assert ("person_id", "UUID") in columns("history_benefit_spell")


def test_a_table_without_a_natural_key_is_compared_as_a_multiset_of_rows() -> None:
    """No table of today's data model lacks a key; the rule is fixed here anyway: a row
    that differs counts as one removed and one added, duplicates count, changed is 0."""
    table = Table("plain", "Plain", "test", (Field("a", "text", "a"), Field("b", "integer", "b")), key=())
    con = duckdb.connect()
    for name, rows in (
        ("old", [("x", 1), ("y", 2), ("y", 2), ("z", None)]),
        ("new", [("x", 1), ("y", 2), ("z", None), ("w", 3), ("x", 5)]),
    ):
        con.execute(f"CREATE TABLE {name} (a VARCHAR, b INTEGER, _source VARCHAR, _import_id BIGINT)")
        con.executemany(f"INSERT INTO {name} VALUES (?, ?, 's', 1)", rows)
    assert history.changes(con, table, "old", "new", "s", (1, 1)) == history.Changes(added=2, removed=1, changed=0)


VARIANTS = {
    "a": [("T1", "A1", "one"), ("T2", "A1", "two")],
    "b": [("T1", "A1", "one"), ("T2", "A2", "two")],
    "c": [("T3", "A1", "three")],
    "d": [("T1", "A1", "one"), ("T2", "A2", "two"), ("T4", "A3", "four")],
}


def _teams(folder: Path, variant: str) -> Path:
    path = folder / variant / "teams.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("team_id,area_id,name\n" + "".join(f"{t},{a},{n}\n" for t, a, n in VARIANTS[variant]), encoding="utf-8")
    return path


def _expected_changes(old: list[tuple[str, str, str]], new: list[tuple[str, str, str]]) -> tuple[int, int, int]:
    before, after = {r[0]: r for r in old}, {r[0]: r for r in new}
    changed = sum(before[k] != after[k] for k in before.keys() & after.keys())
    return len(after.keys() - before.keys()), len(before.keys() - after.keys()), changed


@settings(max_examples=15, deadline=None)
@given(
    kept=st.integers(min_value=0, max_value=3),
    steps=st.lists(st.one_of(st.sampled_from(sorted(VARIANTS)), st.just("rollback")), min_size=1, max_size=8),
)
def test_random_imports_and_rollbacks_keep_the_expected_version(kept: int, steps: list[str]) -> None:
    """Model: the current version and a stack of at most `kept` earlier ones; an import of
    another file pushes, a rollback pops. After every step the table equals the model."""
    key = PseudonymKey(bytes(range(7, 39)), 1)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_HISTORY_VERSIONS", str(kept))
        with open_store(Path(folder) / "store.duckdb") as store:
            current: str | None = None
            stack: list[str] = []
            for step in steps:
                if step == "rollback":
                    if not stack:
                        with pytest.raises(UsageError):
                            rollback(store, "teams", table="team")
                        continue
                    report = rollback(store, "teams", table="team")
                    previous, current = current, stack.pop()
                elif step != current:
                    report = import_file(store, "team", _teams(Path(folder), step), key=key, source="teams", allow_shrink=True)
                    previous, current = current, step
                    if previous is not None:
                        stack = (stack + [previous])[-kept:] if kept else []
                else:
                    assert import_file(store, "team", _teams(Path(folder), step), key=key, source="teams").status == "unchanged"
                    continue
                assert current is not None
                old = VARIANTS[previous] if previous is not None else []
                assert (report.changes.added, report.changes.removed, report.changes.changed) == _expected_changes(
                    old, VARIANTS[current]
                )
                stored = store.con.execute("SELECT team_id, area_id, name FROM team ORDER BY team_id").fetchall()
                assert stored == VARIANTS[current]
