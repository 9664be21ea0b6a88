"""The parameter tree: every shipped file validates, dates are honoured, bad files are named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from polku.errors import ValidationFailed
from polku.fiscal.legislation import Legislation, ParameterNotInForce, legislation

GOOD = """\
description: A test amount
unit: EUR/year
reference:
  2024-01-01:
    - {title: A law, href: "https://example.org/law"}
values:
  2024-01-01: {value: 100}
  2024-04-01: {value: 0, note: abolished}
last_value_still_valid_on: 2025-12-31
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> Legislation:
    for name, text in files.items():
        path = tmp_path.joinpath(*name.split(".")).with_suffix(".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Legislation.load(tmp_path)


def test_shipped_tree_loads_and_covers_2023_to_2026() -> None:
    """Every parameter holds to the end of 2026; those in force before 2023 cover 2023 on
    (a few, like yleistuki's other-income limit, begin within the period)."""
    tree = legislation()
    assert len(tree.parameters) >= 60
    for name, parameter in tree.parameters.items():
        assert parameter.last_value_still_valid_on >= dt.date(2026, 12, 31), name
        for year in (2023, 2024, 2025, 2026):
            date = max(dt.date(year, 1, 1), parameter.values[0].start)
            tree.on(date)[name]  # raises ParameterNotInForce when a year is missing
            assert parameter.references_on(date), name
    assert sum(p.values[0].start <= dt.date(2023, 1, 1) for p in tree.parameters.values()) >= 0.9 * len(tree.parameters)


def test_value_holds_from_its_date_until_the_next(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"benefit.amount": GOOD})
    assert tree.on("2024-03-31").benefit.amount == 100
    assert tree.on("2024-04-01").benefit.amount == 0
    assert tree.on("2025-12-31")["benefit.amount"] == 0


def test_asking_before_the_first_date_or_after_validity_raises(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"benefit.amount": GOOD})
    with pytest.raises(ParameterNotInForce, match="no value on 2023-12-31"):
        _ = tree.on("2023-12-31").benefit.amount
    with pytest.raises(ParameterNotInForce, match="2026-01-01"):
        _ = tree.year(2026).benefit.amount


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (GOOD.replace("EUR/year", "euros"), "unit 'euros' is not one of"),
        (GOOD.replace("{value: 100}", "{value: -1}"), "must not be negative"),
        (GOOD.replace("{value: 100}", "{value: '100'}"), "must be a finite number"),
        (GOOD.replace("{value: 100}", "{value: .inf}"), "must be a finite number"),
        (
            GOOD.replace("unit: EUR/year", "unit: EUR/year: x"),
            r"not valid YAML: mapping values are not allowed in this context\n  in \"amount.yaml\", line 2",
        ),
        (GOOD.replace("{value: 100}", "100"), "must be a mapping with 'value'"),
        (GOOD.replace("2024-01-01:\n    - {title", "2024-02-01:\n    - {title"), "has no reference dated on or before it"),
        (GOOD.replace("2025-12-31", "2024-01-31"), "is before the last value's date"),
        (GOOD.replace('href: "https://example.org/law"', "href: ''"), "needs a title and an href"),
        (GOOD.replace("description: A test amount\n", ""), "missing 'description'"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path: Path, bad: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        _tree(tmp_path, {"benefit.amount": bad})
    assert "amount.yaml" in str(caught.value)


def test_share_outside_zero_to_one_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match=r"share must lie in \[0, 1\]"):
        _tree(tmp_path, {"tax.rate": GOOD.replace("EUR/year", "/1").replace("{value: 100}", "{value: 7.54}")})


def test_scale_gives_the_published_tax_at_each_threshold() -> None:
    """2025 state income tax at the lower bound of each bracket, as published with the
    scale (fiscal-parameters.md 1.1 row 1: 2 679.68, 4 636.68, 10 868.18, 23 142.18,
    48 943.68)."""
    scale = legislation().year(2025).income_tax.state.scale
    tax = scale.calc(np.array([0, 21_200, 31_500, 52_100, 88_200, 150_000, -5]))
    np.testing.assert_allclose(tax, [0, 2679.68, 4636.68, 10868.18, 23142.18, 48943.68, 0], atol=0.005)


def test_scale_thresholds_must_rise(tmp_path: Path) -> None:
    text = (
        GOOD.replace("unit: EUR/year", "unit: scale")
        .replace("{value: 100}", "{value: [{threshold: 0, rate: 0.1}, {threshold: 0, rate: 0.2}]}")
        .replace("{value: 0, note: abolished}", "{value: [{threshold: 0, rate: 0.1}]}")
    )
    with pytest.raises(ValidationFailed, match="must start at 0 and rise"):
        _tree(tmp_path, {"tax.scale": text})
