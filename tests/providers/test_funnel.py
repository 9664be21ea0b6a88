"""Funnel limits against published reference values and independent exact quantiles.

Sources:
- Public Health England's funnel-plot method for proportions, as implemented in the
  PHEindicatormethods R package (`phe_funnels`, R/Funnels.R), whose test table
  tests/testthat/testdata_funnel_prop_outputs.csv (ukhsa-collaboration/PHEindicatormethods,
  commit 63894a99103ffc9e0a3e8a15644200a3abb95669) gives, for a baseline of 80.642448 %,
  the 95 % ("2s0025") and 99.8 % ("3s0001") limits in percent to 6 decimals. Rows copied
  below; tolerance 5e-6 percentage points (half the last printed digit; the baseline's own
  rounding moves a limit by under 5e-7).
- PHE's ratio funnels (tests/testthat/testdata_funnel_ratio_outputs.csv, commit
  8ac28e54249d9b01d586b19d1d1b39f5af3d49ac): for an observed count O, the expected count at
  which O sits on the upper 95 % limit ("upper_2s_exp_events") and on the lower one
  ("lower_2s_exp_events"), and the same at 99.8 % ("3s"); printed to 10 significant
  digits. Our exact ratio limit at that volume must give O back. PHE's values differ from
  the exact chi-square quantiles (scipy.stats.gamma.ppf) by up to 4.7e-5 relative at O = 1
  (99.8 %) and under 4e-6 elsewhere, so the tolerance is 5e-5 relative.
- Independently, the exact Poisson and binomial limits at whole counts must equal scipy's
  quantiles where the continuous limit crosses an integer: P(X >= O_upper) = a/2.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from polku.errors import UsageError
from polku.providers import funnel
from polku.providers.funnel import LEVELS

BASELINE = 80.642448 / 100
# population, lower 95 %, upper 95 %, lower 99.8 %, upper 99.8 % (percent)
PHE_PROPORTION = [
    (1, 3.204264, 100, 0, 100),
    (3, 35.933491, 100, 10.150815, 100),
    (10, 56.154344, 100, 42.03259, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (102, 72.974925, 88.309971, 68.553233, 92.731663),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (9998, 79.867989, 81.416907, 79.421375, 81.863521),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]
# observed, lower_2s_exp_events, upper_2s_exp_events, lower_3s_exp_events, upper_3s_exp_events
PHE_RATIO = [
    (1, 5.571644585, 0.025317898, 9.233410143, 0.001000547),
    (5, 11.6683331, 1.623486324, 16.45474478, 0.739371928),
    (10, 18.39035799, 4.795387629, 24.13397235, 2.960519925),
    (33, 46.34427966, 22.71567629, 54.89565059, 18.04631223),
    (100, 121.6268111, 81.36400699, 134.9243187, 71.92139974),
    (716, 770.4222128, 664.5083011, 802.60414, 636.1521174),
]


@pytest.mark.parametrize(("n", "l95", "u95", "l998", "u998"), PHE_PROPORTION)
def test_proportion_limits_reproduce_phe(n: int, l95: float, u95: float, l998: float, u998: float) -> None:
    """PHE's proportion funnel is the normal limit p0 +/- z sqrt(p0 (1 - p0) / n), cut at 0 and 100 %."""
    for level, (low, high) in ((0.95, (l95, u95)), (0.998, (l998, u998))):
        lower, upper = funnel.limits("proportion", BASELINE, [n], level, method="normal")
        assert 100 * lower[0] == pytest.approx(low, abs=5e-6)
        assert 100 * upper[0] == pytest.approx(high, abs=5e-6)


@pytest.mark.parametrize(("observed", "e_low95", "e_up95", "e_low998", "e_up998"), PHE_RATIO)
def test_ratio_limits_reproduce_phe(observed: int, e_low95: float, e_up95: float, e_low998: float, e_up998: float) -> None:
    """At the tabulated expected count, the exact limit of O/E passes exactly through O."""
    for level, e_lower_side, e_upper_side in ((0.95, e_low95, e_up95), (0.998, e_low998, e_up998)):
        _, upper = funnel.limits("ratio", 1.0, [e_upper_side], level)
        lower, _ = funnel.limits("ratio", 1.0, [e_lower_side], level)
        assert upper[0] * e_upper_side == pytest.approx(observed, rel=5e-5)
        assert lower[0] * e_lower_side == pytest.approx(observed, rel=5e-5)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 400), st.sampled_from([0.95, 0.998]))
def test_exact_poisson_limit_meets_scipy_tail_at_whole_counts(observed: int, level: float) -> None:
    """Independent check: the E at which the upper limit is O is scipy's gamma quantile,
    and there the Poisson tail P(X >= O) is a/2 (scipy.stats.poisson)."""
    a = (1 - level) / 2
    e = stats.gamma.ppf(a, observed)
    _, upper = funnel.limits("ratio", 1.0, [e], level)
    assert upper[0] * e == pytest.approx(observed, rel=1e-7)
    assert stats.poisson.sf(observed - 1, e) == pytest.approx(a, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 300), st.floats(0.05, 0.95))
def test_exact_binomial_limits_bracket_scipy_quantiles(n: int, p0: float) -> None:
    """The exact limits sit within one count of scipy's binomial quantiles at a/2 and 1 - a/2."""
    lower, upper = funnel.limits("proportion", p0, [n], 0.95)
    low_q, high_q = stats.binom.ppf(0.025, n, p0), stats.binom.ppf(0.975, n, p0)
    assert low_q - 1 <= lower[0] * n <= low_q + 1
    assert high_q - 1 <= upper[0] * n <= high_q + 1


def test_exact_and_normal_agree_at_large_volume() -> None:
    lower_e, upper_e = funnel.limits("ratio", 1.0, [20000.0], 0.95)
    lower_n, upper_n = funnel.limits("ratio", 1.0, [20000.0], 0.95, method="normal")
    assert lower_e[0] == pytest.approx(lower_n[0], abs=2e-4)
    assert upper_e[0] == pytest.approx(upper_n[0], abs=2e-4)


def test_no_overdispersion_when_units_vary_by_chance_only() -> None:
    """Units all on target give phi = 0, so I phi <= I - 1: phi is taken as 1 and tau^2 as 0."""
    volume = np.array([50.0, 80, 120, 200, 300])
    found = funnel.estimate_dispersion("ratio", 1.0, np.ones(5), volume, "additive")
    assert found.phi == 1.0 and found.tau2 == 0.0 and not found.adds_spread


def test_additive_overdispersion_by_hand() -> None:
    """Five units, ratio target 1, volumes E = 100 (s_i = 0.1), values 0.7, 0.9, 1.0, 1.1, 1.3:
    z = -3, -1, 0, 1, 3; winsorised at the 10th/90th percentiles (numpy's linear rule: -2.2
    and 2.2) z = -2.2, -1, 0, 1, 2.2, Q = 4.84 + 1 + 0 + 1 + 4.84 = 11.68 on f = 5 - 1 = 4
    degrees of freedom (the target is the units' mean), phi = 11.68 / 4 = 2.92;
    w_i = 100, tau^2 = (11.68 - 4) / (500 - 50000 / 500) = 7.68 / 400 = 0.0192."""
    found = funnel.estimate_dispersion("ratio", 1.0, [0.7, 0.9, 1.0, 1.1, 1.3], [100.0] * 5, "additive")
    assert found.phi == pytest.approx(2.92)
    assert found.tau2 == pytest.approx(0.0192)
    lower, upper = funnel.limits("ratio", 1.0, [100.0], 0.95, dispersion=found)
    half = stats.norm.ppf(0.975) * np.sqrt(0.01 + 0.0192)
    assert (lower[0], upper[0]) == pytest.approx((1 - half, 1 + half))
    multiplicative = funnel.estimate_dispersion("ratio", 1.0, [0.7, 0.9, 1.0, 1.1, 1.3], [100.0] * 5, "multiplicative")
    lower, _ = funnel.limits("ratio", 1.0, [100.0], 0.95, dispersion=multiplicative)
    assert lower[0] == pytest.approx(1 - stats.norm.ppf(0.975) * np.sqrt(2.92) * 0.1)


# Three cells of an area (services), O/E with volume E: cell A four units at E = 100 around
# target 1, cell B two units at E = 50 around target 2, cell C one unit (left out).
POOLED_VALUES = [0.7, 0.9, 1.1, 1.3, 1.6, 2.4, 5.0]
POOLED_VOLUMES = [100.0, 100, 100, 100, 50, 50, 10]
POOLED_TARGETS = [1.0, 1, 1, 1, 2, 2, 5]
POOLED_CELLS = ["A", "A", "A", "A", "B", "B", "C"]


def test_pooled_overdispersion_by_hand() -> None:
    """One tau^2 from two cells with different targets. A: s = sqrt(1 / 100) = 0.1, z = -3, -1,
    1, 3; B: s = sqrt(2 / 50) = 0.2, z = (1.6 - 2) / 0.2 = -2 and 2; C: one unit, no
    information. Over the six z-scores (-3, -2, -1, 1, 2, 3) the 10th and 90th percentiles are
    -2.5 and 2.5 (numpy's linear rule: 0.5 of the way from -3 to -2), so Q = 6.25 + 1 + 1 +
    6.25 + 4 + 4 = 22.5 on f = 6 units - 2 cells = 4, phi = 22.5 / 4 = 5.625. Weights on the
    relative scale w = theta^2 / s^2: A 1 / 0.01 = 100 each (W = 400, sum w^2 / W = 100), B
    4 / 0.04 = 100 each (W = 200, 100); tau^2 = (22.5 - 4) / (300 + 100) = 0.04625. B's 95 %
    limits at E = 50: 2 +/- 1.959964 sqrt(0.04 + 2^2 x 0.04625) = 2 +/- 1.959964 x 0.474342 = 2 +/- 0.929693."""
    pooled = (POOLED_TARGETS, POOLED_VALUES, POOLED_VOLUMES)
    found = funnel.estimate_dispersion("ratio", *pooled, "additive", POOLED_CELLS)
    assert (found.units, found.phi, found.tau2) == (6, pytest.approx(5.625), pytest.approx(0.04625))
    lower, upper = funnel.limits("ratio", 2.0, [50.0], 0.95, dispersion=found)
    assert (lower[0], upper[0]) == pytest.approx((2 - 0.929693, 2 + 0.929693), abs=1e-6)
    multiplicative = funnel.estimate_dispersion("ratio", *pooled, "multiplicative", POOLED_CELLS)
    lower, _ = funnel.limits("ratio", 2.0, [50.0], 0.95, dispersion=multiplicative)
    assert lower[0] == pytest.approx(2 - stats.norm.ppf(0.975) * np.sqrt(5.625) * 0.2)


@st.composite
def area(draw: st.DrawFn) -> tuple[list[float], list[float], list[float], list[int]]:
    """Units in 1 to 4 cells of 2 to 6 units, each cell's target the E-weighted mean of its ratios."""
    values: list[float] = []
    volumes: list[float] = []
    targets: list[float] = []
    cells: list[int] = []
    for cell in range(draw(st.integers(1, 4))):
        size = draw(st.integers(2, 6))
        e = draw(st.lists(st.floats(5, 2000), min_size=size, max_size=size))
        r = draw(st.lists(st.floats(0.05, 5), min_size=size, max_size=size))
        theta = float(np.dot(e, r) / np.sum(e))
        values, volumes, targets, cells = values + r, volumes + e, targets + [theta] * size, cells + [cell] * size
    return values, volumes, targets, cells


@settings(max_examples=60, deadline=None)
@given(area(), st.randoms(use_true_random=False), st.sampled_from(["additive", "multiplicative"]))
def test_pooled_overdispersion_properties(units: tuple, shuffle: object, kind: str) -> None:
    """tau^2 >= 0 and phi >= 1; the same whatever the order of the units; a one-unit cell
    changes nothing; no overdispersion when every unit is on its cell's target."""
    values, volumes, targets, cells = units
    found = funnel.estimate_dispersion("ratio", targets, values, volumes, kind, cells)
    assert found.tau2 >= 0 and found.phi >= 1 and found.units == len(values)
    order = list(range(len(values)))
    shuffle.shuffle(order)  # type: ignore[attr-defined]
    again = funnel.estimate_dispersion(
        "ratio", *([x[i] for i in order] for x in (targets, values, volumes)), kind, [cells[i] for i in order]
    )
    assert (again.phi, again.tau2) == (pytest.approx(found.phi, rel=1e-9), pytest.approx(found.tau2, rel=1e-9, abs=1e-15))
    lonely = funnel.estimate_dispersion("ratio", [*targets, 3.0], [*values, 9.0], [*volumes, 40.0], kind, [*cells, -1])
    assert (lonely.phi, lonely.tau2, lonely.units) == (found.phi, found.tau2, found.units)
    flat = funnel.estimate_dispersion("ratio", targets, targets, volumes, kind, cells)
    assert (flat.phi, flat.tau2) == (1.0, 0.0) and not flat.adds_spread


@settings(max_examples=30, deadline=None)
@given(st.floats(0.5, 500), st.floats(0, 0.2), st.sampled_from(["additive", "multiplicative"]), st.sampled_from(LEVELS))
def test_overdispersion_never_narrows_the_funnel(volume: float, extra: float, kind: str, level: float) -> None:
    """At E = 2 the normal limit with a little tau^2 (1 + 1.96 sqrt(0.5 + tau^2), about 2.39)
    falls inside the skewed exact Poisson one (2.83): the limits with an allowance for
    spread are never inside those of chance alone, at any volume."""
    spread = funnel.Dispersion(kind, 1 + 50 * extra, extra, 10)
    plain_low, plain_up = funnel.limits("ratio", 1.0, [volume], level)
    low, up = funnel.limits("ratio", 1.0, [volume], level, dispersion=spread)
    assert low[0] <= plain_low[0] and up[0] >= plain_up[0]
    _, small = funnel.limits("ratio", 1.0, [2.0], 0.95, dispersion=funnel.Dispersion("additive", 1.0, 1e-4, 10))
    assert small[0] == pytest.approx(funnel.limits("ratio", 1.0, [2.0], 0.95)[1][0]) and small[0] > 2.7


def test_ratings_only_outside_the_rating_limits() -> None:
    placed = funnel.place("ratio", 1.0, [0.5, 1.0, 1.6, 1.25], [100.0, 100.0, 100.0, 100.0])
    assert [p.rating for p in placed] == ["low", "moderate", "high", "moderate"]
    at95 = funnel.place("ratio", 1.0, [1.25], [100.0], rate_at=0.95)
    assert at95[0].rating == "high"  # outside the 95 % limits, inside the 99.8 % ones
    assert placed[3].upper95 < 1.25 < placed[3].upper998


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(UsageError, match="indicator"):
        funnel.limits("rate", 1.0, [10.0])
    with pytest.raises(UsageError, match="overdispersion"):
        funnel.estimate_dispersion("ratio", 1.0, [1.0], [1.0], "both")
    with pytest.raises(UsageError, match="levels"):
        funnel.place("ratio", 1.0, [1.0], [10.0], rate_at=0.9)
