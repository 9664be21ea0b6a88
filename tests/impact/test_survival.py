"""Time-to-employment curves against hand-computed Kaplan-Meier and Aalen-Johansen values."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter

from polku.impact.survival import (
    CENSORED,
    OTHER_EXIT,
    WORK,
    VectorisedAalenJohansen,
    cumulative_incidence,
    kaplan_meier,
    untie,
)
from polku.pipeline.store_views import time_to_work

# days 1..5: work, other exit, work, censored, work
DURATION = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
EVENT = np.array([WORK, OTHER_EXIT, WORK, CENSORED, WORK])


def test_kaplan_meier_by_hand() -> None:
    """S(1) = 4/5; day 2's exit is censored here; S(3) = 0.8 * 2/3; S(5) = 0."""
    curve = kaplan_meier(DURATION, EVENT)
    assert curve.at(1) == pytest.approx(0.8)
    assert curve.at(2.5) == pytest.approx(0.8)
    assert curve.at(3) == pytest.approx(0.8 * 2 / 3)
    assert curve.at(5) == pytest.approx(0.0)
    assert curve.n == 5


def test_cumulative_incidence_by_hand() -> None:
    """Aalen-Johansen: F(1) = 1/5; the exit on day 2 leaves S = 0.6; F(3) = 0.2 + 0.6/3;
    F(5) = 0.4 + 0.4 * 1/1 = 0.8 (the remaining 0.2 left for other reasons)."""
    curve = cumulative_incidence(DURATION, EVENT)
    assert curve.at(1) == pytest.approx(0.2, abs=1e-4)
    assert curve.at(3) == pytest.approx(0.4, abs=1e-4)
    assert curve.at(5) == pytest.approx(0.8, abs=1e-4)
    banded = np.isfinite(curve.low) & np.isfinite(curve.high)  # no band where nobody is at risk
    assert banded.sum() >= 4
    assert (curve.low[banded] <= curve.value[banded]).all() and (curve.value[banded] <= curve.high[banded]).all()


def test_weights_count_as_copies() -> None:
    """A weight of 2 is the same as the row twice."""
    weighted = kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([WORK, WORK, CENSORED]), weights=np.array([2.0, 1.0, 1.0]))
    copied = kaplan_meier(np.array([1.0, 1.0, 2.0, 3.0]), np.array([WORK, WORK, WORK, CENSORED]))
    assert weighted.at(1) == pytest.approx(copied.at(1)) and weighted.at(2) == pytest.approx(copied.at(2))


def test_time_to_work_codes_events_and_censoring() -> None:
    ref = pd.Timestamp("2024-01-01")
    day = lambda n: ref + pd.Timedelta(days=n)  # noqa: E731
    frame = pd.DataFrame(
        {
            "ref_date": [ref] * 5,
            "treated": [True, True, False, False, True],
            "first_job_day": [day(40), day(90), day(200), pd.NaT, pd.NaT],
            "first_exit_day": [pd.NaT, day(30), pd.NaT, pd.NaT, pd.NaT],
            "first_service_after": [pd.NaT, pd.NaT, day(100), pd.NaT, day(10)],
        }
    )
    out = time_to_work(frame, dt.date(2024, 12, 31))
    assert out.event.tolist() == [WORK, OTHER_EXIT, CENSORED, CENSORED, CENSORED]
    # job at 40; exit at 30 before the job; comparison person's later service censors at 100;
    # no event: censored at the data end (365 days); a participant's later service does not censor
    assert out.duration.tolist() == [40, 30, 100, 365, 365]


def test_ties_are_spread_deterministically_within_a_day() -> None:
    from polku.impact.survival import untie

    spread = untie(np.array([3.0, 3.0, 1.0, 3.0, 2.0]), np.array([WORK, OTHER_EXIT, WORK, CENSORED, WORK]))
    assert spread.tolist() == pytest.approx([3.0, 3.000001, 1.0, 3.0, 2.0])


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(3, 400),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
)
def test_vectorised_band_equals_lifelines(size: int, seed: int, weighted: bool) -> None:
    """The Aalen-Johansen band by cumulative sums (`VectorisedAalenJohansen`) is lifelines'
    own loop's (Collett's Greenwood variance, log(-log) band): the same variance and limits on
    any data, ties and weights included, to rounding in the last bit."""
    rng = np.random.default_rng(seed)
    duration = rng.integers(1, 60, size).astype(float)
    event = rng.choice([CENSORED, WORK, OTHER_EXIT], size, p=[0.3, 0.5, 0.2])
    weights = rng.uniform(0.1, 5.0, size) if weighted else None
    fits = []
    for fitter in (AalenJohansenFitter(alpha=0.05, seed=0), VectorisedAalenJohansen(alpha=0.05, seed=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # lifelines divides by 0 where all at risk have the event
            fitter.fit(untie(duration, event), event, event_of_interest=WORK, weights=weights, label="cif")
        fits.append(fitter)
    theirs, ours = fits
    assert list(ours.confidence_interval_.columns) == list(theirs.confidence_interval_.columns)
    assert ours.variance_.index.equals(theirs.variance_.index)
    # Both evaluate the Greenwood sum as an expanded quadratic, whose terms can be far larger than
    # the sum where few are at risk (with weights, n - d can be tiny): rounding is relative to them.
    table, f = theirs.event_table, theirs.cumulative_density_.iloc[:, 0].to_numpy()
    d, n = table["observed"].to_numpy(dtype=float), table["at_risk"].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        a = d / n / (n - d)
        scale = np.cumsum(a * f**2) + np.abs(np.cumsum(2 * a * f) * f) + np.cumsum(a) * f**2 + 1.0
    finite = np.isfinite(scale)
    v_ours, v_theirs = ours.variance_.to_numpy(), theirs.variance_.to_numpy()
    assert np.all(np.abs(v_ours[finite] - v_theirs[finite]) <= 1e-12 * scale[finite])
    assert np.array_equal(np.isnan(v_ours[~finite]), np.isnan(v_theirs[~finite]))
    conditioned = finite & (v_theirs > 1e-6 * scale)  # where the variance is more than rounding
    np.testing.assert_allclose(
        ours.confidence_interval_.to_numpy()[conditioned], theirs.confidence_interval_.to_numpy()[conditioned], rtol=1e-9
    )
