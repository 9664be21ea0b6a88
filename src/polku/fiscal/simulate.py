"""The value of an employment to the public finances: each person-year both unemployed and
employed, and the difference split by payer and by kind.

Unemployed: the year's unemployment benefit for `unemployed_benefit_days` paid days
(default a full year, 12 x 21.5) and the taxes on it, and the housing allowance and basic
social assistance the person received (`housing_allowance_monthly`,
`social_assistance_monthly`, EUR a month; default none). Employed: the wage at the person's
hours (`annual_wage_income`), with the adjusted benefit still paid in the months of
part-time work of at most 80 % of full time (as the unemployment funds and Kela do), and
the taxes and contributions on both, and what work leaves of the housing allowance and
social assistance (`polku.fiscal.rules.household`). The difference, employed minus unemployed, is the
fiscal gain of the employment, reported the way seed 000 reports it: taxes and benefit
savings, with the pension contributions apart (they are public revenue in the national
accounts but also create future pension liabilities).

Who gains (`PAYERS`): the state (state income tax, broadcasting tax), municipalities
(municipal income tax), Kela (health insurance contributions; the basic allowance and
labour market subsidy, the housing allowance and basic social assistance it pays), the
unemployment insurance (the Employment Fund's
contributions; the earnings-related allowance the funds pay) and the pension system
(TyEL contributions). Church tax goes to parishes, outside general government, and is
left out of the sums. Who finances the unemployment benefits saved is given apart:
`benefit_saving_<financer>` (state, municipality, Employment Fund, the funds' members;
`polku.fiscal.rules.financing`), and `gain_municipalities_with_benefit_share` adds the
home municipality's share of the benefits saved to its tax. Housing allowance and social
assistance are not split by financer (docs/fiscal.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from polku.fiscal.legislation import Legislation, legislation
from polku.fiscal.person_year import benefit_type_codes, calculate, numeric_column
from polku.fiscal.rules import run
from polku.fiscal.rules.financing import benefit_financing
from polku.fiscal.rules.household import RULES as HOUSEHOLD
from polku.fiscal.rules.unemployment import BENEFIT_TYPES, monthly_dates, paid_days
from polku.fiscal.wages import FULL_TIME_HOURS

ADJUSTED_UP_TO_SHARE = 0.8
"""Part-time work of at most 80 % of full time keeps the adjusted benefit (Työttömyysturvalaki
4 luku 1 §; the funds' "80 % of the industry's maximum working time")."""

PAYERS = {
    "state": ("state_income_tax", "broadcasting_tax"),
    "municipalities": ("municipal_income_tax",),
    "kela": (
        "health_insurance_medical_care_contribution",
        "health_insurance_daily_allowance_contribution",
        "employer_health_insurance_contribution",
        "-kela_benefit",
        "-housing_allowance",
        "-social_assistance",
    ),
    "unemployment_insurance": (
        "employee_unemployment_insurance_contribution",
        "employer_unemployment_insurance_contribution",
        "-fund_benefit",
    ),
    "pension_system": ("employee_pension_contribution", "employer_pension_contribution"),
}
"""Each payer's lines; a leading '-' marks a payment (its fall is the payer's gain)."""

KINDS = {
    "taxes": (
        "state_income_tax",
        "broadcasting_tax",
        "municipal_income_tax",
        "health_insurance_medical_care_contribution",
        "health_insurance_daily_allowance_contribution",
        "employer_health_insurance_contribution",
        "employee_unemployment_insurance_contribution",
        "employer_unemployment_insurance_contribution",
    ),
    "benefit_savings": ("-kela_benefit", "-fund_benefit", "-housing_allowance", "-social_assistance"),
    "pension_contributions": ("employee_pension_contribution", "employer_pension_contribution"),
}


def simulate(frame: pd.DataFrame, year: int, tree: Legislation | None = None) -> pd.DataFrame:
    """A new frame: per person, both states' public revenue and payments and the gain of
    employment by payer (`gain_<payer>`) and kind (`gain_<kind>`), with the totals
    `gain_without_pension` and `gain_total`."""
    tree = tree or legislation()
    unemployed = frame.assign(
        annual_wage_income=0.0,
        adjusted_benefit_months=0.0,
        unemployment_benefit_days=numeric_column(
            frame, "unemployed_benefit_days", 12 * tree.year(year).unemployment.days_per_month
        ),
    )
    hours = numeric_column(frame, "weekly_hours", FULL_TIME_HOURS)
    types = benefit_type_codes(frame["unemployment_benefit_type"]).to_numpy(float)
    part_time = (hours <= ADJUSTED_UP_TO_SHARE * FULL_TIME_HOURS) & (types > BENEFIT_TYPES["none"])
    employed = frame.assign(unemployment_benefit_days=0.0, adjusted_benefit_months=np.where(part_time, 12.0, 0.0))
    states = {
        "unemployed": _accounts(calculate(unemployed, year, tree), types),
        "employed": _accounts(calculate(employed, year, tree), types),
    }
    _household_benefits(frame, states, year, tree)
    financing = {state: _financing(accounts, types, year, tree) for state, accounts in states.items()}
    out = frame.copy()
    for state, accounts in states.items():
        for column in ("kela_benefit", "fund_benefit", "housing_allowance", "social_assistance", "public_revenue"):
            out[f"{state}_{column}"] = accounts[column].to_numpy()
        out[f"{state}_net_income"] = accounts["net_income"].to_numpy()
    for name, lines in {**PAYERS, **KINDS}.items():
        out[f"gain_{name}"] = _signed_sum(states["employed"], lines) - _signed_sum(states["unemployed"], lines)
    for financer in FINANCERS:
        out[f"benefit_saving_{financer}"] = financing["unemployed"][financer] - financing["employed"][financer]
    out["gain_municipalities_with_benefit_share"] = out["gain_municipalities"] + out["benefit_saving_municipality"]
    out["gain_without_pension"] = out["gain_taxes"] + out["gain_benefit_savings"]
    out["gain_total"] = out["gain_without_pension"] + out["gain_pension_contributions"]
    return out


def _amount_or_average(frame: pd.DataFrame, benefit: str, average: Callable[[str], float]) -> np.ndarray:
    """`<benefit>_monthly` (default 0); where it is 0 and `receives_<benefit>` is set (the
    amount is unknown), Kela's average per recipient household of the year (read only
    then, so a year without an average fails only when it is needed)."""
    amount = numeric_column(frame, f"{benefit}_monthly", 0.0).to_numpy()
    if f"receives_{benefit}" not in frame.columns:
        return amount
    flagged = (numeric_column(frame, f"receives_{benefit}", 0.0).to_numpy() > 0) & (amount == 0)
    return np.where(flagged, average(benefit), amount) if flagged.any() else amount


def _household_benefits(frame: pd.DataFrame, states: dict[str, pd.DataFrame], year: int, tree: Legislation) -> None:
    """Add each state's `housing_allowance` and `social_assistance` for the year: the
    monthly amounts received while unemployed (inputs, default 0) against what a month of
    work leaves of them, under each month's rules (`polku.fiscal.rules.household`)."""
    u, e = states["unemployed"], states["employed"]
    mid_year = tree.on(monthly_dates(year)[6])
    columns = {
        benefit + "_monthly": _amount_or_average(frame, benefit, lambda name: mid_year[f"{name}.average_monthly.all_households"])
        for benefit in ("housing_allowance", "social_assistance")
    }
    columns |= {
        "monthly_earnings": e["annual_wage_income"].to_numpy(float) / 12,
        "unemployed_benefit_monthly": u["unemployment_benefit"].to_numpy(float) / 12,
        "employed_benefit_monthly": e["unemployment_benefit"].to_numpy(float) / 12,
        "unemployed_net_monthly": u["net_income"].to_numpy(float) / 12,
        "employed_net_monthly": e["net_income"].to_numpy(float) / 12,
    }
    months = [run(HOUSEHOLD, dict(columns), tree.on(date)) for date in monthly_dates(year)]
    states["unemployed"] = u.assign(
        housing_allowance=12 * columns["housing_allowance_monthly"], social_assistance=12 * columns["social_assistance_monthly"]
    )
    states["employed"] = e.assign(
        housing_allowance=sum(m["housing_allowance_when_employed"] for m in months),
        social_assistance=sum(m["social_assistance_when_employed"] for m in months),
    )


FINANCERS = ("state", "municipality", "employment_fund", "fund_members")
"""Who finances the unemployment benefits saved (`polku.fiscal.rules.financing`)."""


def _financing(result: pd.DataFrame, types: np.ndarray, year: int, tree: Legislation) -> dict[str, np.ndarray]:
    """Each financer's part of the state's unemployment benefit for the year."""
    p = tree.year(year)
    days = paid_days(
        {
            "benefit_days": numeric_column(result, "unemployment_benefit_days", 0.0).to_numpy(),
            "adjusted_benefit_months": numeric_column(result, "adjusted_benefit_months", 0.0).to_numpy(),
        },
        p,
    )
    return benefit_financing(
        result["unemployment_benefit"].to_numpy(float),
        types,
        numeric_column(result, "benefit_days_used_before", 0.0).to_numpy(),
        days,
        p,
    )


def _accounts(result: pd.DataFrame, types: np.ndarray) -> pd.DataFrame:
    """Who paid the benefit (Kela: basic allowance and labour market subsidy; the funds:
    the earnings-related allowance) and the public revenue of the person-year."""
    earnings_related = types == BENEFIT_TYPES["earnings_related"]
    benefit = result["unemployment_benefit"].to_numpy()
    revenue = _signed_sum(result, KINDS["taxes"] + KINDS["pension_contributions"])
    return result.assign(
        kela_benefit=np.where(earnings_related, 0.0, benefit),
        fund_benefit=np.where(earnings_related, benefit, 0.0),
        public_revenue=revenue,
    )


def _signed_sum(frame: pd.DataFrame, lines: tuple[str, ...]) -> np.ndarray:
    total = np.zeros(len(frame))
    for line in lines:
        sign, name = (-1.0, line[1:]) if line.startswith("-") else (1.0, line)
        total += sign * frame[name].to_numpy(dtype=float)
    return total
