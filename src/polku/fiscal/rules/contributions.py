"""Statutory social insurance contributions on wages, employee's and employer's share.

Employee contributions are withheld from the wage and are deductible in taxation
(`income_tax`); employer contributions come on top of the wage. All are general-government
revenue in Finnish national accounts (the pension institutions, the Employment Fund and
Kela's health insurance fund belong to the social security funds), which is why the
fiscal accounts count them; employer accident and group life insurance go to private
insurers and are left out (fiscal-parameters.md 2.2).
"""

from __future__ import annotations

import numpy as np

from polku.fiscal.legislation import Snapshot
from polku.fiscal.rules import Columns, Rule, between


def employee_pension_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Employee's earnings-related pension contribution (työntekijän työeläkemaksu, TyEL)."""
    e = p.contributions.employee.pension
    rate = np.where(between(c["age"], e.higher_rate_from_age, e.higher_rate_to_age), e.rate_53_to_62, e.rate)
    return np.where(between(c["age"], e.minimum_age, e.maximum_age), rate * c["wage_income"], 0.0)


def employee_unemployment_insurance_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Employee's unemployment insurance contribution (palkansaajan työttömyysvakuutusmaksu)."""
    e = p.contributions.employee.unemployment_insurance
    return np.where(between(c["age"], e.minimum_age, e.maximum_age), e.rate * c["wage_income"], 0.0)


def health_insurance_daily_allowance_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Health insurance daily-allowance contribution (päivärahamaksu): the whole wage once
    the year's wage reaches the income limit, nothing below it (a cliff, not a threshold)."""
    e = p.contributions.employee.health_daily_allowance
    due = between(c["age"], e.minimum_age, e.maximum_age) & (c["wage_income"] >= e.income_limit)
    return np.where(due, e.rate * c["wage_income"], 0.0)


def employer_pension_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Employer's TyEL contribution at the average rate (the actual rate is set per employer)."""
    e = p.contributions.employee.pension
    return np.where(
        between(c["age"], e.minimum_age, e.maximum_age), p.contributions.employer.pension.average_rate * c["wage_income"], 0.0
    )


def employer_unemployment_insurance_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Employer's unemployment insurance contribution: the lower rate for an employer whose
    payroll (`employer_payroll`, EUR a year; 0 when unknown) stays under the threshold, the
    higher rate on this wage when the payroll is above it (the wage then falls in the part
    of the payroll above the threshold)."""
    e = p.contributions.employee.unemployment_insurance
    u = p.contributions.employer.unemployment_insurance
    rate = np.where(c["employer_payroll"] > u.payroll_threshold, u.higher_rate, u.lower_rate)
    return np.where(between(c["age"], e.minimum_age, e.maximum_age), rate * c["wage_income"], 0.0)


def employer_health_insurance_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Employer's health insurance contribution (työnantajan sairausvakuutusmaksu)."""
    e = p.contributions.employee.health_daily_allowance
    return np.where(
        between(c["age"], e.minimum_age, e.maximum_age), p.contributions.employer.health_insurance.rate * c["wage_income"], 0.0
    )


EMPLOYEE = (
    Rule("employee_pension_contribution", employee_pension_contribution, "Työntekijän eläkelaki 395/2006 (contribution)"),
    Rule(
        "employee_unemployment_insurance_contribution",
        employee_unemployment_insurance_contribution,
        "Laki työttömyysetuuksien rahoituksesta 555/1998",
    ),
    Rule(
        "health_insurance_daily_allowance_contribution",
        health_insurance_daily_allowance_contribution,
        "Sairausvakuutuslaki 1224/2004, ch. 18 (insured persons' contributions)",
    ),
)
EMPLOYER = (
    Rule("employer_pension_contribution", employer_pension_contribution, "Työntekijän eläkelaki 395/2006 (contribution)"),
    Rule(
        "employer_unemployment_insurance_contribution",
        employer_unemployment_insurance_contribution,
        "Laki työttömyysetuuksien rahoituksesta 555/1998",
    ),
    Rule(
        "employer_health_insurance_contribution",
        employer_health_insurance_contribution,
        "Sairausvakuutuslaki 1224/2004, ch. 18 (employer's contribution)",
    ),
)

RULES = (*EMPLOYEE, *EMPLOYER)
"""Every contribution rule (for the sentence-style test cases)."""
