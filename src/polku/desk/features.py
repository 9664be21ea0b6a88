"""The feature recipe of the desk's seed model: what is known of a job seeker on a given day.

One recipe, used twice: by `polku analyse`, to learn the chance of work without a service
from past days (`polku.desk.expected.fit_terms`), and by the own desk, to apply the stored
model to each client today (`polku.desk.expected.chances`). Both build the features with
these functions, so the model is applied to exactly what it was fitted on.

The recipe is smaller than the cohort's (`polku.cohort.build.COVARIATES`) on purpose: it
needs only the person, the open registration spell and the service episodes, so the web
can build it for 150 clients in one query. On a day `d` with a registration spell open:
age; sex, mother tongue group and education level (indicators); partial work ability;
months unemployed in the 36 before the spell; the activity before it (indicators); the
months of the current spell, its logarithm (duration dependence) and 12 months or more
(long-term unemployment); and the service episodes started before `d`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd

from polku.cohort.build import LONG_TERM_MONTHS

Tables = Callable[[str], ibis.Table]
DAYS_PER_MONTH = 365.25 / 12
CATEGORIES = ("sex", "mother_tongue_group", "education_level", "activity_before")
NUMERIC = (
    "age",
    "partial_work_ability",
    "months_unemployed_prev36",
    "spell_months",
    "log_spell_months",
    "long_term_unemployed",
    "prior_episodes",
)


def _open_spells(table: Tables, days: ibis.Table) -> ibis.Table:
    """(person_id, ref_date, spell start, months before, activity) for every person-day of `days`
    with a registration spell open that day (the latest-starting one when several)."""
    regs = table("registration_spell")
    joined = days.inner_join(regs, days.person_id == regs.person_id)
    open_ = joined.filter((regs.start_date <= days.ref_date) & (regs.end_date.isnull() | (regs.end_date >= days.ref_date)))
    rank = ibis.row_number().over(group_by=[open_.person_id, open_.ref_date], order_by=ibis.desc(open_.start_date))
    ranked = open_.mutate(_rank=rank)
    return ranked.filter(ranked._rank == 0).select(
        "person_id", "ref_date", spell_start="start_date", months_unemployed_prev36="months_unemployed_prev36",
        activity_before="activity_before",
    )  # fmt: skip


def features(table: Tables, days: ibis.Table) -> pd.DataFrame:
    """The raw features of each (person_id, ref_date) in `days` with a registration open that
    day; one row each, ordered by person and day."""
    return derive(feature_query(table, days).execute())


def feature_query(table: Tables, days: ibis.Table) -> ibis.Table:
    """The query of `features` before `derive` (the web runs it for one person as a prepared query)."""
    spells = _open_spells(table, days)
    person = table("person")
    eps = table("service_episode")
    prior = (
        spells.inner_join(eps, (spells.person_id == eps.person_id) & (eps.start_date < spells.ref_date))
        .group_by(["person_id", "ref_date"])
        .aggregate(prior_episodes=ibis._.episode_id.count())
    )
    rows = spells.inner_join(person, spells.person_id == person.person_id).left_join(
        prior, [spells.person_id == prior.person_id, spells.ref_date == prior.ref_date]
    )
    picked = rows.select(
        spells.person_id, spells.ref_date, spells.spell_start, spells.months_unemployed_prev36, spells.activity_before,
        person.birth_year, person.birth_month, person.sex, person.mother_tongue_group, person.education_level,
        person.partial_work_ability, prior_episodes=prior.prior_episodes.fill_null(0),
    )  # fmt: skip
    return picked.order_by(["person_id", "ref_date"])


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    """The recipe's columns from the raw ones (pure pandas, so a test can give rows by hand)."""
    ref = pd.to_datetime(frame["ref_date"])
    spell = (ref - pd.to_datetime(frame["spell_start"])).dt.days.to_numpy(dtype=float) / DAYS_PER_MONTH
    age = ref.dt.year - frame["birth_year"] + (ref.dt.month - frame["birth_month"]) / 12.0
    return frame.assign(
        ref_date=ref.dt.date,
        age=age.astype(float),
        partial_work_ability=frame["partial_work_ability"].astype(float),
        months_unemployed_prev36=pd.to_numeric(frame["months_unemployed_prev36"], errors="coerce").fillna(0.0).astype(float),
        activity_before=frame["activity_before"].where(frame["activity_before"].notna(), "other").astype(str),
        spell_months=spell,
        log_spell_months=np.log1p(np.maximum(spell, 0.0)),
        long_term_unemployed=(spell >= LONG_TERM_MONTHS).astype(float),
        prior_episodes=frame["prior_episodes"].astype(float),
    )


def term_values(frame: pd.DataFrame, term: str) -> np.ndarray:
    """The values of one model term: a numeric column, or `column=level` as 0/1."""
    if "=" in term:
        column, level = term.split("=", 1)
        return (frame[column].astype(str) == level).to_numpy(dtype=float)
    return frame[term].to_numpy(dtype=float)


def design_terms(frame: pd.DataFrame) -> list[str]:
    """The terms a fit on `frame` uses: the numeric columns, and each category's levels but the first."""
    terms = list(NUMERIC)
    for column in CATEGORIES:
        levels = sorted(frame[column].astype(str).unique())
        terms += [f"{column}={level}" for level in levels[1:]]
    return terms


def matrix(frame: pd.DataFrame, terms: list[str]) -> np.ndarray:
    return np.column_stack([term_values(frame, t) for t in terms]) if len(frame) else np.empty((0, len(terms)))


def person_days(person_ids: list[str], day: dt.date) -> ibis.Table:
    """A small table of (person_id, ref_date): the given people on one day."""
    frame = pd.DataFrame({"person_id": person_ids, "ref_date": [day] * len(person_ids)})
    table = ibis.memtable(frame, schema={"person_id": "string", "ref_date": "date"})
    return table.select(person_id=table.person_id.cast("uuid"), ref_date=table.ref_date)
