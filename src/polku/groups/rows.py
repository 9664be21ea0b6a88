"""The person-dates a client's group is decided on: at registration, 6 and 12 months later
while still registered, and at the start of each service episode.

Why these dates: seed 000 assigns a group when the client arrives (part 2) and re-assesses
the service need later (part 3); a group that changes often is a weak basis for a service
menu, so the stability over time is reported. A service's participants are grouped on the
episode's start date, which is what the case worker knew when referring.

The covariates on each date are the analysis cohort's (`polku.cohort.build`, the same Ibis
pieces, so the seed model sees exactly what the impact estimates adjust for). One variable
is added for the rules, `benefit_payer`: the payer of the first unemployment benefit of the
current registration spell begun before the date, or within the spell's first 31 days
(a benefit is decided after the waiting days, so on the day of registration none is paid
yet): `kela` (basic allowance, labour market subsidy), `unemployment_fund`
(earnings-related) or `none`.
"""

from __future__ import annotations

import datetime as dt
import functools

import ibis
import numpy as np
import pandas as pd
from ibis import _

from polku.cohort.build import CohortSpec, as_frame, cohort_table, data_end
from polku.cohort.draw import UNEMPLOYMENT_BENEFITS, Tables
from polku.cohort.features import with_labour_market_terms
from polku.cohort.measures import window_days
from polku.store.connection import Store

CHECKPOINTS = (0, 6, 12)
"""Months after registration at which a still-registered client's group is decided again."""
EPISODE = "episode"
PAYERS = {
    "earnings_related_allowance": "unemployment_fund",
    "basic_unemployment_allowance": "kela",
    "labour_market_subsidy": "kela",
}
BENEFIT_GRACE_DAYS = 31


def at(months: int) -> str:
    """The row kind of a checkpoint: `at_0` (registration), `at_6`, `at_12`."""
    return f"at_{months}"


def _spell_rows(table: Tables, months: int, as_of: dt.date) -> ibis.Table:
    r = table("registration_spell")
    ref = r.start_date + ibis.interval(days=window_days(months)) if months else r.start_date
    rows = r.filter(ref <= as_of, r.end_date.isnull() | (r.end_date >= ref))
    return rows.select(
        r.person_id,
        episode_id=ibis.null("string"),
        provider_id=ibis.null("string"),
        ref_date=ref.cast("date"),
        treated=ibis.literal(False),
        kind=ibis.literal(at(months)),
        spell_id=r.spell_id,
        service_code=ibis.null("string"),
        completion_status=ibis.null("string"),
    )


def _episode_rows(table: Tables, as_of: dt.date) -> ibis.Table:
    e = table("service_episode")
    return e.filter(e.start_date <= as_of).select(
        e.person_id,
        e.episode_id,
        e.provider_id,
        ref_date=e.start_date,
        treated=ibis.literal(True),
        kind=ibis.literal(EPISODE),
        spell_id=ibis.null("string"),
        service_code=e.service_code,
        completion_status=e.completion_status,
    )


def units(table: Tables, as_of: dt.date) -> ibis.Table:
    """Every person-date, numbered as `row_id` (by kind, date, person, spell and episode)."""
    parts = [_spell_rows(table, m, as_of) for m in CHECKPOINTS] + [_episode_rows(table, as_of)]
    rows = ibis.union(*parts)
    order = ["kind", "ref_date", "person_id", "spell_id", "episode_id"]
    return rows.mutate(row_id=ibis.row_number().over(order_by=order))


def benefit_payer(units: ibis.Table, table: Tables) -> ibis.Table:
    """Per row: the first unemployment benefit of the spell running on the date, begun before
    the date or in the spell's first 31 days (see the module docstring)."""
    r, b = table("registration_spell"), table("benefit_spell")
    spells = units.join(r, [r.person_id == units.person_id, r.start_date <= units.ref_date])
    spells = spells.select(units.row_id, units.ref_date, units.person_id, spell_start=r.start_date)
    ranked = spells.mutate(_rank=ibis.row_number().over(group_by="row_id", order_by=ibis.desc("spell_start")))
    spells = ranked.filter(ranked._rank == 0).drop("_rank")
    limit = ibis.greatest(spells.ref_date, spells.spell_start + ibis.interval(days=BENEFIT_GRACE_DAYS + 1))
    joined = spells.join(
        b,
        [
            b.person_id == spells.person_id,
            b.start_date >= spells.spell_start,
            b.start_date < limit,
            b.benefit_type.isin(UNEMPLOYMENT_BENEFITS),
        ],
    )
    rows = joined.select(spells.row_id, first=b.start_date, first_benefit=b.benefit_type)
    return rows.group_by("row_id").aggregate(first_benefit=_.first_benefit.argmin(_.first))


def group_rows(store: Store, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per person-date with the cohort's covariates, the 12-month outcome, the row's
    kind, spell, service and status, and `benefit_payer`."""
    as_of = as_of or data_end(store)
    table = functools.cache(store.table)
    with units(table, as_of).cache() as cached:
        spec = CohortSpec("", windows=(12,), as_of=as_of)
        rows = cohort_table(table, cached, spec, as_of)
        extra = cached.select("row_id", "kind", "spell_id", "service_code", "completion_status")
        rows = rows.join(extra, "row_id").left_join(benefit_payer(cached, table), "row_id")
        rows = rows.drop("row_id_right") if "row_id_right" in rows.columns else rows
        frame = as_frame(rows.order_by("row_id").to_pyarrow(), rows.schema())
    payer = frame["first_benefit"].map(PAYERS).fillna("none")
    return with_labour_market_terms(frame.assign(benefit_payer=payer)).drop(columns=["first_benefit"])


def variables(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The rule variables (`polku.groups.rules.VARIABLES`) of each row."""
    return {
        "age": frame["age"].to_numpy(dtype=float),
        "education": frame["education_level"].to_numpy(dtype=object),
        "months_unemployed_prev36": frame["months_unemployed_prev36"].to_numpy(dtype=float),
        "spell_months": frame["spell_months"].to_numpy(dtype=float),
        "benefit_payer": frame["benefit_payer"].to_numpy(dtype=object),
        "activity_before": frame["activity_before"].to_numpy(dtype=object),
        "partial_work_ability": frame["partial_work_ability"].to_numpy(dtype=object),
    }


def empty_rows() -> pd.DataFrame:
    """The grouped rows of a store with no registrations: no rows, every column used."""
    dates = ("ref_date", "first_service_after", "spell_end")
    floats = ("age", "spell_months", "seed_chance", "prior_episodes")
    text = ("kind", "spell_id", "person_id", "service_code", "completion_status", "education_level", "benefit_payer")
    columns = {c: pd.Series([], dtype="datetime64[us]") for c in dates} | {c: pd.Series([], dtype=float) for c in floats}
    columns |= {c: pd.Series([], dtype=object) for c in (*text, "rule_group", "seed_model_group")}
    columns |= {"followed_12m": pd.Series([], dtype=bool), "employed_12m": pd.Series([], dtype=float)}
    return pd.DataFrame(columns)
