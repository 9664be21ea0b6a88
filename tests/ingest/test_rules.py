"""The SQL twins of the field rules agree with the schema's own definitions."""

from __future__ import annotations

import duckdb
import pytest

from polku.ingest.mapping import load_mapping
from polku.ingest.rules import code_accepts_sql, redacted_sql, value_sql
from polku.schema.codelists import all_codelists
from polku.schema.tables import Field


@pytest.mark.parametrize("name", sorted(all_codelists()))
def test_code_list_sql_agrees_with_codelist_accepts(name: str) -> None:
    codes = all_codelists()[name]
    candidates = [*codes.codes, "999", "12", "1234", "", "Male", "other ", "x'y"]
    rows = duckdb.sql(
        f"SELECT c, {code_accepts_sql('c', name)} FROM (SELECT unnest($c) AS c)", params={"c": candidates}
    ).fetchall()
    assert {c: bool(ok) for c, ok in rows} == {c: codes.accepts(c) for c in candidates}


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("integer", "12", 12),
        ("integer", "-3", -3),
        ("integer", "1.5", None),
        ("integer", "1,0", None),
        ("integer", "1e3", None),
        ("number", "1.25", 1.25),
        ("number", "1,25", None),
        ("number", "nan", None),
        ("number", "1e3", None),
        ("date", "2024-02-29", "2024-02-29"),
        ("date", "2023-02-29", None),
        ("date", "1.3.2024", None),
        ("date", "20240301", None),
        ("boolean", "TRUE", True),
        ("boolean", "false", False),
        ("boolean", "1", None),
    ],
)
def test_conversions_are_strict(kind: str, text: str, expected: object) -> None:
    mapping = load_mapping().for_table("team")
    expression = value_sql(Field("v", kind, "test"), mapping).replace('"_t_v"', "t")
    [(value,)] = duckdb.sql(f"SELECT CAST({expression} AS VARCHAR) FROM (SELECT $t AS t)", params={"t": text}).fetchall()
    assert value == (None if expected is None else str(expected).lower())


def test_money_keeps_cents_and_refuses_rounding() -> None:
    mapping = load_mapping("finnish_export").for_table("service")
    expression = value_sql(Field("v", "money", "test"), mapping).replace('"_t_v"', "t")
    rows = duckdb.sql(
        f"SELECT t, CAST({expression} AS VARCHAR) FROM (SELECT unnest($t) AS t)",
        params={"t": ["12,5", "12,50", "12,345", "12.50", "1 200,00"]},
    ).fetchall()
    assert dict(rows) == {"12,5": "12.50", "12,50": "12.50", "12,345": None, "12.50": None, "1 200,00": None}


def test_redaction_keeps_only_the_format_class() -> None:
    rows = duckdb.sql(
        f"SELECT {redacted_sql('c')} FROM (SELECT unnest($c) AS c)", params={"c": ["131052-308T", "010594y903 ", "12+ä"]}
    ).fetchall()
    assert [r[0] for r in rows] == ["999999-999X", "999999x999x", "99+x"]


def test_values_are_trimmed_of_spaces_and_no_break_spaces() -> None:
    from polku.ingest.rules import trimmed_sql

    rows = duckdb.sql(
        f"SELECT {trimmed_sql('c')} FROM (SELECT unnest($c) AS c)", params={"c": [" a ", "b\u00a0", "c", "d e", ""]}
    ).fetchall()
    assert [r[0] for r in rows] == ["a", "b", "c", "d e", ""]
