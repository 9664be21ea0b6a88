"""Who finances the unemployment benefits Kela and the funds pay: state, home municipality,
the Employment Fund and the funds' members.

The payer split of `polku.fiscal.simulate` follows the agencies that pay; a municipal
employment area also needs to know what its own budget saves. By law the home
municipality pays a share of the basic benefits that grows with the person's paid days
(until 2024 only of the labour market subsidy after 300 days; from 2025 of every basic
benefit after 100 days, and of the earnings-related allowance's basic part), the state the
rest of the basic amount, the unemployment fund 5.5 % of an earnings-related allowance
(from members' fees) and the Employment Fund the remainder (`parameters/financing/`).

A year's share is the average over its paid days, counted on from the days paid before
(`benefit_days_used_before`); days of adjusted benefit count as full days.
"""

from __future__ import annotations

import numpy as np

from polku.fiscal.legislation import Scale, Snapshot
from polku.fiscal.rules import positive
from polku.fiscal.rules.unemployment import BENEFIT_TYPES


def average_share(scale: Scale, start: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The mean of a step function of paid days (the scale's rate from each threshold on)
    over the days after `start`, `days` of them (0 where there are none)."""
    start, days = np.asarray(start, dtype=float), np.asarray(days, dtype=float)
    end = start + days
    upper = np.append(scale.thresholds[1:], np.inf)
    overlap = positive(np.minimum(end[:, None], upper) - np.maximum(start[:, None], scale.thresholds))
    return np.divide(overlap @ scale.rates, days, out=np.zeros_like(days), where=days > 0)


def benefit_financing(
    benefit: np.ndarray, benefit_type: np.ndarray, used_before: np.ndarray, days: np.ndarray, p: Snapshot
) -> dict[str, np.ndarray]:
    """Each financer's part of a year's unemployment benefit (`benefit`, EUR) paid over
    `days` paid days: `state`, `municipality`, `employment_fund`, `fund_members`."""
    f = p.financing
    basic_daily = p.unemployment.basic_allowance.daily_amount
    subsidy = benefit_type == BENEFIT_TYPES["labour_market_subsidy"]
    earnings_related = benefit_type == BENEFIT_TYPES["earnings_related"]
    scale_share = np.where(
        subsidy,
        average_share(f.municipal_share.labour_market_subsidy, used_before, days),
        average_share(f.municipal_share.basic_allowance, used_before, days),
    )
    basic_part = np.where(earnings_related, np.minimum(benefit, days * basic_daily), benefit)
    municipality = basic_part * scale_share
    fund_members = np.where(earnings_related, f.unemployment_fund_share * benefit, 0.0)
    employment_fund = np.where(earnings_related, benefit - basic_part - fund_members, 0.0)
    return {
        "state": basic_part - municipality,
        "municipality": municipality,
        "employment_fund": employment_fund,
        "fund_members": fund_members,
    }
