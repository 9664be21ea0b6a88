"""The schema is internally consistent and every rule is expressible in the store."""

from __future__ import annotations

import duckdb
import pytest

from polku.schema.codelists import all_codelists, codelist
from polku.schema.tables import IMPORT_ORDER, KINDS, TABLES, table
from polku.store.ddl import column_definitions


def test_every_table_is_imported_once_in_order() -> None:
    assert sorted(IMPORT_ORDER) == sorted(TABLES)


def test_fields_have_known_kinds_and_existing_code_lists() -> None:
    lists = all_codelists()
    for t in TABLES.values():
        for f in t.fields:
            assert f.kind in KINDS, (t.name, f.name)
            assert (f.kind == "code") == (f.codelist is not None), (t.name, f.name)
            if f.codelist:
                assert f.codelist in lists, (t.name, f.name, f.codelist)


def test_keys_are_required_fields() -> None:
    for t in TABLES.values():
        for k in t.key:
            assert t.field(k).required, (t.name, k)


def test_person_keyed_tables_store_key_version_and_lineage() -> None:
    cols = dict(column_definitions(table("employment_spell")))
    assert cols["person_id"] == "UUID"
    assert cols["key_version"] == "INTEGER NOT NULL"
    assert {"_import_id", "_source", "_line"} <= set(cols)
    assert "key_version" not in dict(column_definitions(table("service")))


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="employment_spell"):
        table("employment")


@pytest.mark.parametrize("name", sorted(TABLES))
def test_row_checks_are_valid_sql_over_the_table(name: str) -> None:
    """Each Check condition parses and runs against a table of the schema's columns."""
    t = TABLES[name]
    con = duckdb.connect()
    cols = ", ".join(f"{f.name} {f.sql_type}" for f in t.fields)
    con.execute(f"CREATE TABLE t ({cols})")
    for check in t.checks:
        assert all(c in {f.name for f in t.fields} for c in check.columns)
        con.execute(f"SELECT count(*) FROM t WHERE NOT ({check.condition})").fetchone()


def test_isced_check_accepts_and_rejects_known_cases() -> None:
    check = next(c for c in table("person").checks if c.name == "isced_matches_education_level")
    con = duckdb.connect()
    rows = [("basic", 2, True), ("basic", 3, False), ("upper_secondary", 4, True), ("tertiary", 4, False), ("tertiary", 8, True)]
    for level, isced, expected in rows:
        got = con.execute(
            f"SELECT {check.condition} FROM (SELECT ?::VARCHAR AS education_level, ?::INTEGER AS isced_level)",
            [level, isced],
        ).fetchone()[0]
        assert got is expected, (level, isced)


def test_education_code_list_isced_ranges_cover_0_to_8_without_gaps() -> None:
    attrs = codelist("education_level").attributes
    covered = sorted(i for a in attrs.values() for i in range(a["isced_min"], a["isced_max"] + 1))
    assert covered == list(range(9))
