"""GAS levels and weights in the goal table: optional for older files, validated when given,
and mapped from the Finnish export (the generator's levels: tests/synth/test_goal_truth.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.ingest.mapping import load_mapping
from polku.schema.tables import table
from polku.store import Store

KEY = PseudonymKey(bytes(range(32)), 1)
OLD_HEADER = "goal_id,hetu,domain,baseline,target,set_on,due,status"
OLD_ROW = "G{n},010594Y9032,skills,2,4,2023-01-15,2023-06-30,achieved"


def _file(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_an_older_file_without_gas_columns_still_imports(empty_store: Store, tmp_path: Path) -> None:
    report = import_file(empty_store, "goal", _file(tmp_path, "goal.csv", OLD_HEADER, [OLD_ROW.format(n=1)]), key=KEY)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 0)
    assert empty_store.table("goal").select("gas_level", "gas_weight").execute().isna().all().all()


@pytest.mark.parametrize(
    ("level", "weight", "reason"),
    [
        ("3", "1", "above_maximum"),
        ("-3", "1", "below_minimum"),
        ("1.5", "1", "not_an_integer"),
        ("1", "0", "check_gas_weight_positive"),
    ],
)
def test_bad_gas_values_are_quarantined(empty_store: Store, tmp_path: Path, level: str, weight: str, reason: str) -> None:
    rows = [OLD_ROW.format(n=1) + ",0,2.5", OLD_ROW.format(n=2) + f",{level},{weight}"]
    report = import_file(empty_store, "goal", _file(tmp_path, "goal.csv", OLD_HEADER + ",gas_level,gas_weight", rows), key=KEY)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 1)
    assert report.quarantined_by_reason == {reason: 1}
    assert empty_store.table("goal").select("gas_level", "gas_weight").execute().values.tolist() == [[0, 2.5]]


def test_schema_and_finnish_mapping() -> None:
    goal = table("goal")
    assert (goal.field("gas_level").minimum, goal.field("gas_level").maximum, goal.field("gas_level").required) == (-2, 2, False)
    assert not goal.field("gas_weight").required
    mapping = load_mapping(Path(__file__).parents[2] / "src" / "polku" / "ingest" / "mappings" / "finnish_export.yaml")
    columns = mapping.tables["goal"].columns
    assert (columns["gas_taso"], columns["gas_paino"]) == ("gas_level", "gas_weight")


def test_an_older_store_without_gas_columns(tmp_path: Path) -> None:
    """A store made before the GAS fields: read-only it has no GAS figures (and no error);
    opened for writing it gets the columns, empty in its earlier rows."""
    from polku.change import measures
    from polku.store import open_store

    path = tmp_path / "old.duckdb"
    with open_store(path) as store:
        import_file(store, "goal", _file(tmp_path, "goal.csv", OLD_HEADER, [OLD_ROW.format(n=1)]), key=KEY)
        for column in ("gas_level", "gas_weight"):
            store.con.execute(f"ALTER TABLE goal DROP COLUMN {column}")
            store.con.execute(f"ALTER TABLE history_goal DROP COLUMN {column}")
    with open_store(path, read_only=True) as store:
        assert measures.gas_scores(store) is None
        assert len(measures.gas_summary(store)) == 0 and len(measures.gas_levels(store)) == 0
    with open_store(path) as store:
        assert {"gas_level", "gas_weight"} <= set(store.table("goal").columns)
        assert store.table("goal").select("gas_level").execute()["gas_level"].isna().all()
