from __future__ import annotations

from polku.errors import Location, UsageError, ValidationFailed


def test_error_names_what_where_why_and_fix() -> None:
    error = ValidationFailed(
        "column 'alkupvm' is missing",
        where=Location("export.csv", 1, "alkupvm"),
        why="every spell needs a start date",
        fix="add the column or map it in the mapping file",
    )
    text = str(error)
    assert "export.csv, line 1, column 'alkupvm'" in text
    assert "why:" in text and "fix:" in text
    assert error.exit_code == 1
    assert UsageError("x").exit_code == 2
