"""Cohorts from an imported synthetic area, checked against the generator's ground truth."""

from __future__ import annotations

import datetime as dt
import uuid

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.cohort.build import BASIC_SUPPORT, COVARIATES, CohortSpec, build_cohort, data_end, draw_key
from polku.cohort.draw import draw_key_expr
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
    # the first later service and its code are that person's first episode after the date
    later = controls.dropna(subset=["first_service_after"]).merge(
        store.con.execute(
            "SELECT person_id, start_date, service_code FROM service_episode WHERE completion_status <> 'did_not_start'"
        ).df(),
        on="person_id",
    )
    later = later[pd.to_datetime(later.start_date) > pd.to_datetime(later.ref_date)].sort_values(["start_date", "service_code"])
    first_later = later.groupby(["person_id", "ref_date"]).first()
    assert len(first_later) > 0
    assert (pd.to_datetime(first_later.first_service_after) == pd.to_datetime(first_later.start_date)).all()
    assert (first_later.first_service_code_after == first_later.service_code).all()


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


def test_benefit_at_spell_start_is_the_spells_first_unemployment_benefit(store: Store) -> None:
    """An earnings-related allowance can only be paid from the spell's start; once it runs
    out the person moves to labour market subsidy, and only the start column still shows
    the earlier work history."""
    cohort = build_cohort(store, CohortSpec("WSUB"))
    pairs = pd.crosstab(cohort.benefit, cohort.benefit_at_spell_start)
    assert pairs.loc["earnings_related_allowance"].drop("earnings_related_allowance", errors="ignore").sum() == 0
    assert pairs.loc["labour_market_subsidy", "earnings_related_allowance"] > 0
    assert pairs.loc["labour_market_subsidy", "basic_unemployment_allowance"] > 0
    # where the spell has no unemployment benefit yet, none is being paid either
    assert (cohort.loc[cohort.benefit_at_spell_start == "none", "benefit"] == "none").all()


def test_the_benefit_is_measured_before_the_start_changes_it(store: Store) -> None:
    """A wage-subsidised job ends the unemployment benefit the day it begins; measured on
    the start day itself, every participant would show 'none' and the covariate would
    separate them from the comparison people perfectly."""
    cohort = build_cohort(store, CohortSpec("WSUB"))
    paid = cohort.benefit != "none"
    assert paid[cohort.treated].mean() > 0.5
    assert abs(paid[cohort.treated].mean() - paid[~cohort.treated].mean()) < 0.25


def test_same_seed_same_comparison_people(store: Store) -> None:
    first = build_cohort(store, CohortSpec("REHAB", seed=4))
    second = build_cohort(store, CohortSpec("REHAB", seed=4))
    other = build_cohort(store, CohortSpec("REHAB", seed=5))
    assert first.equals(second)
    assert not first.person_id.equals(other.person_id)


def test_draw_key_known_answer() -> None:
    """SHA-256 of the text the key is defined on, from coreutils:
    printf '%s' 'polku-comparison-draw:0:12345678-9abc-def0-1234-56789abcdef0:2024-03-05' | sha256sum"""
    key = draw_key("12345678-9abc-def0-1234-56789abcdef0", dt.date(2024, 3, 5), 0)
    assert key == "ebd96b2e02594feccfcdbafd52db983f29e30916f218c07fe7d464a4ac169533"


@settings(max_examples=40, deadline=None)
@given(st.uuids(), st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)), st.integers(-(2**31), 2**31 - 1))
def test_the_ibis_draw_key_equals_the_python_reference(person: uuid.UUID, day: dt.date, seed: int) -> None:
    """The Ibis expression the cohort runs gives the pure-Python key, for the UUID person ids
    the store holds: with the engine's SHA-256 and with the Python UDF a backend without one
    would run."""
    rows = ibis.memtable({"p": [str(person)], "d": [day]}).mutate(p=ibis._.p.cast("uuid"))
    con = ibis.duckdb.connect()
    for native in (True, False):
        key = con.execute(rows.select(k=draw_key_expr(rows.p, rows.d, seed, native=native)))["k"].iloc[0]
        assert key == draw_key(str(person), day, seed)
    con.disconnect()


def test_the_comparison_people_are_the_at_risk_people_with_the_smallest_keys(store: Store) -> None:
    """Redraw the comparison of a few dates in Python from the store's tables and
    `draw_key` alone: the same people, so another engine can reproduce the draw."""
    k, seed = 2, 9
    cohort = build_cohort(store, CohortSpec("WTRIAL", controls_per_participant=k, seed=seed))  # no eligibility rule
    spells = store.con.execute("SELECT person_id, start_date, end_date FROM registration_spell").df()
    first = store.con.execute(
        "SELECT person_id, min(start_date) AS first FROM service_episode WHERE completion_status <> 'did_not_start' GROUP BY 1"
    ).df()
    spells = spells.merge(first, on="person_id", how="left")
    dates = sorted(cohort.loc[cohort.treated, "ref_date"].unique())
    for day in dates[:: max(len(dates) // 6, 1)]:
        when = pd.Timestamp(day)
        open_ = (spells.start_date <= when) & (spells.end_date.isna() | (spells.end_date >= when))
        at_risk = spells[open_ & (spells["first"].isna() | (spells["first"] > when))].person_id.astype(str)
        keys = sorted((draw_key(p, when.date(), seed), p) for p in at_risk)
        starting = int((cohort.treated & (cohort.ref_date == day)).sum())
        expected = [p for _, p in keys[: k * starting]]
        drawn = cohort.loc[~cohort.treated & (cohort.ref_date == day), "person_id"].astype(str)
        assert sorted(drawn) == sorted(expected) and len(expected) > 0


def test_rehabilitative_work_is_compared_with_people_the_law_allows_it_for(store: Store) -> None:
    """Rehabilitative work activity is for long-term unemployed people on basic support
    (Act 189/2001): the generator refers no one else, so every participant meets the rule,
    and with `eligible_only` every comparison person does too, by the cohort's own
    covariates; without it most comparison people do not."""

    def eligible(cohort: pd.DataFrame) -> pd.Series:
        long_term = (cohort.spell_months >= 12) | (cohort.months_unemployed_prev36 >= 24)
        return long_term & cohort.benefit_at_spell_start.isin(BASIC_SUPPORT)

    restricted = build_cohort(store, CohortSpec("REHAB", seed=3))
    everyone = build_cohort(store, CohortSpec("REHAB", seed=3, eligible_only=False))
    assert eligible(restricted[restricted.treated]).all() and eligible(restricted).all()
    assert eligible(everyone[~everyone.treated]).mean() < 0.5
    # the same number drawn, but for dates with fewer eligible people at risk than k per participant
    assert 0.8 * (~everyone.treated).sum() <= (~restricted.treated).sum() <= (~everyone.treated).sum()
    coaching = build_cohort(store, CohortSpec("COACH", seed=3))  # no rule: everyone at risk
    assert not eligible(coaching[~coaching.treated]).all()


def test_unknown_service_is_a_usage_error(store: Store) -> None:
    from polku.errors import UsageError

    with pytest.raises(UsageError, match="unknown service 'NOPE'"):
        build_cohort(store, CohortSpec("NOPE"))
    assert isinstance(data_end(store), dt.date)
