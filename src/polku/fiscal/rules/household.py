"""Housing allowance and basic social assistance when an unemployed person starts work.

Both are household benefits, decided on the household's housing costs, members and
income; an employment area does not hold those. What it can hold (and the synthetic area
has, from Kela's records) is what the person received while unemployed. Polku takes that
amount as given and computes what a month of work leaves of it, from the rules' slopes
rather than their full formulas:

- general housing allowance (yleinen asumistuki): the allowance falls by the
  reimbursement rate x the own-share rate of each euro of gross monthly income gained
  (earnings above the disregard, plus any change in taxable benefits): 0.7 x 0.5 = 35 cents
  a euro from April 2024. Exact while the household's income stays in the zone where the
  own share grows (above the income that gives the full allowance), as it is for a single
  person on the basic unemployment benefit (800 EUR a month against 761 in 2025);
- basic social assistance (perustoimeentulotuki): the last resort tops net income up to
  the household's need, so it falls by each euro of net income and housing allowance
  gained, except the earned-income disregard (150 EUR a month of earnings until February
  2026).

Both are tax-free. Columns: `housing_allowance_monthly` and `social_assistance_monthly`
(while unemployed), `monthly_earnings`, and the two states' `*_gross_monthly` and
`*_net_monthly` incomes.
"""

from __future__ import annotations

import numpy as np

from polku.fiscal.legislation import Snapshot
from polku.fiscal.rules import Columns, Rule, positive


def housing_allowance_when_employed(c: Columns, p: Snapshot) -> np.ndarray:
    """Housing allowance in a month of work: the unemployed month's allowance less
    reimbursement rate x own-share rate x the gross monthly income gained."""
    h = p.housing_allowance
    counted_earnings = positive(c["monthly_earnings"] - h.earnings_disregard)
    gained = counted_earnings + c["employed_benefit_monthly"] - c["unemployed_benefit_monthly"]
    return positive(c["housing_allowance_monthly"] - h.reimbursement_rate * h.own_share_rate * positive(gained))


def social_assistance_when_employed(c: Columns, p: Snapshot) -> np.ndarray:
    """Basic social assistance in a month of work: the unemployed month's assistance less
    the net income and housing allowance gained, the earned-income disregard excepted."""
    d = p.social_assistance.earned_income_disregard
    disregard = np.minimum(d.maximum, d.share * c["monthly_earnings"])
    gained = (
        c["employed_net_monthly"]
        - c["unemployed_net_monthly"]
        + c["housing_allowance_when_employed"]
        - c["housing_allowance_monthly"]
    )
    return positive(c["social_assistance_monthly"] - positive(gained - disregard))


RULES = (
    Rule("housing_allowance_when_employed", housing_allowance_when_employed, "Laki yleisestä asumistuesta 938/2014"),
    Rule("social_assistance_when_employed", social_assistance_when_employed, "Laki toimeentulotuesta 1412/1997, 11 §"),
)
