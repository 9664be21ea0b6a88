"""Estimators against hand-computed cases, real experimental benchmarks and simulated coverage."""

from __future__ import annotations

import numpy as np
import pytest
from impact_data import confounded
from sklearn.base import BaseEstimator, ClassifierMixin

from polku.impact import AIPW, IPW, Matching
from polku.impact.balance import balance_table, kish_ess
from polku.impact.matching import _own_group_variance
from polku.impact.propensity import trimming_mask
from polku.impact.weighting import _ratio_ate, _ratio_att

EXPERIMENTAL_ATT = 1794.0  # Dehejia and Wahba (1999): NSW treated minus randomised controls, re78


def test_ipw_att_by_hand() -> None:
    """Two participants (y 10, 14) and three comparison units with e = 0.5, 0.2, 0.8:
    weights e/(1-e) = 1, 0.25, 4, so the comparison mean is (1*4 + 0.25*2 + 4*8)/5.25."""
    t = np.array([True, True, False, False, False])
    y = np.array([10.0, 14.0, 4.0, 2.0, 8.0])
    e = np.array([0.6, 0.7, 0.5, 0.2, 0.8])
    w = np.where(t, 0.0, e / (1 - e))
    estimate, se = _ratio_att(t, y, w)
    assert estimate == pytest.approx(12.0 - 36.5 / 5.25)
    # influence function by hand: treated (y - 12) / 0.4; controls -w (y - 36.5/5.25) / (5.25/5)
    mu0 = 36.5 / 5.25
    influence = [(10 - 12) / 0.4, (14 - 12) / 0.4, -1 * (4 - mu0) / 1.05, -0.25 * (2 - mu0) / 1.05, -4 * (8 - mu0) / 1.05]
    assert se == pytest.approx(np.sqrt(np.sum(np.square(influence))) / 5)


def test_ipw_ate_by_hand() -> None:
    t = np.array([True, True, False, False])
    y = np.array([3.0, 5.0, 1.0, 2.0])
    e = np.array([0.5, 0.25, 0.5, 0.75])
    estimate, _ = _ratio_ate(t, y, e)
    mu1 = (3 / 0.5 + 5 / 0.25) / (1 / 0.5 + 1 / 0.25)  # 26/6
    mu0 = (1 / 0.5 + 2 / 0.25) / (1 / 0.5 + 1 / 0.25)  # 10/6
    assert estimate == pytest.approx(mu1 - mu0)


def test_trimming_rule() -> None:
    scores = np.array([0.005, 0.02, 0.5, 0.985, 0.995])
    assert trimming_mask(scores, "att", 0.01).tolist() == [True, True, True, True, False]
    assert trimming_mask(scores, "ate", 0.01).tolist() == [False, True, True, True, False]
    assert trimming_mask(scores, "ate", 0.1).tolist() == [False, False, True, False, False]
    assert trimming_mask(scores, "att", 0.0).all()


def test_standardised_mean_difference_by_hand() -> None:
    """x treated = [1, 3] (mean 2, var 1), control = [0, 0, 2] (mean 2/3, var 8/9):
    SMD = (2 - 2/3) / sqrt((1 + 8/9)/2); weighting the control 2 by 3 makes its mean 1.5."""
    X = np.array([[1.0], [3.0], [0.0], [0.0], [2.0]])
    t = np.array([True, True, False, False, False])
    row = balance_table(X, t, ("x",), np.array([1, 1, 0, 0, 0.0]), np.array([0, 0, 1, 1, 6.0]))[0]
    pooled = np.sqrt((1 + 8 / 9) / 2)
    assert row.smd_before == pytest.approx((2 - 2 / 3) / pooled)
    assert row.mean_control_adjusted == pytest.approx(12 / 8)
    assert row.smd_after == pytest.approx((2 - 1.5) / pooled)


def test_kish_effective_sample_size() -> None:
    assert kish_ess(np.ones(10)) == pytest.approx(10)
    assert kish_ess(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


class ScoreIsX(BaseEstimator, ClassifierMixin):
    """A 'propensity model' whose score is logistic(x): matching given known scores."""

    def fit(self, X: np.ndarray, t: np.ndarray) -> ScoreIsX:
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-X[:, 0]))
        return np.column_stack([1 - p, p])


def test_matching_with_exact_partners_and_the_variance_formula() -> None:
    """Pairs share a propensity score exactly, so matching compares within pairs; with M = 1
    and each comparison unit used once, K(K-1) = 0 and V = sum (gap - mean gap)^2 / N1^2."""
    rng = np.random.default_rng(0)
    x = np.repeat(rng.normal(size=80), 2)
    t = np.tile([True, False], 80)
    y = 5 + x + np.where(t, 1.0 + rng.normal(0, 0.1, 160), 0.0)
    result = Matching(caliper=0.0, min_participants=10, propensity_model=ScoreIsX()).fit(x[:, None], t, y).result_
    gaps = y[t] - y[~t]
    assert result.estimate == pytest.approx(gaps.mean())
    assert result.std_error == pytest.approx(np.sqrt(((gaps - gaps.mean()) ** 2).sum()) / 80)


def test_own_group_variance_uses_the_nearest_neighbour() -> None:
    score = np.array([0.0, 0.1, 5.0])
    y = np.array([1.0, 3.0, 10.0])
    assert _own_group_variance(score, y).tolist() == [2.0, 2.0, 24.5]


def test_caliper_leaves_far_participants_unmatched() -> None:
    d = confounded(3000, seed=9)
    loose = Matching(caliper=0.0).fit(d.X, d.t, d.y).result_
    tight = Matching(caliper=0.001).fit(d.X, d.t, d.y).result_
    assert loose.n_trimmed == 0 and tight.n_trimmed > 0
    assert tight.n_treated + tight.n_trimmed >= loose.n_treated


def test_aipw_on_nsw_with_cps_controls_recovers_the_experimental_benchmark(nsw_design) -> None:
    """Dehejia-Wahba treated (185) against 15,992 CPS-1 controls: the naive difference is
    about -8,498 USD, the experiment says +1,794."""
    result = AIPW(random_state=0).fit(nsw_design.X, nsw_design.t, nsw_design.y, nsw_design.covariates).result_
    assert result.naive_difference == pytest.approx(-8498, abs=1)
    assert abs(result.estimate - EXPERIMENTAL_ATT) < 600
    assert result.ci_low < EXPERIMENTAL_ATT < result.ci_high
    assert (result.n_treated, result.n_control + result.n_trimmed) == (185, 15992)
    assert result.max_smd_before > 1.5 and result.max_smd_after < 0.15


def test_nsw_experiment_itself_gives_the_benchmark(nsw_experiment) -> None:
    """The randomised NSW sample: treated minus controls is the 1,794 USD benchmark."""
    frame = nsw_experiment
    difference = frame.re78[frame.treat == 1].mean() - frame.re78[frame.treat == 0].mean()
    assert difference == pytest.approx(EXPERIMENTAL_ATT, abs=1)


@pytest.mark.parametrize("cls", [IPW, AIPW])
def test_interval_coverage_in_simulation(cls: type) -> None:
    """80 replications of n = 800 with a known ATT of 2.0: the 95 % intervals should cover in
    about 76 of them; fewer than 68 (binomial p < 0.001) would mean the intervals are too
    narrow. The check on the synthetic area is `benchmarks/impact_replications.py` (100 areas)."""
    covered = 0
    for replication in range(80):
        d = confounded(800, effect=2.0, seed=1000 + replication)
        result = (
            cls(random_state=replication, n_folds=2).fit(d.X, d.t, d.y).result_
            if cls is AIPW
            else cls().fit(d.X, d.t, d.y).result_
        )
        covered += result.ci_low < 2.0 < result.ci_high
    assert covered >= 68
