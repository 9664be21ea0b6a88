"""The writer's column helpers produce exactly the import format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from polku.synth.csvout import CsvFile, column_names, dates, identifiers, labels, money, numbers


def _write(tmp_path: Path, columns: dict) -> str:
    out = CsvFile(tmp_path / "t.csv", list(columns))
    out.append(columns)
    out.close()
    return (tmp_path / "t.csv").read_text(encoding="utf-8")


def test_money_is_exact_to_the_cent_with_two_decimals(tmp_path: Path) -> None:
    values = np.array([0.1 + 0.2, 1234.5, -0.25, 99999.994999, 0.0])
    text = _write(tmp_path, {"m": money(values), "n": money(values, np.array([1, 1, 1, 1, 0], bool))})
    assert text.splitlines() == ["m,n", "0.30,0.30", "1234.50,1234.50", "-0.25,-0.25", "99999.99,99999.99", "0.00,"]


def test_dates_codes_numbers_and_ids(tmp_path: Path) -> None:
    text = _write(
        tmp_path,
        {
            "d": dates(np.array([18628, -1])),
            "c": labels(("a", "b"), np.array([1, -1])),
            "i": numbers(np.array([3, 4]), np.array([True, False]), integer=True),
            "x": numbers(np.array([37.5, 40.0])),
            "k": identifiers("E", np.array([7, 12345678]), 7),
        },
    )
    assert text.splitlines() == ["d,c,i,x,k", "2021-01-01,b,3,37.5,E0000007", ",,,40,E12345678"]


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    out = CsvFile(tmp_path / "t.csv", ["a", "b"])
    with pytest.raises(ValueError, match="differ"):
        out.append({"b": numbers(np.array([1.0])), "a": numbers(np.array([1.0]))})
    out.close()


def test_identity_column_is_named_hetu() -> None:
    assert column_names("goal")[:2] == ["goal_id", "hetu"]
