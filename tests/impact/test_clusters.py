"""Cluster-robust standard errors and cross-fitting folds by person: by hand, and on data whose rows are copied."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor

from polku.errors import UsageError
from polku.impact import IPW, Matching
from polku.impact.design import influence_se
from polku.impact.propensity import cross_fit_outcome, folds


def test_influence_se_by_hand() -> None:
    influence = np.array([1.0, -2.0, 3.0, -2.0])
    # independent: sqrt(1 + 4 + 9 + 4) / 4
    assert influence_se(influence) == pytest.approx(np.sqrt(18) / 4)
    # clusters {0,1} and {2,3}: sums -1 and 1; G = 2: sqrt(2/1 * (1 + 1)) / 4 = 0.5
    assert influence_se(influence, np.array([0, 0, 1, 1])) == pytest.approx(0.5)
    # one row per cluster: the independent formula times sqrt(G / (G - 1))
    assert influence_se(influence, np.arange(4)) == pytest.approx(np.sqrt(18) / 4 * np.sqrt(4 / 3))


def _confounded(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    t = rng.random(n) < 1 / (1 + np.exp(1.0 - x[:, 0]))
    y = 1.0 * t + x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n)
    return x, t, y


def test_copied_rows_do_not_shrink_a_clustered_interval() -> None:
    """Every unit twice: the estimate is unchanged; the independent-rows SE falls by
    sqrt(2) (a false gain in precision), the clustered SE stays at the original's."""
    x, t, y = _confounded(2000, seed=1)
    once = IPW().fit(x, t, y).result_
    twice = lambda **kw: IPW().fit(np.vstack([x, x]), np.r_[t, t], np.r_[y, y], **kw).result_  # noqa: E731
    naive, clustered = twice(), twice(clusters=np.r_[np.arange(2000), np.arange(2000)])
    assert naive.estimate == pytest.approx(once.estimate) and clustered.estimate == pytest.approx(once.estimate)
    assert naive.std_error == pytest.approx(once.std_error / np.sqrt(2), rel=1e-6)
    assert clustered.std_error == pytest.approx(once.std_error * np.sqrt(2000 / 1999), rel=1e-6)
    assert clustered.extra["clusters"] == 2000


def test_matching_says_it_ignores_clusters_and_lengths_are_checked() -> None:
    x, t, y = _confounded(600, seed=2)
    result = Matching().fit(x, t, y, clusters=np.arange(600) // 2).result_
    assert result.extra["clusters_ignored"] == 300
    with pytest.raises(UsageError, match="one label per row"):
        IPW().fit(x, t, y, clusters=np.arange(10))


def test_person_folds_keep_a_persons_rows_together_and_deal_participants_evenly() -> None:
    rng = np.random.default_rng(3)
    people = rng.integers(0, 700, 2000)
    t = np.zeros(2000, dtype=bool)
    t[rng.choice(2000, 150, replace=False)] = True
    splits = folds(t, 5, seed=0, clusters=people)
    tests = [test for _, test in splits]
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(2000))  # a partition of the rows
    for train, test in splits:
        assert not set(people[train]) & set(people[test])
        assert len(train) + len(test) == 2000
    with_participant = [len(np.unique(people[test][t[test]])) for test in tests]
    assert max(with_participant) - min(with_participant) <= 1


def test_cross_fitting_by_person_keeps_a_copied_row_out_of_its_own_model() -> None:
    """Every unit twice and a 1-nearest-neighbour outcome model: with folds by row, most
    comparison rows find their own copy in the training folds and are predicted without
    error (their residuals, which AIPW's correction rests on, vanish); by person, none do."""
    x, t, y = _confounded(1000, seed=4)
    X2, t2, y2, people = np.vstack([x, x]), np.r_[t, t], np.r_[y, y], np.r_[np.arange(1000), np.arange(1000)]
    model = KNeighborsRegressor(n_neighbors=1)
    by_row = cross_fit_outcome(X2, y2, ~t2, folds(t2, 5, 0), False, model)
    by_person = cross_fit_outcome(X2, y2, ~t2, folds(t2, 5, 0, people), False, model)
    controls = ~t2
    assert np.mean(by_row[controls] == y2[controls]) > 0.7
    assert np.mean(by_person[controls] == y2[controls]) == 0.0


def test_bootstrap_draws_persons_when_rows_are_clustered() -> None:
    """Every unit twice: a bootstrap of rows sees twice the data and gives an interval about
    sqrt(2) narrower than the original's; drawing persons gives about the original's."""
    x, t, y = _confounded(1500, seed=5)
    width = lambda r: r.bootstrap_ci[1] - r.bootstrap_ci[0]  # noqa: E731
    once = IPW(bootstrap=300, random_state=1).fit(x, t, y).result_
    twice = lambda **kw: IPW(bootstrap=300, random_state=1).fit(np.vstack([x, x]), np.r_[t, t], np.r_[y, y], **kw).result_  # noqa: E731
    by_row, by_person = twice(), twice(clusters=np.r_[np.arange(1500), np.arange(1500)])
    assert width(by_row) / width(once) == pytest.approx(1 / np.sqrt(2), abs=0.12)
    assert width(by_person) / width(once) == pytest.approx(1.0, abs=0.15)
    assert by_person.bootstrap_replications == 300


def test_a_row_bootstrap_keeps_copies_of_a_row_in_one_fold() -> None:
    """Each replicate draws rows with replacement; its cross-fitting folds are dealt by the
    drawn row, so a row's copies never predict one another."""
    from polku.impact import AIPW

    seen: list[np.ndarray | None] = []

    class Watched(AIPW):
        def _scores(self, design):  # type: ignore[no-untyped-def]
            seen.append(design.clusters)
            return super()._scores(design)

    x, t, y = _confounded(800, seed=6)
    Watched(bootstrap=3, random_state=2).fit(x, t, y)
    original, *replicates = seen
    assert original is None and len(replicates) == 3
    for rows in replicates:
        assert rows is not None and len(np.unique(rows)) < len(rows)  # drawn with replacement
        for _, test in folds(t[rows], 5, 2, rows):
            assert not set(rows[test]) & set(np.delete(rows, test))
