"""Inverse probability of censoring weights on a simulation with a known never-served outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cohort.build import window_days
from polku.cohort.censoring import censoring_weights


def _comparison_people(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Job and referral times both depend on x: people with high x find work sooner AND are
    referred sooner, so dropping the referred (or keeping them) biases the comparison mean.
    Returns (frame, X, employed within 12 months if never served)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    job = rng.exponential(365 / np.exp(0.2 + 0.8 * x))  # days to the first job, never served
    referral = rng.exponential(365 / np.exp(-0.3 + 0.9 * x))  # days to a service start
    ref = pd.Timestamp("2024-01-15")
    served_first = referral < job
    # a referred person's later job comes sooner (the service works): observed job time changes
    observed_job = np.where(served_first, referral + rng.exponential(60, n), job)
    frame = pd.DataFrame({
        "treated": False,
        "ref_date": ref,
        "first_service_after": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in referral],
        "first_job_day": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in observed_job],
        "spell_end": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in np.minimum(job, observed_job)],
    })
    never_served = job < window_days(12)
    return frame, x[:, None], never_served


def test_weights_recover_the_never_served_employment_rate() -> None:
    frame, X, never_served = _comparison_people(20000, seed=1)
    truth = never_served.mean()
    w = censoring_weights(frame, X, 12)
    observed = pd.to_datetime(frame.first_job_day).sub(frame.ref_date).dt.days.to_numpy(dtype=float, na_value=np.inf) < window_days(12)
    weighted = float((w * observed).sum() / w.sum())
    kept = w > 0
    assert abs(weighted - truth) < 0.01
    assert abs(observed[kept].mean() - truth) > 0.03  # dropping the referred: biased
    assert abs(observed.mean() - truth) > 0.03  # ignoring referrals: biased (the service helped them)
    assert (w[~kept] == 0).all() and (w[kept] >= 1).all()


def test_participants_keep_weight_one_and_nobody_is_censored_after_settling() -> None:
    frame, X, _ = _comparison_people(3000, seed=2)
    frame.loc[:99, "treated"] = True
    w = censoring_weights(frame, X, 12)
    assert (w[:100] == 1).all()
    days = lambda c: pd.to_datetime(frame[c]).sub(frame.ref_date).dt.days.to_numpy(dtype=float, na_value=np.inf)  # noqa: E731
    job_first = days("first_job_day") <= days("first_service_after")
    assert (w[100:][job_first[100:]] > 0).all()
