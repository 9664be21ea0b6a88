"""The fiscal gain of a cohort's employments, from a table of the employed participants.

Each row is a participant who found work: the benefit they were on before (type, daily
wage), their age, children and municipality's rate as for `polku fiscal`, and the job's
`weekly_hours` and `annual_wage_income`. Where the wage is missing it is imputed from
Statistics Finland's tables (`polku.fiscal.wages`) by `education_level` (with
`isced_level` when known), age and `sex`, at the job's hours. Each row is then valued by
`polku.fiscal.simulate` (a year unemployed against a year in that job) and the mean gain is
the gain of one additional employment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cba.analysis import FiscalGain
from polku.errors import Location, ValidationFailed
from polku.fiscal.person_year import numeric_column
from polku.fiscal.simulate import simulate
from polku.fiscal.wages import FULL_TIME_HOURS, annual_wage, full_time_monthly_wage


def with_wages(frame: pd.DataFrame, year: int, source: str = "employed") -> pd.DataFrame:
    """`frame` with `annual_wage_income` filled where missing (and `wage_imputed` 0/1)."""
    hours = numeric_column(frame, "weekly_hours", FULL_TIME_HOURS)
    wage = numeric_column(frame, "annual_wage_income", np.nan)
    missing = wage.isna().to_numpy()
    if missing.any():
        for column in ("education_level", "sex", "age"):
            if column not in frame.columns:
                raise ValidationFailed(
                    f"wages are missing and cannot be imputed without the column '{column}'",
                    where=Location(source),
                    fix="give annual_wage_income, or education_level, sex and age",
                )
        rows = frame[missing]
        isced = numeric_column(rows, "isced_level", np.nan).to_numpy()
        monthly = full_time_monthly_wage(
            year,
            rows["education_level"].astype(str).to_numpy(),
            isced,
            pd.to_numeric(rows["age"]).to_numpy(float),
            rows["sex"].astype(str).to_numpy(),
        )
        wage[missing] = annual_wage(monthly, hours[missing].to_numpy())
    return frame.assign(annual_wage_income=wage.to_numpy(float), wage_imputed=missing.astype(int))


def employed_gain(frame: pd.DataFrame, year: int, source: str = "employed") -> tuple[FiscalGain, pd.DataFrame]:
    """The mean annual fiscal gain of one employment over the employed participants, and
    their simulated rows (for the breakdown by payer)."""
    if frame.empty:
        raise ValidationFailed("no employed participants to value", where=Location(source))
    simulated = simulate(with_wages(frame, year, source), year)
    return FiscalGain.from_simulation(simulated), simulated


def gain_by_payer(simulated: pd.DataFrame) -> dict[str, float]:
    """The mean gain of one employment by payer and by kind (the `gain_*` columns of a
    `simulate` result, totals left out), and the benefit saving by financer."""
    return {
        c.removeprefix("gain_"): float(simulated[c].mean())
        for c in simulated.columns
        if c.startswith(("gain_", "benefit_saving_")) and c not in ("gain_total", "gain_without_pension")
    }
