"""The interval of an effect on change (polku.change.intervals, polku.change.effects.interval_figures):
the person bootstrap against the textbook standard error of a mean, with whole persons
drawn, and on constructed cohorts which interval a row gets and that it holds a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from change_cohorts import cohort_frame

from polku.change.effects import INFLUENCE, MIN_EFFECTIVE_COMPARISON, PERSON_BOOTSTRAP, WITHHELD_SMALL, item_effects
from polku.change.intervals import bootstrap_interval, person_draws
from polku.impact.design import Design


def test_draws_take_whole_persons() -> None:
    """Persons a (3 rows), b (1), c (2): each draw repeats all rows of a person together and
    draws as many persons as there are (3), so its size is 3 x (rows of a drawn person)."""
    persons = np.array(["a", "b", "a", "c", "a", "c"])
    for rows in person_draws(persons, 50, seed=1):
        drawn = pd.Series(persons[rows]).value_counts()
        per_person = {p: n // {"a": 3, "b": 1, "c": 2}[p] for p, n in drawn.items()}
        assert all(n % {"a": 3, "b": 1, "c": 2}[p] == 0 for p, n in drawn.items())
        assert sum(per_person.values()) == 3


def _mean(design: Design, measured: np.ndarray, persons: np.ndarray, seed: int) -> float:
    return float(design.y.mean())


def test_bootstrap_of_a_mean_matches_its_standard_error() -> None:
    """The mean of n = 400 standard normal values has SE 1 / sqrt(400) = 0.05; the bootstrap's
    SD over 1,000 draws estimates it within about 2.2 % (sqrt(1 / (2B))), so it must lie in
    0.05 x (1 +- 0.1) (the sample SD of 400 values also differs from 1 by about 3.5 %).
    Each person doubled (two identical rows): drawing persons keeps the SE of 400 people;
    drawing rows would give 0.05 / sqrt(2) = 0.035."""
    g = np.random.default_rng(11)
    y = g.standard_normal(400)
    design = Design(np.zeros((400, 0)), np.zeros(400, bool), y, ())
    single = bootstrap_interval(design, np.ones(400, bool), np.arange(400), _mean, replications=1000, seed=2)
    assert single is not None and single.replicates == 1000
    sd = y.std(ddof=1) / 20
    assert single.std_error == pytest.approx(sd, rel=0.1)
    assert single.ci_low == pytest.approx(y.mean() - 1.96 * sd, abs=0.2 * sd)
    assert single.ci_high == pytest.approx(y.mean() + 1.96 * sd, abs=0.2 * sd)
    doubled = Design(np.zeros((800, 0)), np.zeros(800, bool), np.repeat(y, 2), ())
    persons = np.repeat(np.arange(400), 2)
    twice = bootstrap_interval(doubled, np.ones(800, bool), persons, _mean, replications=1000, seed=2)
    assert twice is not None and twice.std_error == pytest.approx(sd, rel=0.1)


def test_too_many_failed_draws_give_no_interval() -> None:
    """A refit that fails on every other draw leaves 50 % of the replicates: no interval."""
    calls = iter(range(1000))
    flaky = lambda *_: None if next(calls) % 2 else 1.0  # noqa: E731
    design = Design(np.zeros((10, 0)), np.zeros(10, bool), np.zeros(10), ())
    assert bootstrap_interval(design, np.ones(10, bool), np.arange(10), flaky, replications=20) is None


def _cohort(n: int, seed: int, comparison_pwa: float) -> tuple[pd.DataFrame, float]:
    """A cohort with a known effect (`change_cohorts.cohort_frame`): 90 % of the
    participants have pwa, `comparison_pwa` of the comparison people; pwa lowers the change
    by 0.2 and the chance of a follow-up to 0.4 (0.9 without)."""
    g = np.random.default_rng(seed)
    treated = g.random(n) < 0.2
    pwa = g.random(n) < np.where(treated, 0.9, comparison_pwa)
    return cohort_frame(g, treated, pwa, measured_chance=(0.4, 0.9), pwa_change=-0.2)


def test_few_comparison_people_like_the_participants_get_the_bootstrap() -> None:
    """1,500 rows, about 300 participants (90 % pwa) and 1,200 comparison people of whom 1.5 %
    (about 18, 7 measured) have pwa: the weighted comparison group is worth fewer than 10
    people, so the interval is the person bootstrap's (here 100 draws), wider than the
    influence function's and holding the truth (0.15; estimate -0.24, bootstrap [-0.55, 0.53],
    influence function [-0.72, 0.24]). Without a bootstrap (a run's default, `polku analyse
    --change-bootstrap 0`) the cell is withheld with the reason. With 30 % pwa among the
    comparison people the influence function's interval stays."""
    frame, truth = _cohort(1500, 3, comparison_pwa=0.015)
    weak = next(r for r in item_effects(frame, 0, "weak", by_group=False, bootstrap=100) if r["client_group"] == "all")
    assert weak["effective_comparison"] < MIN_EFFECTIVE_COMPARISON and weak["interval"] == PERSON_BOOTSTRAP
    withheld = next(r for r in item_effects(frame, 0, "weak", by_group=False, bootstrap=0) if r["client_group"] == "all")
    assert withheld["interval"] == WITHHELD_SMALL and "--change-bootstrap" in str(withheld["note"])
    assert all(np.isnan(float(withheld[k])) for k in ("estimate", "ci_low", "ci_high", "estimate_unweighted", "tipping_delta"))
    assert weak["ci_high"] - weak["ci_low"] > 0.96  # the influence function's width, [-0.72, 0.24]
    assert weak["ci_low"] < truth < weak["ci_high"]
    frame, truth = _cohort(1500, 3, comparison_pwa=0.3)
    fine = next(r for r in item_effects(frame, 0, "fine", by_group=False, bootstrap=100) if r["client_group"] == "all")
    assert fine["effective_comparison"] > MIN_EFFECTIVE_COMPARISON and fine["interval"] == INFLUENCE
    assert fine["ci_low"] < truth < fine["ci_high"]


def test_a_row_at_the_size_rule_keeps_its_draws() -> None:
    """The weak cohort cut to exactly 60 measured participants (the size rule's minimum):
    about half of its draws hold fewer than 60, yet each draw is estimated
    (`DRAW_MINIMUM` = 10), so the row has a bootstrap interval, not `bootstrap_failed`."""
    frame, _ = _cohort(1500, 3, comparison_pwa=0.015)
    extra = frame.index[(frame["treated"] & frame["measured"]).to_numpy()][60:]
    cut = frame.drop(extra).reset_index(drop=True)
    row = next(r for r in item_effects(cut, 0, "cut", by_group=False, bootstrap=100) if r["client_group"] == "all")
    assert row["measured_participants"] == 60 and row["interval"] == PERSON_BOOTSTRAP
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
