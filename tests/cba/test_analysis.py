"""Cost-benefit analysis: hand-computed point results, the Monte Carlo against its normal
approximation, and the tornado's order."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import norm

from polku.cba import Assumptions, Effect, FiscalGain, analyse, monte_carlo, tornado

EFFECT = Effect(16.0, 8.0, 24.0)
GAIN = FiscalGain(without_pension=15_000.0, pension=4_400.0)
ONE_YEAR = Assumptions(horizon_years=1, wage_uncertainty=0.0)


def test_one_year_by_hand() -> None:
    """16 additional employments x 15 000 EUR = 240 000 against 94 000: net 146 000, ratio
    2.55; with pensions 16 x 19 400 = 310 400, net 216 400; break-even 94 000 / 15 000 =
    6.27 employments; 62 participants: 3 871 EUR of benefit each."""
    r = analyse(62, EFFECT, GAIN, 94_000, ONE_YEAR)
    assert (r.benefit, r.net, r.benefit_with_pension, r.net_with_pension) == (240_000, 146_000, 310_400, 216_400)
    assert r.ratio == pytest.approx(240_000 / 94_000)
    assert r.break_even_employments == pytest.approx(94_000 / 15_000)
    assert r.to_dict()["benefit_per_participant"] == pytest.approx(240_000 / 62)


def test_horizon_discounts_and_decays() -> None:
    """Three years, half the effect left each further year, 3.5 % discount from year 2:
    1 + 0.5 / 1.035 + 0.25 / 1.035^2 = 1.71647; a 20 % optimism haircut on top."""
    a = Assumptions(horizon_years=3, persistence=0.5, discount_rate=0.035, optimism_bias=0.2)
    assert a.present_value_factor() == pytest.approx(1 + 0.5 / 1.035 + 0.25 / 1.035**2)
    assert analyse(62, EFFECT, GAIN, 94_000, a).benefit == pytest.approx(16 * 15_000 * 1.716470 * 0.8, rel=1e-6)


def test_monte_carlo_matches_the_normal_approximation() -> None:
    """With only the effect uncertain, benefits exceed costs when the employments exceed
    6.27: P = Phi((16 - 6.267) / 4.082) = 0.9915 (SE of the effect = interval width / 3.92)."""
    result = monte_carlo(62, EFFECT, GAIN, 94_000, ONE_YEAR, draws=20_000, seed=1)
    expected = norm.cdf((16 - 94_000 / 15_000) / EFFECT.se)
    assert result.probability_benefit_exceeds_cost == pytest.approx(expected, abs=0.004)
    assert result.net_percentiles[50] == pytest.approx(146_000, rel=0.02)
    assert result.probability_with_pension > result.probability_benefit_exceeds_cost


def test_monte_carlo_without_uncertainty_is_the_point_result() -> None:
    certain = monte_carlo(62, Effect(16, 16, 16), GAIN, 94_000, ONE_YEAR, draws=100)
    assert certain.probability_benefit_exceeds_cost == 1.0
    assert certain.net_percentiles[5] == pytest.approx(146_000) == certain.net_percentiles[95]


def test_tornado_puts_the_widest_swing_first() -> None:
    bars = tornado(62, EFFECT, GAIN, 94_000, ONE_YEAR)
    assert bars[0].name.startswith("additional employments")
    assert bars[0].net_at_low == pytest.approx(8 * 15_000 - 94_000)
    assert bars[0].net_at_high == pytest.approx(24 * 15_000 - 94_000)
    assert [b.swing for b in bars] == sorted((b.swing for b in bars), reverse=True)


def test_gain_from_a_simulation_and_effect_from_a_rate() -> None:
    simulated = pd.DataFrame({"gain_without_pension": [10_000.0, 20_000.0], "gain_pension_contributions": [3_000.0, 5_000.0]})
    gain = FiscalGain.from_simulation(simulated)
    assert (gain.without_pension, gain.pension) == (15_000, 4_000)
    assert gain.se_without_pension == pytest.approx(5_000.0)  # sd 7 071 / sqrt(2)
    assert Effect.from_rate(62, 0.25, 0.10, 0.40) == Effect(15.5, 6.2, 24.8)
    with pytest.raises(ValueError, match="persistence"):
        Assumptions(persistence=1.5)


def test_optimism_bias_never_flatters_a_negative_effect() -> None:
    """A haircut shrinks a gain and deepens a loss: -10 employments x 15 000 = -150 000,
    with a 40 % optimism bias -210 000 (not -90 000)."""
    a = Assumptions(horizon_years=1, optimism_bias=0.4, wage_uncertainty=0.0)
    assert analyse(62, Effect(-10, -15, -5), GAIN, 94_000, a).benefit == pytest.approx(-210_000)
    assert analyse(62, EFFECT, GAIN, 94_000, a).benefit == pytest.approx(16 * 15_000 * 0.6)
    bar = next(b for b in tornado(62, Effect(-10, -15, -5), GAIN, 94_000, a) if b.key == "optimism_bias")
    assert bar.net_at_high < bar.net_at_low


def test_break_even_does_not_depend_on_the_effect() -> None:
    for effect in (EFFECT, Effect(0.0, -5.0, 5.0), Effect(-3.0, -8.0, 2.0)):
        assert analyse(62, effect, GAIN, 94_000, ONE_YEAR).break_even_employments == pytest.approx(94_000 / 15_000)


def test_monte_carlo_follows_the_chosen_persistence() -> None:
    """Over three years the draws centre on the persistence chosen, not on the middle of
    its range (Beta draws, skewed near the ends): the median net is within 5 % of the point result."""
    high, low = (Assumptions(horizon_years=3, persistence=p, wage_uncertainty=0.0) for p in (0.9, 0.1))
    mc_high = monte_carlo(62, Effect(16, 16, 16), GAIN, 94_000, high, draws=20_000)
    mc_low = monte_carlo(62, Effect(16, 16, 16), GAIN, 94_000, low, draws=20_000)
    assert mc_high.net_percentiles[50] == pytest.approx(analyse(62, EFFECT, GAIN, 94_000, high).net, rel=0.05)
    assert mc_low.net_percentiles[50] == pytest.approx(analyse(62, EFFECT, GAIN, 94_000, low).net, rel=0.05)
