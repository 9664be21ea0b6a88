"""Entropy balancing against hand-computed weights, an independent solver of the primal
problem, exact balance, infeasible constraints, case weights and the overlap diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
from impact_data import confounded, weak_overlap
from scipy.optimize import minimize

from polku.errors import UsageError, ValidationFailed
from polku.impact import Design, EntropyBalancing
from polku.impact.balance import overlap_problems, overlap_warning, top_weight_share
from polku.impact.calibration import TOLERANCE, balance_features, entropy_weights


def _one_binary_covariate() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """100 participants, 70 with x = 1; 300 comparison rows, 60 with x = 1. Outcomes: the
    participants' mean is 0.5; comparison rows with x = 1 have mean 0.3, with x = 0 mean 0.1."""
    x = np.r_[np.ones(70), np.zeros(30), np.ones(60), np.zeros(240)]
    t = np.r_[np.ones(100, bool), np.zeros(300, bool)]
    y = np.r_[
        np.ones(50), np.zeros(50), np.tile([1.0, 0, 0, 0, 0, 1, 1, 0, 0, 0], 6), np.tile([1.0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 24)
    ]
    return x[:, None], t, y


def test_one_binary_covariate_gives_the_hand_computed_weights_and_effect() -> None:
    """With one 0/1 covariate, the weights closest to uniform that give the comparison group
    the participants' share of 0.7 are 0.7/60 on each x = 1 row and 0.3/240 on each x = 0
    row (the entropy is maximised by equal weights within each level). The comparison mean
    is then 0.7 * 0.3 + 0.3 * 0.1 = 0.24, and the ATT 0.5 - 0.24 = 0.26 (to the solver's
    tolerance of 1e-8 in the balance, which moves the estimate by less than 1e-9)."""
    X, t, y = _one_binary_covariate()
    estimator = EntropyBalancing(min_participants=60).fit(X, t, y, ("x",))
    weights = estimator.result_
    assert weights.estimate == pytest.approx(0.26, abs=1e-9)
    w = entropy_weights(X[~t], np.array([0.7]), np.ones(300), ("x",))
    assert w[:60] == pytest.approx(np.full(60, 0.7 / 60), rel=1e-8)
    assert w[60:] == pytest.approx(np.full(240, 0.3 / 240), rel=1e-8)
    assert weights.overlap.ess_control == pytest.approx(1 / (60 * (0.7 / 60) ** 2 + 240 * (0.3 / 240) ** 2))


def test_weights_equal_an_independent_solution_of_the_primal_problem() -> None:
    """The dual's weights against SLSQP on the primal: minimise sum w log(w / q) subject to
    sum w = 1, w >= 0 and the weighted means equal the target (Hainmueller 2012, eq. 4), on
    40 rows with two covariates, uneven base weights q and both moments."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    q = rng.uniform(0.5, 2.0, 40)
    features, names = balance_features(X, 2, ("a", "b"))
    target = features.mean(axis=0) + np.array([0.3, -0.2, 0.15, -0.1])
    ours = entropy_weights(features, target, q, names)
    base = q / q.sum()
    primal = minimize(
        lambda w: float(np.sum(w * np.log(np.maximum(w, 1e-300) / base))),
        base,
        method="SLSQP",
        bounds=[(0, 1)] * 40,
        jac=lambda w: np.log(np.maximum(w, 1e-300) / base) + 1,
        constraints=[{"type": "eq", "fun": lambda w: np.r_[w.sum() - 1, features.T @ w - target]}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert primal.success
    assert ours == pytest.approx(primal.x, abs=1e-6)
    assert np.all(np.abs(features.T @ ours - target) < TOLERANCE * features.std(axis=0))  # Newton's stopping rule


@pytest.mark.parametrize("moments", [1, 2])
def test_weighted_comparison_means_equal_the_participants(moments: int) -> None:
    d = confounded(3000, seed=6)
    estimator = EntropyBalancing(moments=moments).fit(d.X, d.t, d.y, d.covariates)
    result = estimator.result_
    assert result.max_smd_before > 0.5 and result.max_smd_after < 1e-8
    w = estimator.result_.overlap
    assert result.extra["balance_features"] == 2 * moments
    if moments == 2:  # the squares balance too
        cw = np.where(d.t, 0.0, 1.0)  # recompute the weights through the public solver
        features, names = balance_features(d.X, 2, d.covariates)
        weights = entropy_weights(features[~d.t], features[d.t].mean(axis=0), cw[~d.t], names)
        assert features[~d.t].T @ weights == pytest.approx(features[d.t].mean(axis=0), abs=1e-8)
    assert w is not None and 0 < w.ess_control < d.n_control


def test_mean_outside_the_comparison_range_is_refused_naming_the_covariate() -> None:
    X, t, y = _one_binary_covariate()
    X = np.column_stack([X, np.where(t, 5.0, np.linspace(0, 4, len(t)))])  # every participant above every comparison row
    with pytest.raises(ValidationFailed, match="mean of age lies outside the comparison group's range") as error:
        EntropyBalancing(min_participants=60).fit(X, t, y, ("x", "age"))
    assert "aipw" in str(error.value.fix)


def test_mean_on_the_edge_gives_zero_weight_off_the_edge() -> None:
    """All participants have x = 1 and the comparison's x runs from 0 to 1: only zero weight
    on the 240 rows with x = 0 meets the mean, so the 60 rows with x = 1 share the weight
    equally (the primal problem allows zeros; the dual's exponential form reaches them only
    in the limit). The ATT is then 0.5 - 0.3 = 0.2. A second covariate z, balanced among
    the rows left, shows that the rest of the problem is still solved."""
    X, t, y = _one_binary_covariate()
    X = np.where(t[:, None], 1.0, X)
    result = EntropyBalancing(min_participants=60).fit(X, t, y, ("x",)).result_
    assert result.estimate == pytest.approx(0.2, abs=1e-12)
    assert result.overlap.ess_control == pytest.approx(60)
    z = np.linspace(0, 2, 300)  # 0 to 0.395 on the rows with x = 1
    weights = entropy_weights(np.column_stack([X[~t, 0], z]), np.array([1.0, 0.2]), np.ones(300), ("x", "z"))
    assert weights[60:].max() == 0 and weights[:60] @ z[:60] == pytest.approx(0.2, abs=1e-8)
    assert 0.004 < weights[:60].min() < weights[:60].max() < 0.04  # tilted towards z = 0.2, none zero


def test_means_outside_the_convex_hull_are_refused() -> None:
    """Each mean within its range, but not jointly: comparison rows lie on the line a + b = 1
    with a, b in [0, 1], participants' means are (0.5, 0.9), off the line."""
    rng = np.random.default_rng(2)
    a = rng.random(300)
    comparison = np.column_stack([a, 1 - a])
    participants = np.column_stack([rng.uniform(0.3, 0.7, 100), rng.uniform(0.8, 1.0, 100)])
    X = np.vstack([participants, comparison])
    t = np.r_[np.ones(100, bool), np.zeros(300, bool)]
    with pytest.raises(ValidationFailed, match="outside what any weighting of the comparison rows can reach"):
        EntropyBalancing(min_participants=60).fit(X, t, rng.normal(size=400))


def test_settings_are_checked_in_fit() -> None:
    d = confounded(500)
    EntropyBalancing(moments=3)  # stored unchanged, checked only when fitting
    with pytest.raises(UsageError, match="moments must be 1"):
        EntropyBalancing(moments=3).fit(d.X, d.t, d.y)
    with pytest.raises(UsageError, match="participants only|does not estimate 'ate'"):
        EntropyBalancing(estimand="ate").fit(d.X, d.t, d.y)


def test_integer_case_weights_equal_repeated_rows_of_one_person() -> None:
    """A case weight of k on a row gives the estimate of k copies of the row. Case weights
    belong to one person (as the inverse probability of censoring does), so the standard
    error equals that of the copies clustered by person: HC3's correction of one row of
    weight k, e / (1 - k h), equals CR3's of its k copies in one cluster, each of leverage h
    ((I - h 1 1')^-1 e 1 = e / (1 - k h) 1). Without clusters the copies count as k people
    and the interval is narrower."""
    d = confounded(600, seed=8)
    k = np.random.default_rng(1).integers(1, 4, len(d.y))
    ids = np.arange(len(d.y))
    weighted = EntropyBalancing().fit(d.X, d.t, d.y, sample_weight=k, clusters=ids).result_
    rows = np.repeat(ids, k)
    copies = EntropyBalancing().fit(d.X[rows], d.t[rows], d.y[rows], clusters=rows).result_
    assert weighted.estimate == pytest.approx(copies.estimate, abs=1e-9)
    assert weighted.std_error == pytest.approx(copies.std_error, rel=1e-9)
    assert EntropyBalancing().fit(d.X[rows], d.t[rows], d.y[rows]).result_.std_error < 0.9 * copies.std_error
    dropped = EntropyBalancing().fit(d.X, d.t, d.y, sample_weight=np.where(np.arange(600) < 50, 0.0, 1.0)).result_
    assert dropped.estimate == pytest.approx(EntropyBalancing().fit(d.X[50:], d.t[50:], d.y[50:]).result_.estimate, abs=1e-12)


def test_cluster_correction_equals_the_leave_one_cluster_out_residuals() -> None:
    """CR3 by Woodbury against the definition: for a cluster g, (I - H_gg)^-1 e_g equals the
    residuals of g from the weighted fit without g (the jackknife identity), on 40 rows in
    clusters of 1 to 3 rows with two covariates."""
    from polku.impact.calibration import _jackknife_residuals, _outcome_fit

    rng = np.random.default_rng(4)
    n = 40
    c = rng.normal(size=(n, 2))
    y = c @ [1.0, -0.5] + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, n)
    clusters = np.repeat(np.arange(20), [1, 2, 3, 2] * 5)
    rows = np.ones(n, dtype=bool)
    fitted, U = _outcome_fit(c, y, w, rows)
    adjusted = _jackknife_residuals(y - fitted, np.sqrt(w), U, clusters)
    design = np.column_stack([np.ones(n), c])
    for g in (0, 1, 2, 5):
        out = clusters == g
        beta = np.linalg.lstsq(design[~out] * np.sqrt(w[~out])[:, None], y[~out] * np.sqrt(w[~out]), rcond=None)[0]
        assert adjusted[out] == pytest.approx(y[out] - design[out] @ beta, abs=1e-10)


def test_same_data_same_answer_in_any_row_order() -> None:
    d = confounded(900, seed=3)
    order = np.random.default_rng(0).permutation(len(d.y))
    first = EntropyBalancing().fit(d.X, d.t, d.y).result_
    shuffled = EntropyBalancing().fit(d.X[order], d.t[order], d.y[order]).result_
    assert shuffled.estimate == pytest.approx(first.estimate, abs=1e-10)
    assert shuffled.std_error == pytest.approx(first.std_error, abs=1e-10)


def test_person_bootstrap_gives_a_percentile_interval() -> None:
    d = confounded(800, seed=4)
    people = np.arange(len(d.y)) // 2
    result = EntropyBalancing(bootstrap=50, random_state=3).fit(d.X, d.t, d.y, clusters=people).result_
    low, high = result.bootstrap_ci
    assert result.bootstrap_replications == 50 and low < result.estimate < high
    assert result.extra["clusters"] == 400


def test_top_weight_shares_and_warnings_from_hand_computed_cases() -> None:
    weights = np.r_[np.full(99, 1.0), 101.0]  # 100 rows; the heaviest carries 101 of 200
    assert top_weight_share(weights, 0.01) == pytest.approx(101 / 200)
    assert top_weight_share(weights, 0.05) == pytest.approx(105 / 200)
    assert overlap_warning(0.0, 1000.0, 400) == "" and overlap_problems(0.06, 49.0, 60) == ("support", "effective_size")
    assert "extrapolation by the outcome model" in overlap_warning(0.06, 1000.0, 400)
    assert overlap_warning(0.05, 1000.0, 400) == ""  # 5 % is the limit, not over it
    assert "rests on a few comparison people" in overlap_warning(0.0, 99.0, 400)  # below a quarter of 400
    assert overlap_warning(0.0, 100.0, 400) == ""
    assert "rests on a few comparison people" in overlap_warning(0.0, 49.0, 60)  # below 50


def test_weak_overlap_is_diagnosed_and_said_in_words() -> None:
    """Strength 4 of the weak-overlap design: about a fifth of the participants lie above the
    comparison group's highest propensity score, and the weights sit on a few rows."""
    d = weak_overlap(3000, 4.0, seed=1)
    result = EntropyBalancing().fit(d.X, d.t, d.y, d.covariates).result_
    o = result.overlap
    assert o.outside_support > 0.1 and o.top5_weight_share > 0.8 and o.ess_control < 50
    assert "extrapolation" in o.warning and "a few comparison people" in o.warning
    payload = result.to_dict()["overlap"]
    assert {"ess_control", "top1_weight_share", "top5_weight_share", "outside_support", "warning"} <= set(payload)
    good = EntropyBalancing().fit(*_xy(weak_overlap(3000, 1.0, seed=1))).result_.overlap
    assert good.warning == "" and good.outside_support < 0.05


def _xy(d) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    return d.X, d.t, d.y


def test_nsw_with_cps_controls_covers_the_experimental_benchmark(nsw_design) -> None:  # type: ignore[no-untyped-def]
    """Dehejia-Wahba's 185 participants against 15,992 CPS-1 controls, a classic case of weak
    overlap (naive difference -8,498 USD; experiment +1,794). Balancing the means of the
    covariates and their squares gives 1,402 USD (SE 754): the same tolerance of 600 USD as
    AIPW's test in test_known_answers.py. The top 5 % of comparison rows carry 90 % of the
    weight: the diagnostics show how few CPS people resemble the participants."""
    result = EntropyBalancing().fit(nsw_design.X, nsw_design.t, nsw_design.y, nsw_design.covariates).result_
    assert abs(result.estimate - 1794) < 600
    assert result.ci_low < 1794 < result.ci_high
    assert result.max_smd_before > 1.5 and result.max_smd_after < 1e-6
    assert result.overlap.top5_weight_share > 0.85 and result.overlap.ess_control < 200


def _weak_overlap_csv(path, strength: float, shift_participants: float = 0.0):  # type: ignore[no-untyped-def]
    import pandas as pd

    d = weak_overlap(3000, strength, seed=2)
    frame = pd.DataFrame(d.X, columns=list(d.covariates)).assign(treat=d.t.astype(int), y=d.y)
    frame.loc[frame.treat == 1, "x4"] += shift_participants
    frame.to_csv(path, index=False)
    return path


def test_cli_prints_the_diagnostics_and_the_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from polku.cli import main

    path = _weak_overlap_csv(tmp_path / "weak.csv", 4.0)
    args = [
        "estimate",
        "--data",
        str(path),
        "--treatment",
        "treat",
        "--outcome",
        "y",
        "--covariates",
        "x1,x2,x3,x4",
        "--method",
        "entropy",
    ]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert "effective comparison size" in text.output and "top 1 % / 5 % of comparison rows carry" in text.output
    assert "rests on extrapolation" in text.output and "rests on a few comparison people" in text.output
    payload = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    overlap = payload["overlap"]
    assert payload["method"] == "entropy" and payload["max_smd_after"] < 1e-6
    assert isinstance(overlap["top5_weight_share"], float) and overlap["top5_weight_share"] > 0.8
    assert isinstance(overlap["outside_support"], float) and overlap["outside_support"] > 0.1
    assert overlap["warning"] in payload["sentences"]


def test_cli_infeasible_means_exit_1_with_the_covariate_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from polku.cli import main

    path = _weak_overlap_csv(tmp_path / "apart.csv", 1.0, shift_participants=100.0)
    result = CliRunner().invoke(
        main,
        [
            "estimate",
            "--data",
            str(path),
            "--treatment",
            "treat",
            "--outcome",
            "y",
            "--covariates",
            "x1,x2,x3,x4",
            "--method",
            "entropy",
        ],
    )
    assert result.exit_code == 1
    assert "participants' mean of x4 lies outside the comparison group's range" in result.output
    assert "Traceback" not in result.output


def test_a_store_cell_that_cannot_be_balanced_shows_why_and_the_others_go_on() -> None:
    """Over the store, one client group or provider whose means cannot be met (participants
    from a municipality without comparison people) is a cell without an estimate, with the
    reason as its note, not an error that stops every other cell."""
    from polku.pipeline.by_service import _fit

    X, t, y = _one_binary_covariate()
    apart = np.column_stack([X, np.where(t, 1.0, 0.0)])  # every participant in a municipality no comparison person is in
    design = Design(apart, t, y, ("x", "municipality=742"))
    people = np.arange(len(y)).astype(str)
    result = _fit("entropy", design, slice(None), np.ones(len(y)), people, {"min_participants": 60})
    assert result.suppressed and (result.n_treated, result.n_control) == (100, 300)
    assert "mean of municipality=742 lies outside the comparison group's range" in result.note
    fine = _fit("entropy", Design(X, t, y, ("x",)), slice(None), np.ones(len(y)), people, {"min_participants": 60})
    assert fine.estimate == pytest.approx(0.26, abs=1e-9)
