"""Cohorts from an imported synthetic area, checked against the generator's ground truth."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from polku.cohort.build import COVARIATES, CohortSpec, build_cohort, data_end
from polku.store import Store


def test_participants_are_the_service_episodes(store: Store, truth: pd.DataFrame) -> None:
    cohort = build_cohort(store, CohortSpec("COACH"))
    participants = cohort[cohort.treated]
    expected = set(truth.loc[truth.service_code == "COACH", "episode_id"])
    assert set(participants.episode_id) == expected
    joined = participants.merge(truth, on="episode_id")
    assert (pd.to_datetime(joined.ref_date) == pd.to_datetime(joined.start_date)).all()


def test_observed_outcomes_of_participants_equal_the_with_service_truth(store: Store, truth: pd.DataFrame) -> None:
    """The observed world is the with-service world: every followed participant's
    employment outcomes must match the generator's, exactly."""
    cohort = build_cohort(store, CohortSpec("IPS"))
    joined = cohort[cohort.treated].merge(truth, on="episode_id")
    for months in (3, 6, 12):
        followed = joined[joined[f"followed_{months}m"]]
        assert len(followed) > 50
        assert (followed[f"employed_{months}m"].astype(bool) == followed[f"employed_{months}m_with"].astype(bool)).all()
    followed = joined[joined["followed_12m"]]
    assert (followed["days_employed_12m"] == followed["days_employed_12m_with"]).all()


def test_comparison_people_are_registered_and_not_yet_served_on_their_reference_date(store: Store) -> None:
    cohort = build_cohort(store, CohortSpec("TRAIN", controls_per_participant=3, seed=2))
    controls = cohort[~cohort.treated]
    participants = cohort[cohort.treated]
    assert 0 < len(controls) <= 3 * len(participants)
    assert set(controls.ref_date) <= set(participants.ref_date)
    first = store.con.execute("SELECT person_id, min(start_date) AS first FROM service_episode GROUP BY 1").df()
    served = controls.merge(first, on="person_id", how="left")
    assert (served["first"].isna() | (pd.to_datetime(served["first"]) > pd.to_datetime(served["ref_date"]))).all()
    # the registration spell they were drawn from is still open on the reference date
    assert (controls.spell_end.isna() | (pd.to_datetime(controls.spell_end) >= pd.to_datetime(controls.ref_date))).all()


def test_windows_past_the_data_end_are_censored(store: Store) -> None:
    end = data_end(store)
    cohort = build_cohort(store, CohortSpec("WTRIAL"))
    late = pd.to_datetime(cohort.ref_date) + pd.Timedelta(days=365) > pd.Timestamp(end)
    assert late.any() and (~late).any()
    assert cohort.loc[late, "employed_12m"].isna().all() and not cohort.loc[late, "followed_12m"].any()
    assert cohort.loc[~late, "employed_12m"].notna().all()


def test_covariates_are_complete_and_sensible(store: Store) -> None:
    cohort = build_cohort(store, CohortSpec("COACH"))
    assert cohort[list(COVARIATES)].notna().all().all()
    assert cohort.age.between(15, 66).all()
    assert set(cohort.benefit) <= {"earnings_related_allowance", "basic_unemployment_allowance", "labour_market_subsidy", "none"}
    assert (cohort.spell_months >= 0).all()


def test_same_seed_same_comparison_people(store: Store) -> None:
    first = build_cohort(store, CohortSpec("REHAB", seed=4))
    second = build_cohort(store, CohortSpec("REHAB", seed=4))
    other = build_cohort(store, CohortSpec("REHAB", seed=5))
    assert first.equals(second)
    assert not first.person_id.equals(other.person_id)


def test_unknown_service_is_a_usage_error(store: Store) -> None:
    from polku.errors import UsageError

    with pytest.raises(UsageError, match="unknown service 'NOPE'"):
        build_cohort(store, CohortSpec("NOPE"))
    assert isinstance(data_end(store), dt.date)
