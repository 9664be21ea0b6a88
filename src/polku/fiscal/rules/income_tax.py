"""Income taxes on earned income (ansiotulo) of a mainland-Finland resident, for a tax year.

The order is the law's (fiscal-parameters.md 2.1, which reproduces the Tax Administration's
2026 worked examples to the cent):

1. net earned income = wages + taxable benefits - income-acquisition deduction;
2. minus the employee contributions (deductible) and, in 2023-2024, the earned income
   deduction, gives the base of the basic deduction;
3. minus the basic deduction gives taxable earned income, one base for the state scale,
   the municipal and church tax and the medical-care contribution (since 2023 the basic
   and earned income deductions are made in state taxation too);
4. the work income credit is deducted from the state tax first and any excess from the
   municipal tax, church tax and medical-care contribution in proportion;
5. the public broadcasting tax is computed on net earned income.

Inputs per person: `age` (at the end of the tax year, as the law counts the broadcasting
tax's 18 years), `wage_income` and `benefit_income` (EUR a year; unemployment
benefits are taxable earned income), `municipal_tax_rate` and `church_tax_rate` (shares;
0 for a person outside the church), `children` (minors) and `single_parent` (0/1).
Capital income, travel and other claimed deductions are out of scope: the people Polku
accounts for are job seekers and the fiscal difference their employment makes.
"""

from __future__ import annotations

import numpy as np

from polku.fiscal.legislation import Snapshot
from polku.fiscal.rules import Columns, Rule, positive
from polku.fiscal.rules.contributions import EMPLOYEE


def income_acquisition_deduction(c: Columns, p: Snapshot) -> np.ndarray:
    """Income-acquisition deduction (tulonhankkimisvähennys), from wages only."""
    return np.minimum(p.deductions.income_acquisition.maximum, c["wage_income"])


def net_earned_income(c: Columns, p: Snapshot) -> np.ndarray:
    """Net earned income (puhdas ansiotulo): wages and benefits less the deduction."""
    return c["wage_income"] + c["benefit_income"] - c["income_acquisition_deduction"]


def earned_income_deduction(c: Columns, p: Snapshot) -> np.ndarray:
    """Earned income deduction (ansiotulovähennys; 0 from 2025, when it was abolished):
    a share of wages between two limits, phased out with net earned income."""
    d = p.deductions.earned_income
    wage = c["wage_income"]
    accrued = d.rate_below_upper * np.clip(wage - d.lower_limit, 0.0, d.upper_limit - d.lower_limit)
    accrued += d.rate_above_upper * positive(wage - d.upper_limit)
    return positive(np.minimum(accrued, d.maximum) - d.phase_out_rate * positive(c["net_earned_income"] - d.phase_out_start))


def basic_deduction_base(c: Columns, p: Snapshot) -> np.ndarray:
    """Net earned income less the employee contributions and the earned income deduction."""
    contributions = sum(c[rule.name] for rule in EMPLOYEE)
    return positive(c["net_earned_income"] - contributions - c["earned_income_deduction"])


def basic_deduction(c: Columns, p: Snapshot) -> np.ndarray:
    """Basic deduction (perusvähennys): the maximum, less a share of the base above it."""
    d = p.deductions.basic
    base = c["basic_deduction_base"]
    return np.minimum(base, positive(d.maximum - d.phase_out_rate * positive(base - d.maximum)))


def taxable_earned_income(c: Columns, p: Snapshot) -> np.ndarray:
    """Taxable earned income: the base of state, municipal and church tax."""
    return c["basic_deduction_base"] - c["basic_deduction"]


def state_tax_before_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """State income tax by the year's scale, before the work income credit."""
    return p.income_tax.state.scale.calc(c["taxable_earned_income"])


def municipal_tax_before_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """Municipal income tax at the person's municipality's rate, before the credit."""
    return c["municipal_tax_rate"] * c["taxable_earned_income"]


def church_tax_before_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """Church tax at the person's parish rate (0 outside the church), before the credit."""
    return c["church_tax_rate"] * c["taxable_earned_income"]


def medical_care_contribution_before_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """Health insurance medical-care contribution (sairaanhoitomaksu): the wage rate on the
    wage share of taxable income, the higher rate on the benefit share (shares in
    proportion to gross income; exact for wage-only and benefit-only people)."""
    m = p.contributions.employee.health_medical_care
    gross = c["wage_income"] + c["benefit_income"]
    benefit_share = np.divide(c["benefit_income"], gross, out=np.zeros_like(gross, dtype=float), where=gross > 0)
    return c["taxable_earned_income"] * (m.wage_rate + (m.other_income_rate - m.wage_rate) * benefit_share)


def work_income_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """Work income credit (työtulovähennys): a share of wages up to a maximum (raised per
    minor child, doubled for a single parent, higher at 65 or over), phased out with net
    earned income (benefits included) in one or two steps."""
    w = p.work_income_credit
    children = c["children"] * w.child_increase * np.where(c["single_parent"] > 0, w.single_parent_factor, 1.0)
    # `age` is the age at the end of the tax year; the higher maximum needs the age reached before it began
    maximum = np.where(c["age"] - 1 >= w.higher_maximum_from_age, w.maximum_65_or_over, w.maximum) + children
    income = c["net_earned_income"]
    phase_out = w.phase_out_rate * positive(np.minimum(income, w.second_phase_out_start) - w.phase_out_start)
    phase_out += w.second_phase_out_rate * positive(income - w.second_phase_out_start)
    return positive(np.minimum(w.rate * c["wage_income"], maximum) - phase_out)


def share_left_after_credit(c: Columns, p: Snapshot) -> np.ndarray:
    """Share (0-1) of the municipal tax, church tax and medical-care contribution left
    after the part of the work income credit the state tax could not absorb."""
    excess = positive(c["work_income_credit"] - c["state_tax_before_credit"])
    others = c["municipal_tax_before_credit"] + c["church_tax_before_credit"] + c["medical_care_contribution_before_credit"]
    used = np.divide(excess, others, out=np.zeros_like(others, dtype=float), where=others > 0)
    return 1.0 - np.minimum(used, 1.0)


def state_income_tax(c: Columns, p: Snapshot) -> np.ndarray:
    """State income tax after the work income credit."""
    return positive(c["state_tax_before_credit"] - c["work_income_credit"])


def municipal_income_tax(c: Columns, p: Snapshot) -> np.ndarray:
    """Municipal income tax after its share of the work income credit."""
    return c["municipal_tax_before_credit"] * c["share_left_after_credit"]


def church_tax(c: Columns, p: Snapshot) -> np.ndarray:
    """Church tax after its share of the work income credit."""
    return c["church_tax_before_credit"] * c["share_left_after_credit"]


def health_insurance_medical_care_contribution(c: Columns, p: Snapshot) -> np.ndarray:
    """Medical-care contribution after its share of the work income credit."""
    return c["medical_care_contribution_before_credit"] * c["share_left_after_credit"]


def broadcasting_tax(c: Columns, p: Snapshot) -> np.ndarray:
    """Public broadcasting tax (Yle-vero) on net earned income above the limit, up to the
    maximum, from age 18."""
    b = p.income_tax.broadcasting
    tax = np.minimum(b.maximum, b.rate * positive(c["net_earned_income"] - b.income_limit))
    return np.where(c["age"] >= b.minimum_age, tax, 0.0)


def taxes_withheld(c: Columns, p: Snapshot) -> np.ndarray:
    """Taxes on the tax card: state, municipal and church tax, both health insurance
    contributions and the broadcasting tax (the Tax Administration's "tax" in its
    examples; the pension and unemployment insurance contributions are withheld apart)."""
    return (
        c["state_income_tax"]
        + c["municipal_income_tax"]
        + c["church_tax"]
        + c["health_insurance_medical_care_contribution"]
        + c["health_insurance_daily_allowance_contribution"]
        + c["broadcasting_tax"]
    )


TVL = "Tuloverolaki 1535/1992"
RULES = (
    Rule("income_acquisition_deduction", income_acquisition_deduction, f"{TVL}, 95 §"),
    Rule("net_earned_income", net_earned_income, f"{TVL}, 30 §"),
    *EMPLOYEE,
    Rule("earned_income_deduction", earned_income_deduction, f"{TVL}, 105 a § (repealed from 2025)"),
    Rule("basic_deduction_base", basic_deduction_base, f"{TVL}, 96 §"),
    Rule("basic_deduction", basic_deduction, f"{TVL}, 106 §"),
    Rule("taxable_earned_income", taxable_earned_income, TVL),
    Rule("state_tax_before_credit", state_tax_before_credit, "Tuloveroasteikkolaki of the year"),
    Rule("municipal_tax_before_credit", municipal_tax_before_credit, "Kunnallisverolaki; the municipality's rate"),
    Rule("church_tax_before_credit", church_tax_before_credit, "Kirkkolaki; the parish's rate"),
    Rule(
        "medical_care_contribution_before_credit",
        medical_care_contribution_before_credit,
        "Sairausvakuutuslaki 1224/2004, ch. 18",
    ),
    Rule("work_income_credit", work_income_credit, f"{TVL}, 125 §"),
    Rule("share_left_after_credit", share_left_after_credit, f"{TVL}, 125 §"),
    Rule("state_income_tax", state_income_tax, f"{TVL}, 125 §"),
    Rule("municipal_income_tax", municipal_income_tax, f"{TVL}, 125 §"),
    Rule("church_tax", church_tax, f"{TVL}, 125 §"),
    Rule("health_insurance_medical_care_contribution", health_insurance_medical_care_contribution, f"{TVL}, 125 §"),
    Rule("broadcasting_tax", broadcasting_tax, "Laki Yleisradioverosta 484/2012"),
    Rule("taxes_withheld", taxes_withheld, "Ennakkoperintälaki 1118/1996"),
)
