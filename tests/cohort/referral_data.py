"""Simulated comparison people with known never-served outcomes, for the censoring tests:
job and referral times that depend on the covariates in known ways."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from polku.cohort.build import window_days


def rising_referrals(x: np.ndarray) -> np.ndarray:
    """Yearly referral rate that rises with x, as the job rate does."""
    return np.exp(-0.3 + 0.9 * x)


def referrals_at_both_ends(x: np.ndarray) -> np.ndarray:
    """Yearly referral rate of two services, one taking the most employable (high x) and one
    the least: U-shaped in x, as the synthetic area's total referral hazard."""
    return np.exp(-1.0 + 1.5 * x) + np.exp(-1.0 - 1.5 * x)


def comparison_people(
    n: int,
    seed: int,
    months: int = 12,
    referral_rate: Callable[[np.ndarray], np.ndarray] = rising_referrals,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Job and referral times both depend on x: people with high x find work sooner and (by
    default) are referred sooner, so dropping the referred (or keeping them) biases the
    comparison mean. Returns (frame, X, employed within `months` if never served)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    job = rng.exponential(365 / np.exp(0.2 + 0.8 * x))  # days to the first job, never served
    referral = rng.exponential(365 / referral_rate(x))  # days to a service start
    ref = pd.Timestamp("2024-01-15")
    served_first = referral < job
    # a referred person's later job comes sooner (the service works): observed job time changes
    observed_job = np.where(served_first, referral + rng.exponential(60, n), job)
    frame = pd.DataFrame(
        {
            "treated": False,
            "ref_date": ref,
            "first_service_after": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in referral],
            "first_job_day": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in observed_job],
            "spell_end": [ref + pd.Timedelta(days=int(d)) if d < 4000 else pd.NaT for d in np.minimum(job, observed_job)],
        }
    )
    never_served = job < window_days(months)
    return frame, x[:, None], never_served


def long_term_referrals(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Referral jumps when the spell passes 12 months (eligibility for long-term services),
    which happens during follow-up for most people; the chance of work falls with the
    spell's length. A day-by-day simulation of competing job and referral hazards."""
    rng = np.random.default_rng(seed)
    spell0 = rng.integers(0, 12, n).astype(float)  # months unemployed on the reference date
    days = np.arange(window_days(12) + 400)
    months_now = spell0[:, None] + days[None, :] / (365.25 / 12)
    job_hazard = 0.06 * np.exp(-0.08 * spell0)[:, None] / 30.4 * np.ones_like(months_now)
    referral_hazard = np.where(months_now >= 12, 0.25, 0.01) / 30.4
    u_job, u_ref = rng.random((n, len(days))), rng.random((n, len(days)))
    first = lambda hit: np.where(hit.any(axis=1), hit.argmax(axis=1), 10_000)  # noqa: E731
    job, referral = first(u_job < job_hazard), first(u_ref < referral_hazard)
    ref = pd.Timestamp("2024-01-15")
    served_first = referral < job
    observed_job = np.where(served_first, referral + rng.integers(10, 90, n), job)
    as_date = lambda d: [ref + pd.Timedelta(days=int(x)) if x < 4000 else pd.NaT for x in d]  # noqa: E731
    frame = pd.DataFrame(
        {
            "treated": False,
            "ref_date": ref,
            "age": 40.0,
            "spell_months": spell0,
            "months_unemployed_prev36": spell0,
            "first_service_after": as_date(referral),
            "first_job_day": as_date(observed_job),
            "spell_end": as_date(np.minimum(job, observed_job)),
        }
    )
    return frame, spell0[:, None], job < window_days(12)


def eligible_referrals(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Referral jumps only for people who are long-term unemployed AND on basic support
    (as for rehabilitative work activity); other people are rarely referred. People on
    basic support find work less often. A day-by-day simulation as above."""
    rng = np.random.default_rng(seed)
    spell0 = rng.integers(0, 12, n).astype(float)
    basic = rng.random(n) < 0.5
    days = np.arange(window_days(12) + 400)
    months_now = spell0[:, None] + days[None, :] / (365.25 / 12)
    job_hazard = (np.where(basic, 0.04, 0.09) * np.exp(-0.15 * spell0))[:, None] / 30.4 * np.ones_like(months_now)
    referral_hazard = np.where((months_now >= 12) & basic[:, None], 0.20, 0.01) / 30.4
    u_job, u_ref = rng.random((n, len(days))), rng.random((n, len(days)))
    first = lambda hit: np.where(hit.any(axis=1), hit.argmax(axis=1), 10_000)  # noqa: E731
    job, referral = first(u_job < job_hazard), first(u_ref < referral_hazard)
    ref = pd.Timestamp("2024-01-15")
    observed_job = np.where(referral < job, referral + rng.integers(10, 90, n), job)
    as_date = lambda d: [ref + pd.Timedelta(days=int(x)) if x < 4000 else pd.NaT for x in d]  # noqa: E731
    benefit = np.where(basic, "labour_market_subsidy", "earnings_related_allowance")
    frame = pd.DataFrame(
        {
            "treated": False,
            "ref_date": ref,
            "age": 40.0,
            "spell_months": spell0,
            "months_unemployed_prev36": spell0,
            "benefit": benefit,
            "benefit_at_spell_start": benefit,
            "partial_work_ability": False,
            "first_service_after": as_date(referral),
            "first_job_day": as_date(observed_job),
            "spell_end": as_date(np.minimum(job, observed_job)),
        }
    )
    return frame, np.column_stack([spell0, basic]), job < window_days(12)
