"""Imputed wages for people whose wage is unknown, from Statistics Finland's wage tables.

An employment area sees that a client found work and for how many hours, but often not
the wage (without access to the income register). The fiscal value of the job depends on
the wage, so Polku fills it in from the Structure of Earnings statistics
(`wage_tables/monthly_earnings.yaml`, every figure with its source): the full-time median
of the year x the relative medians of the person's education level, age group and sex,
scaled by hours (a part-time wage is the full-time wage times hours / 37.5).

This is the median of employees *like them*; re-employed job seekers earn less than the
average employee of their group, so the imputed wage tends to be high, and the fiscal
gain with it. Use known wages where there are any, and treat imputed ones as an upper
reference (docs/fiscal.md).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from polku.yamlio import load_yaml

TABLES = Path(__file__).parent / "wage_tables" / "monthly_earnings.yaml"
FULL_TIME_HOURS = 37.5
ISCED = {
    0: "basic",
    1: "basic",
    2: "basic",
    3: "upper_secondary",
    4: "upper_secondary",
    5: "short_cycle_tertiary",
    6: "bachelor",
    7: "master",
    8: "doctoral",
}
COARSE = {"basic": "basic", "upper_secondary": "upper_secondary", "tertiary": "bachelor"}
"""A coarse education level stands for its most common detailed level when ISCED is unknown;
unknown education counts as basic (as the employment services record it)."""


@cache
def tables() -> dict[str, Any]:
    return load_yaml(TABLES.read_text(encoding="utf-8"))


def median_level(year: int) -> float:
    """The full-time median of the latest table year not after `year` (else the earliest)."""
    levels = tables()["levels"]
    earlier = [y for y in levels if y <= year]
    return float(levels[max(earlier) if earlier else min(levels)]["median"])


def _relative(section: str, keys: np.ndarray) -> np.ndarray:
    table = tables()[section]
    return np.array([table["medians"][k] / table["all"] for k in keys], dtype=float)


def full_time_monthly_wage(
    year: int, education_level: np.ndarray, isced_level: np.ndarray, age: np.ndarray, sex: np.ndarray
) -> np.ndarray:
    """Imputed full-time monthly earnings (EUR) per person."""
    isced = np.asarray(isced_level, dtype=float)
    detailed = np.array([ISCED.get(int(i)) if not np.isnan(i) else None for i in isced], dtype=object)
    coarse = np.array([COARSE.get(str(e), "basic") for e in education_level], dtype=object)
    education = np.where(detailed == None, coarse, detailed)  # noqa: E711 - elementwise
    age_table = tables()["age"]["medians"]
    starts = np.array(sorted(age_table))
    age_group = starts[np.clip(np.searchsorted(starts, np.asarray(age, dtype=float), side="right") - 1, 0, len(starts) - 1)]
    sexes = np.array([s if s in ("male", "female") else "all" for s in sex], dtype=object)
    sex_relative = np.where(sexes == "all", 1.0, _relative("sex", np.where(sexes == "all", "male", sexes)))
    return median_level(year) * _relative("education", education) * _relative("age", age_group) * sex_relative


def annual_wage(monthly_full_time: np.ndarray, weekly_hours: np.ndarray, months: float = 12.0) -> np.ndarray:
    """A year's wage at the given weekly hours (holiday bonus not included: conservative)."""
    return np.asarray(monthly_full_time, dtype=float) * months * np.asarray(weekly_hours, dtype=float) / FULL_TIME_HOURS
