"""Seed 000's case worked with Polku (docs/fiscal.md, section 8): the example's figures,
and the additional employments its published totals correspond to."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from polku.cba import Effect, analyse
from polku.cba.cohort import employed_gain

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "seed_000_employed.csv"


@pytest.fixture(scope="module")
def valued() -> tuple:
    return employed_gain(pd.read_csv(EXAMPLE, dtype={"person_id": str}), 2023)


def test_the_example_is_the_cohort_the_docs_describe(valued: tuple) -> None:
    _, simulated = valued
    assert len(simulated) == 30 and simulated["wage_imputed"].all()
    assert simulated["weekly_hours"].value_counts().to_dict() == {37.5: 12, 25.0: 10, 15.0: 8}
    assert simulated["unemployment_benefit_type"].value_counts().to_dict() == {
        "labour_market_subsidy": 24,
        "basic": 4,
        "earnings_related": 2,
    }
    assert (simulated["housing_allowance_monthly"] > 0).sum() == 18 and (simulated["social_assistance_monthly"] > 0).sum() == 6
    adjusted = simulated["employed_kela_benefit"] + simulated["employed_fund_benefit"]
    # at 25 hours the imputed wages (about 2 200 EUR a month) use the adjusted benefit up; at 15 hours some is left
    assert (adjusted[simulated["weekly_hours"] == 25.0] == 0).all()
    assert (adjusted[simulated["weekly_hours"] == 15.0] > 0).all()
    assert (adjusted[simulated["weekly_hours"] == 37.5] == 0).all()


def test_figures_beside_the_published_ones(valued: tuple) -> None:
    """16 additional employments (62 participants, 14.0 expected) at 13 859 EUR a year each
    against 94 000 EUR: 221 751 (published 243 000), net +127 751 (+149 000); with pension
    contributions 330 088 (375 000), net +236 088 (+281 000)."""
    gain, _ = valued
    result = analyse(62, Effect(16.0, 9.6, 22.4), gain, 94_000)
    assert result.benefit == pytest.approx(221_751, abs=1)
    assert result.net == pytest.approx(127_751, abs=1)
    assert result.benefit_with_pension == pytest.approx(330_088, abs=1)
    assert result.net_with_pension == pytest.approx(236_088, abs=1)
    # the published totals correspond to 17.5 and 18.2 additional employments here
    assert 243_000 / gain.without_pension == pytest.approx(17.53, abs=0.01)
    assert 375_000 / (gain.without_pension + gain.pension) == pytest.approx(18.18, abs=0.01)
