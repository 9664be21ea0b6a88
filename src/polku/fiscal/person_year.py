"""One person-year under the year's rules: benefits, taxes, contributions and net income.

The calculator behind `polku fiscal`: a table of people with their wage income and paid
benefit days in a year goes in, the same people with every tax, contribution and benefit
come out. `polku.fiscal.simulate` uses it twice per person (unemployed and employed) to
value an employment.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from polku.errors import Location, UsageError, ValidationFailed
from polku.fiscal.legislation import Legislation, Reading, legislation
from polku.fiscal.rules import run
from polku.fiscal.rules.contributions import EMPLOYER
from polku.fiscal.rules.income_tax import RULES as INCOME_TAX
from polku.fiscal.rules.unemployment import BENEFIT_TYPES, annual_unemployment_benefit, step_down_start

UPPER_BOUNDS = {
    "age": 120,
    "unemployment_benefit_days": 262,
    "adjusted_benefit_months": 12,
    "children": 20,
    "benefit_days_used_before": 2000,
    "single_parent": 1,
    "step_down_applies": 1,
}
"""Largest plausible value per column (a year has at most 262 weekdays to pay a benefit for)."""

PER_CENT = {"municipal_tax_rate": (1.0, 20.0), "church_tax_rate": (0.0, 5.0)}
"""Rate columns, given in per cent as tax cards show them (7.54), with their plausible range."""

REQUIRED = ("person_id", "age", "annual_wage_income", "unemployment_benefit_days", "unemployment_benefit_type")


def _average_municipal_rate(columns: dict[str, Any], year: int, tree: Legislation) -> float:
    return tree.year(year).income_tax.municipal.average_rate


OPTIONAL: dict[str, Any] = {
    "earnings_related_daily_wage_basis": 0.0,
    "municipal_tax_rate": _average_municipal_rate,
    "church_tax_rate": 0.0,
    "children": 0.0,
    "single_parent": 0.0,
    "benefit_days_used_before": 0.0,
    "adjusted_benefit_months": 0.0,  # months of part-time work with an adjusted benefit
    "step_down_applies": lambda columns, year, tree: _step_down_applies(columns, year, tree),  # from the spell's start
    "employer_payroll": 0.0,  # EUR a year; above the threshold the higher unemployment insurance rate
}
"""Optional columns and their defaults: a number, or a function of (the columns so far,
year, parameter tree) for defaults that depend on the year or on other columns."""
OUTPUT = (
    "state_income_tax",
    "municipal_income_tax",
    "church_tax",
    "broadcasting_tax",
    "employee_pension_contribution",
    "employee_unemployment_insurance_contribution",
    "health_insurance_daily_allowance_contribution",
    "health_insurance_medical_care_contribution",
    "employer_pension_contribution",
    "employer_unemployment_insurance_contribution",
    "employer_health_insurance_contribution",
    "unemployment_benefit",
    "net_income",
)
"""Columns `calculate` adds (in this order), each in euros for the year."""


def read_persons(path: Path, option: str = "--persons") -> pd.DataFrame:
    """A persons CSV (`polku fiscal --persons`, `polku cba --employed`) as a frame, or a
    one-line error naming the file: a binary, non-UTF-8 or malformed file is the user's
    data, not a bug. `person_id` stays text, so `007` is not the same person as `7`."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {path}", fix=f"give the persons CSV with {option}.")
    try:
        return pd.read_csv(path, dtype={"person_id": str}, encoding="utf-8", encoding_errors="strict")
    except UnicodeDecodeError as error:
        raise _unreadable(path, f"byte {error.start} is not UTF-8 text") from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError) as error:
        raise _unreadable(path, str(error).splitlines()[0][:200] if str(error) else type(error).__name__) from error


def _unreadable(path: Path, why: str) -> ValidationFailed:
    return ValidationFailed(
        "the persons file is not a readable CSV",
        where=Location(str(path)),
        why=why,
        fix="save it as UTF-8 CSV with a header row (docs/fiscal.md lists the columns).",
    )


def inputs(frame: pd.DataFrame, year: int, tree: Legislation, source: str = "persons") -> dict[str, np.ndarray]:
    """The rules' input columns from a persons table (checked, with documented defaults)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValidationFailed(
            f"the persons table lacks column(s) {missing}", where=Location(source), fix=f"give at least {list(REQUIRED)}"
        )
    types = benefit_type_codes(frame["unemployment_benefit_type"])
    if types.isna().any():
        row = int(np.flatnonzero(types.isna().to_numpy())[0])
        raise ValidationFailed(
            f"unknown unemployment_benefit_type {frame['unemployment_benefit_type'].iloc[row]!r}",
            where=Location(source, row + 2, "unemployment_benefit_type"),
            fix=f"use one of {list(BENEFIT_TYPES)}",
        )
    columns = {
        "age": _numbers(frame, "age", source),
        "wage_income": _numbers(frame, "annual_wage_income", source),
        "benefit_days": _numbers(frame, "unemployment_benefit_days", source),
        "benefit_type": types.to_numpy(dtype=float),
    }
    for name, default in OPTIONAL.items():
        if name in frame.columns:
            columns[name] = _numbers(frame, name, source, allow_missing=True)
            if name in PER_CENT:
                columns[name] = _per_cent(frame, columns[name], name, source)
        else:
            columns[name] = np.full(len(frame), np.nan)
        if callable(default):
            default = default(columns, year, tree)
        columns[name] = np.where(np.isnan(columns[name]), default, columns[name])
    columns["daily_wage"] = columns.pop("earnings_related_daily_wage_basis")
    missing_wage = (columns["benefit_type"] == BENEFIT_TYPES["earnings_related"]) & (columns["daily_wage"] <= 0)
    if missing_wage.any():
        row = int(np.flatnonzero(missing_wage)[0])
        raise ValidationFailed(
            "an earnings-related allowance needs its daily wage",
            where=Location(source, row + 2, "earnings_related_daily_wage_basis"),
            fix="give the fund's daily wage (päiväpalka) in earnings_related_daily_wage_basis",
        )
    return columns


def calculate(
    frame: pd.DataFrame,
    year: int,
    tree: Legislation | None = None,
    source: str = "persons",
    trace: dict[str, list[Reading]] | None = None,
    every_step: bool = False,
) -> pd.DataFrame:
    """`frame` with the `OUTPUT` columns added: the year's benefits, taxes and contributions
    (with `every_step`, also every intermediate line: deductions, taxable income...)."""
    tree = tree or legislation()
    columns = evaluate(inputs(frame, year, tree, source), year, tree, trace)
    names = [n for n in columns if n not in frame.columns] if every_step else OUTPUT
    added = pd.DataFrame({name: columns[name] for name in names}, index=frame.index)
    return pd.concat([frame.drop(columns=[n for n in names if n in frame.columns]), added], axis=1)


def evaluate(
    columns: dict[str, Any], year: int, tree: Legislation, trace: dict[str, list[Reading]] | None = None
) -> dict[str, Any]:
    """Every rule of the year on the input columns (`inputs`); returns them with each
    line added. The benefit comes first because it is taxable income."""
    columns["unemployment_benefit"] = annual_unemployment_benefit(columns, year, tree, trace)
    columns["benefit_income"] = columns["unemployment_benefit"]
    run((*INCOME_TAX, *EMPLOYER), columns, tree.year(year), trace)
    columns["net_income"] = (
        columns["wage_income"]
        + columns["benefit_income"]
        - columns["taxes_withheld"]
        - columns["employee_pension_contribution"]
        - columns["employee_unemployment_insurance_contribution"]
    )
    return columns


def numeric_column(frame: pd.DataFrame, name: str, default: float) -> pd.Series:
    """An optional numeric column of a persons table: numbers, `default` where the column
    or a cell is missing or not a number (for columns `inputs` does not check)."""
    if name not in frame.columns:
        return pd.Series(default, index=frame.index, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").fillna(default).astype(float)


def _step_down_applies(columns: dict[str, Any], year: int, tree: Legislation) -> np.ndarray:
    """1 where the step-down applies: only to spells whose employment condition was met on
    or after the day it came into force (HE 13/2024). Without the column, a spell is taken
    to have begun `benefit_days_used_before` paid days (five a week) before the year."""
    start = np.datetime64(dt.date(year, 1, 1)) - (columns["benefit_days_used_before"] * 7 / 5).astype("timedelta64[D]")
    return (start >= np.datetime64(step_down_start(tree))).astype(float)


def benefit_type_codes(raw: pd.Series) -> pd.Series:
    """`BENEFIT_TYPES` codes (NaN where unknown); an empty cell means none. The plain
    lookup serves a million rows in a tenth of a second; only cells it misses are
    stripped of spaces and looked up again."""
    codes = raw.map(BENEFIT_TYPES)
    missed = codes.isna()
    if missed.any():
        codes[missed] = raw[missed].fillna("none").astype(str).str.strip().map(BENEFIT_TYPES)
    return codes


def _per_cent(frame: pd.DataFrame, values: np.ndarray, column: str, source: str) -> np.ndarray:
    low, high = PER_CENT[column]
    bad = ~np.isnan(values) & ((values < low) | (values > high))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationFailed(
            f"{column} {str(frame[column].iloc[row])!r} is not a rate in per cent between {low:g} and {high:g}",
            where=Location(source, row + 2, column),
            fix="give the rate in per cent, e.g. 7.54 (not 0.0754)",
        )
    return values / 100.0


def _numbers(frame: pd.DataFrame, column: str, source: str, allow_missing: bool = False) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    high = UPPER_BOUNDS.get(column, np.inf)
    bad = (values.isna() & (frame[column].notna() | (not allow_missing))) | (values < 0) | (values > high) | np.isinf(values)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        limit = f"between 0 and {high:g}" if np.isfinite(high) else "a finite number of at least 0"
        raise ValidationFailed(
            f"{column} must be {limit}, not {str(frame[column].iloc[row])!r}", where=Location(source, row + 2, column)
        )
    return values.to_numpy(dtype=float)
