"""The contract every registered estimator passes, in the manner of scikit-learn's
`check_estimator` (sklearn/utils/estimator_checks.py): it runs over `ESTIMATORS`, so an
estimator added to the registry is checked without a line here.

Checks: the registry and the traits; scikit-learn's parameters (`get_params`, `set_params`,
`clone`; settings keyword-only, stored unchanged, never validated in `__init__`, never
overwritten by `fit`; learned values end in `_`); `fit` returns self; inputs not mutated;
row order; a seed makes it deterministic; clones are equal; missing values give a clear
error; case weights are honoured (integer weights equal duplicated rows) or refused; small
cohorts are suppressed; and a known effect is recovered where the naive difference is biased.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from impact_data import confounded, true_binary_att
from sklearn.base import clone

from polku.errors import UsageError
from polku.impact import DEFAULT_METHOD, ESTIMATORS, EffectEstimate, Estimator, make_estimator

ALL = list(ESTIMATORS)


@pytest.fixture(params=ALL)
def estimator_class(request: pytest.FixtureRequest) -> type[Estimator]:
    return ESTIMATORS[request.param]


def _supports(cls: type[Estimator], estimand: str) -> None:
    if estimand not in cls.estimands:
        pytest.skip(f"{cls.method} estimates only {cls.estimands}")


def _same(a: EffectEstimate, b: EffectEstimate, rtol: float = 0.0) -> None:
    """Estimate, interval and counts equal (exactly, or to `rtol`)."""
    assert (a.n_treated, a.n_control, a.n_trimmed) == (b.n_treated, b.n_control, b.n_trimmed)
    np.testing.assert_allclose(
        [a.estimate, a.std_error, a.ci_low, a.ci_high], [b.estimate, b.std_error, b.ci_low, b.ci_high], rtol=rtol, atol=0.0
    )


# --- the registry and the traits -------------------------------------------------------------


def test_the_registry_names_every_estimator_once_with_its_traits() -> None:
    assert ALL == ["expected_observed", "ipw", "aipw", "match", "entropy"]
    assert DEFAULT_METHOD == "aipw" and [name for name, cls in ESTIMATORS.items() if cls.default] == ["aipw"]
    for name, cls in ESTIMATORS.items():
        assert issubclass(cls, Estimator) and cls.method == name and cls.label
        assert set(cls.estimands) <= {"att", "ate"} and "att" in cls.estimands
    assert not ESTIMATORS["expected_observed"].similar_comparison and not ESTIMATORS["expected_observed"].pseudo_outcome
    assert not ESTIMATORS["match"].supports_weights


def test_an_unknown_method_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UsageError, match="unknown method 'baseline'") as error:
        make_estimator("baseline")
    assert "expected_observed, ipw, aipw, match" in error.value.render()


# --- parameters: scikit-learn's conventions ------------------------------------------------


def test_settings_are_keyword_only_and_stored_unchanged(estimator_class: type[Estimator]) -> None:
    with pytest.raises(TypeError):
        estimator_class("att")  # type: ignore[misc]
    estimator = estimator_class(random_state=7, min_participants=30)
    params = estimator.get_params()
    assert (params["estimand"], params["random_state"], params["min_participants"]) == ("att", 7, 30)
    assert set(params) == set(estimator_class._get_param_names()) and "random_state" in params
    d = confounded(800)
    assert estimator.fit(d.X, d.t, d.y).get_params() == params  # fit overwrites no setting


def test_init_validates_nothing_fit_does(estimator_class: type[Estimator]) -> None:
    """scikit-learn's rule: `__init__` only stores, so `set_params` and `clone` see what was given."""
    estimator = estimator_class(estimand="atc", random_state=1.5)  # type: ignore[arg-type]
    assert estimator.get_params()["estimand"] == "atc"
    d = confounded(300)
    with pytest.raises(UsageError, match="does not estimate 'atc'"):
        estimator.fit(d.X, d.t, d.y)
    with pytest.raises(UsageError, match="random_state must be a whole number"):
        estimator.set_params(estimand="att").fit(d.X, d.t, d.y)


def test_fit_adds_only_learned_values_ending_in_underscore(estimator_class: type[Estimator]) -> None:
    estimator = estimator_class(random_state=2)
    before = set(vars(estimator))
    d = confounded(900)
    estimator.fit(d.X, d.t, d.y)
    added = set(vars(estimator)) - before
    assert "result_" in added and all(name.endswith("_") for name in added), added


def test_a_clone_has_the_same_settings_unfitted_and_fits_to_the_same_result(estimator_class: type[Estimator]) -> None:
    d = confounded(1200, seed=5)
    fitted = estimator_class(random_state=4).fit(d.X, d.t, d.y, d.covariates)
    twin = clone(fitted)
    assert type(twin) is estimator_class and twin.get_params() == fitted.get_params()
    assert not [name for name in vars(twin) if name.endswith("_")]
    _same(twin.fit(d.X, d.t, d.y, d.covariates).result_, fitted.result_)
    changed = clone(fitted).set_params(random_state=5)
    assert changed.random_state == 5 and fitted.random_state == 4


# --- fit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_fit_returns_self_and_a_frozen_result(estimator_class: type[Estimator], estimand: str) -> None:
    _supports(estimator_class, estimand)
    d = confounded(1500)
    estimator = estimator_class(estimand=estimand, random_state=3)
    assert estimator.fit(d.X, d.t, d.y, d.covariates) is estimator
    result = estimator.result_
    assert isinstance(result, EffectEstimate)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimate = 0.0  # type: ignore[misc]
    assert (result.method, result.estimand) == (estimator_class.method, estimand)
    assert result.ci_low < result.estimate < result.ci_high
    assert result.n_treated + result.n_control + result.n_trimmed == len(d.y)
    if estimator_class.similar_comparison:  # weights or matches: propensity, trimming and balance
        assert estimator.propensity_.shape == (len(d.y),) and estimator.kept_.dtype == bool and result.balance
    else:  # expected versus observed: one p_i per participant
        assert estimator.expected_.shape == (result.n_treated,)
        assert result.observed == pytest.approx(d.y[d.t].sum()) and result.expected == pytest.approx(estimator.expected_.sum())


def test_an_estimand_it_does_not_estimate_is_refused_with_a_reason(estimator_class: type[Estimator]) -> None:
    d = confounded(500)
    for estimand in {"ate", "atc"} - set(estimator_class.estimands):
        with pytest.raises(UsageError, match=f"does not estimate '{estimand}'") as error:
            estimator_class(estimand=estimand).fit(d.X, d.t, d.y)
        assert "use att" in error.value.render()


def test_inputs_are_not_mutated(estimator_class: type[Estimator]) -> None:
    d = confounded(1000, seed=6)
    X, t, y = d.X.copy(), d.t.copy(), d.y.copy()
    w = np.where(d.t, 1.0, np.linspace(0.5, 2.0, len(d.y)))
    clusters = np.arange(len(y)) // 2
    given = [X, t, y, w.copy(), clusters.copy()]
    settings = {"sample_weight": given[3]} if estimator_class.supports_weights else {}
    estimator_class(random_state=1).fit(given[0], given[1], given[2], d.covariates, clusters=given[4], **settings)
    for before, after in zip([d.X, d.t, d.y, w, clusters], given):
        np.testing.assert_array_equal(before, after)


def test_row_order_does_not_change_the_result(estimator_class: type[Estimator]) -> None:
    """Rows shuffled, each keeping its person id (`clusters`, as the pipeline passes them):
    folds and person draws follow the ids, not the rows' positions. Bootstrap draws of rows
    follow positions, so this compares fits without the bootstrap (a seed fixes those draws;
    the next check). Floating-point sums in another order leave differences near 1e-12."""
    d = confounded(1500, seed=7)
    ids = np.arange(len(d.y))
    order = np.random.default_rng(0).permutation(len(d.y))
    estimator = estimator_class(random_state=3)
    if "bootstrap" in estimator.get_params():
        estimator.set_params(bootstrap=0)
    first = clone(estimator).fit(d.X, d.t, d.y, d.covariates, clusters=ids).result_
    shuffled = clone(estimator).fit(d.X[order], d.t[order], d.y[order], d.covariates, clusters=ids[order]).result_
    _same(first, shuffled, rtol=1e-7)


def test_the_same_seed_gives_the_same_answer(estimator_class: type[Estimator]) -> None:
    """Bit for bit, with the bootstrap where the estimator offers it (every random step of fit
    draws from `random_state`)."""
    d = confounded(1200, seed=5)
    estimator = estimator_class(random_state=11)
    if "bootstrap" in estimator.get_params():
        estimator.set_params(bootstrap=20)
    try:
        first = clone(estimator).fit(d.X, d.t, d.y).result_
    except UsageError as refused:  # matching: the bootstrap is not valid there
        assert "bootstrap is not offered" in refused.what
        first = clone(estimator).set_params(bootstrap=0).fit(d.X, d.t, d.y).result_
        estimator.set_params(bootstrap=0)
    second = clone(estimator).fit(d.X, d.t, d.y).result_
    assert first.to_dict() == second.to_dict()


@pytest.mark.parametrize("where", ["X", "y", "sample_weight"])
def test_missing_values_give_a_clear_error(estimator_class: type[Estimator], where: str) -> None:
    d = confounded(400)
    X, y, w = d.X.copy(), d.y.copy(), np.ones(len(d.y))
    {"X": X[:, 0], "y": y, "sample_weight": w}[where][5] = np.nan
    with pytest.raises(UsageError, match="finite|missing") as error:
        estimator_class().fit(X, d.t, y, sample_weight=w)
    assert "\n" not in error.value.what


def test_bad_inputs_are_refused(estimator_class: type[Estimator]) -> None:
    d = confounded(300)
    with pytest.raises(UsageError, match="different lengths"):
        estimator_class().fit(d.X[:-1], d.t, d.y)
    with pytest.raises(UsageError, match="0/1"):
        estimator_class().fit(d.X, d.t * 2, d.y)
    with pytest.raises(UsageError, match="0/1"):
        estimator_class().fit(d.X, np.where(d.t, np.nan, 0.0), d.y)


def test_integer_case_weights_equal_duplicated_rows(estimator_class: type[Estimator]) -> None:
    """Comparison rows with weight 0, 1, 2 or 3, higher where the outcome is high (the
    pipeline's censoring weights fall on comparison people) against the same rows repeated that many times, each copy keeping
    its person id. An estimator without case weights refuses them and says why."""
    d = confounded(1500, seed=8)
    high = d.y > np.median(d.y[~d.t])  # weights that matter: heavier comparison rows with high outcomes
    counts = np.where(d.t, 1, np.random.default_rng(1).integers(0, 2, len(d.y)) + 2 * high)
    ids = np.arange(len(d.y))
    estimator = estimator_class(random_state=2)
    if not estimator_class.supports_weights:
        with pytest.raises(UsageError, match="case weights"):
            estimator.fit(d.X, d.t, d.y, sample_weight=counts.astype(float))
        return
    if "bootstrap" in estimator.get_params():
        estimator.set_params(bootstrap=0)
    weighted = clone(estimator).fit(d.X, d.t, d.y, d.covariates, sample_weight=counts.astype(float), clusters=ids).result_
    rows = np.repeat(ids, counts)
    repeated = clone(estimator).fit(d.X[rows], d.t[rows], d.y[rows], d.covariates, clusters=ids[rows]).result_
    assert weighted.n_treated == repeated.n_treated and weighted.n_control == int((counts[~d.t] > 0).sum())
    # equal up to where the models' solvers stop: scikit-learn's L-BFGS (gradient 1e-4) moves
    # IPW's estimate by 0.0005 standard errors, the others agree to 1e-9; ignoring the weights
    # moves the estimates by 0.43 (IPW), 1.26 (AIPW) and 2.02 (expected versus observed) SEs
    assert abs(weighted.estimate - repeated.estimate) < 0.01 * repeated.std_error
    assert weighted.std_error == pytest.approx(repeated.std_error, rel=1e-3)
    ignored = clone(estimator).fit(d.X, d.t, d.y, d.covariates, clusters=ids).result_
    assert abs(ignored.estimate - repeated.estimate) > 0.1 * repeated.std_error


def test_weight_zero_rows_are_left_out(estimator_class: type[Estimator]) -> None:
    if not estimator_class.supports_weights:
        pytest.skip(f"{estimator_class.method} takes no case weights")
    d = confounded(1200, seed=9)
    keep = np.random.default_rng(2).random(len(d.y)) < 0.8
    estimator = estimator_class(random_state=1)
    dropped = clone(estimator).fit(d.X[keep], d.t[keep], d.y[keep], d.covariates).result_
    zero = clone(estimator).fit(d.X, d.t, d.y, d.covariates, sample_weight=keep.astype(float)).result_
    _same(zero, dropped)


# --- what it finds ------------------------------------------------------------------------------


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_known_effect_is_recovered_where_the_naive_difference_is_biased(estimator_class: type[Estimator], estimand: str) -> None:
    """Synthetic truth: a constant effect of 2.0 under selection on observables."""
    _supports(estimator_class, estimand)
    d = confounded(6000, effect=2.0, seed=1)
    result = estimator_class(estimand=estimand, random_state=1).fit(d.X, d.t, d.y, d.covariates).result_
    assert result.naive_difference > 4.0  # participants have higher x1, which raises y
    assert abs(result.estimate - 2.0) < 3 * result.std_error + 0.05
    assert result.ci_low < 2.0 < result.ci_high or abs(result.estimate - 2.0) < 0.15
    if estimator_class.similar_comparison:  # expected versus observed adjusts by a model: no balance table
        assert result.max_smd_before > 0.5
        assert result.max_smd_after < 0.1


def test_binary_outcome_effect_is_a_probability_difference(estimator_class: type[Estimator]) -> None:
    d = confounded(8000, effect=1.0, seed=2, binary=True)
    truth = true_binary_att(8000, 1.0, seed=2)
    result = estimator_class(random_state=2).fit(d.X, d.t, d.y).result_
    assert 0 < result.estimate < 1
    assert abs(result.estimate - truth) < 3 * result.std_error


def test_small_cohorts_get_no_estimate_and_say_why(estimator_class: type[Estimator]) -> None:
    d = confounded(400, seed=4)
    keep = np.flatnonzero(~d.t).tolist() + np.flatnonzero(d.t)[:59].tolist()
    small = d.subset(np.array(keep))
    result = estimator_class().fit(small.X, small.t, small.y).result_
    assert result.suppressed and result.estimate is None and result.ci_low is None
    assert "too few participants" in result.note and "(59; at least 60" in result.note
    assert result.to_dict()["estimate"] is None


def test_result_serialises_to_plain_json(estimator_class: type[Estimator]) -> None:
    d = confounded(900)
    payload = estimator_class().fit(d.X, d.t, d.y, d.covariates).result_.to_dict()
    text = json.dumps(payload)
    assert {
        "method",
        "estimand",
        "estimate",
        "ci_low",
        "ci_high",
        "n_treated",
        "n_control",
        "max_smd_before",
        "max_smd_after",
        "n_trimmed",
    } <= set(json.loads(text))
