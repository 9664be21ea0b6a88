"""One contract for every comparison-group estimator (scikit-learn conventions and honesty rules)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from impact_data import confounded

from polku.errors import UsageError
from polku.estimators import METHODS
from polku.impact import EffectEstimate

ALL = sorted(METHODS)


@pytest.fixture(params=ALL)
def estimator_class(request: pytest.FixtureRequest) -> type:
    return METHODS[request.param]


def _supports(cls: type, estimand: str) -> None:
    if estimand not in cls.estimands:
        pytest.skip(f"{cls.method} estimates only {cls.estimands}")


def test_baseline_refuses_the_ate_with_a_reason() -> None:
    d = confounded(500)
    with pytest.raises(UsageError, match="participants only"):
        METHODS["baseline"]("ate").fit(d.X, d.t, d.y)


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_fit_returns_self_and_a_frozen_result(estimator_class: type, estimand: str) -> None:
    _supports(estimator_class, estimand)
    d = confounded(1500)
    estimator = estimator_class(estimand, seed=3)
    assert estimator.fit(d.X, d.t, d.y, d.covariates) is estimator
    result = estimator.result_
    assert isinstance(result, EffectEstimate)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimate = 0.0  # type: ignore[misc]
    assert (result.method, result.estimand) == (estimator_class.method, estimand)
    assert result.ci_low < result.estimate < result.ci_high
    assert result.n_treated + result.n_control + result.n_trimmed == len(d.y)
    if hasattr(estimator, "kept_"):  # comparison-group estimators
        assert estimator.propensity_.shape == (len(d.y),) and estimator.kept_.dtype == bool
    else:  # expected versus observed: one p_i per participant
        assert estimator.expected_.shape == (result.n_treated,)
        assert result.observed == pytest.approx(d.y[d.t].sum()) and result.expected == pytest.approx(estimator.expected_.sum())


def test_settings_are_stored_unchanged(estimator_class: type) -> None:
    estimator = estimator_class("att", seed=7, min_participants=30)
    d = confounded(800)
    estimator.fit(d.X, d.t, d.y)
    assert (estimator.estimand, estimator.seed, estimator.min_participants) == ("att", 7, 30)


def test_same_seed_same_answer(estimator_class: type) -> None:
    d = confounded(1200, seed=5)
    first = estimator_class(seed=11).fit(d.X, d.t, d.y).result_
    second = estimator_class(seed=11).fit(d.X, d.t, d.y).result_
    assert first.estimate == second.estimate and first.ci_low == second.ci_low


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_known_effect_is_recovered_where_the_naive_difference_is_biased(estimator_class: type, estimand: str) -> None:
    """Synthetic truth: a constant effect of 2.0 under selection on observables."""
    _supports(estimator_class, estimand)
    d = confounded(6000, effect=2.0, seed=1)
    result = estimator_class(estimand, seed=1).fit(d.X, d.t, d.y, d.covariates).result_
    assert result.naive_difference > 4.0  # participants have higher x1, which raises y
    assert abs(result.estimate - 2.0) < 3 * result.std_error + 0.05
    assert result.ci_low < 2.0 < result.ci_high or abs(result.estimate - 2.0) < 0.15
    if result.balance:  # the baseline adjusts by a model, not by weights: no balance table
        assert result.max_smd_before > 0.5
        assert result.max_smd_after < 0.1


def test_binary_outcome_effect_is_a_probability_difference(estimator_class: type) -> None:
    from impact_data import true_binary_att

    d = confounded(8000, effect=1.0, seed=2, binary=True)
    truth = true_binary_att(8000, 1.0, seed=2)
    result = estimator_class("att", seed=2).fit(d.X, d.t, d.y).result_
    assert 0 < result.estimate < 1
    assert abs(result.estimate - truth) < 3 * result.std_error


def test_small_cohorts_get_no_estimate_and_say_why(estimator_class: type) -> None:
    d = confounded(400, seed=4)
    keep = np.flatnonzero(~d.t).tolist() + np.flatnonzero(d.t)[:59].tolist()
    small = d.subset(np.array(keep))
    result = estimator_class().fit(small.X, small.t, small.y).result_
    assert result.suppressed and result.estimate is None and result.ci_low is None
    assert "too few participants" in result.note and "(59; at least 60" in result.note
    assert result.to_dict()["estimate"] is None


def test_bad_settings_and_inputs_are_refused(estimator_class: type) -> None:
    d = confounded(300)
    with pytest.raises(UsageError, match="unknown estimand|participants only"):
        estimator_class("atc").fit(d.X, d.t, d.y)
    with pytest.raises(UsageError, match="different lengths"):
        estimator_class().fit(d.X[:-1], d.t, d.y)
    with pytest.raises(UsageError, match="finite"):
        estimator_class().fit(d.X, d.t, np.where(d.t, np.nan, d.y))
    with pytest.raises(UsageError, match="0/1"):
        estimator_class().fit(d.X, d.t * 2, d.y)


def test_result_serialises_to_plain_json(estimator_class: type) -> None:
    import json

    d = confounded(900)
    payload = estimator_class().fit(d.X, d.t, d.y, d.covariates).result_.to_dict()
    text = json.dumps(payload)
    assert {"method", "estimand", "estimate", "ci_low", "ci_high", "n_treated", "n_control", "max_smd_before", "max_smd_after", "n_trimmed"} <= set(json.loads(text))
