"""Analysis cohorts from the store: participants of a service and comparable non-participants.

Design (risk-set sampling in calendar time, as in Sianesi 2004 and the UK Employment Data
Lab): a participant enters on the day their episode starts. For each participant, up to
`controls_per_participant` comparison people are drawn at random from those who, on that
same day, are registered job seekers and have not yet started any service (in the order of
a SHA-256 key of person, date and seed, `draw_key`, which any engine can compute). So every
comparison person is measured on a reference date drawn exactly like the participants'
start dates, with the same unemployment-duration clock, and never on information from
after that date. For a service the law reserves for some job seekers (`ELIGIBLE_ONLY`,
rehabilitative work activity) they are drawn only among those the rule allows that day;
a cohort drawn within the services' target groups (`target_group`, the effects on change)
also keeps supported employment's comparison people to its target group
(`TARGET_GROUP_ONLY`).

The estimand this design supports is "starting the service now versus not starting it now":
comparison people may start a service later, as real job seekers do. A comparison person
can be drawn on several dates (as several rows), and a later participant can be a
comparison person before their own start. The analysis row carries `person_id`, so
clustered checks are possible.

Covariates are measured on the start or reference date, and those that change from day to
day (the benefit being paid) on the day before it, so that nothing the start itself
changes leaks in: a wage-subsidised job, for one, stops the unemployment benefit on the
day it begins. They are: age (to the month), sex, mother
tongue, education, partial work ability, municipality, activity before registration,
months unemployed in the previous 36, current unemployment spell length (months, carried
from the spell's start plus time since), the unemployment benefit being paid (type and
payer follow from it) and the one the spell began on (an earnings-related allowance at the
start marks a recent work history even after it has run out and turned into labour market
subsidy), earlier service episodes, calendar year and quarter.

Outcomes over windows of W months (W x 365.25 / 12 days, rounded, the synthetic area's
convention): open-market (unsubsidised) employment on any day of the window, the same at
`min_hours` hours a week or more, days employed, earnings (monthly wage prorated by day),
and exits from the register to education or out of the labour force; and, as a
negative-control outcome, open-market work in the 365 days before the date
(`employed_before_12m`), which no service can have changed. Outcomes whose window
reaches past `as_of` are NULL (right-censored) and `followed_{W}m` is false.

For the "never started" comparison (`polku.cohort.censoring`), each row also carries the
end of the registration spell it was drawn from (`spell_end`), the first service start
after the reference date (`first_service_after`) and its service
(`first_service_code_after`), the first day of open-market work on
or after it (`first_job_day`, within the longest window) and the first exit from the
register to education or out of the labour force (`first_exit_day`), for the
time-to-employment curves (`polku.impact.survival`).

The queries are Ibis expressions (`polku.cohort.draw` for who is compared with whom,
`polku.cohort.measures` for the columns), so the same code runs on DuckDB here and on
another Ibis backend, such as Spark, at national scale; `cohort_table` is the expression,
`build_cohort` runs it on the store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from polku.cohort import measures
from polku.cohort.draw import (
    BASIC_SUPPORT,
    ELIGIBLE_ONLY,
    LONG_TERM_MONTHS,
    RECURRENT_MONTHS_OF_36,
    TARGET_GROUP_CONTROLS,
    TARGET_GROUP_ONLY,
    UNEMPLOYMENT_BENEFITS,
    Rule,
    Tables,
    comparison_draw,
    draw_key,
    draw_pool,
    has_native_sha256,
    own_target_group,
    participants,
)
from polku.cohort.measures import DAYS_PER_MONTH, window_days
from polku.cohort.pool import WHOLE_DAY, Demand, demand_needs, short_days, thin_pool, threshold_table
from polku.cohort.shelf import Shelf
from polku.errors import UsageError
from polku.store.connection import Store

__all__ = [
    "BASIC_SUPPORT",
    "COVARIATES",
    "DAYS_PER_MONTH",
    "LONG_TERM_MONTHS",
    "RECURRENT_MONTHS_OF_36",
    "UNEMPLOYMENT_BENEFITS",
    "WINDOWS",
    "CohortSpec",
    "analysis_rows",
    "CohortBuilder",
    "build_cohort",
    "finished",
    "planned_cohort",
    "service_categories",
    "cohort_table",
    "data_end",
    "services_with_episodes",
    "days_after",
    "draw_key",
    "window_days",
]

WINDOWS = (3, 6, 12, 24)

COVARIATES = (
    "age",
    "sex",
    "mother_tongue_group",
    "education_level",
    "partial_work_ability",
    "municipality_code",
    "activity_before",
    "months_unemployed_prev36",
    "spell_months",
    "benefit",
    "benefit_at_spell_start",
    "prior_episodes",
    "year",
    "quarter",
)
"""Columns an estimator adjusts for (text columns become indicators)."""


@dataclass(frozen=True)
class CohortSpec:
    """Which cohort to build and how."""

    service_code: str
    controls_per_participant: int = 5
    windows: tuple[int, ...] = WINDOWS
    min_hours: float = 18.0
    as_of: dt.date | None = None
    seed: int = 0
    eligible_only: bool = True  # comparison people only among those the service's rule allows (`ELIGIBLE_ONLY`)
    target_group: bool = False
    """With `eligible_only`, draw within the service's target group (`TARGET_GROUP_ONLY`),
    and where that adds a rule to the law's, `TARGET_GROUP_CONTROLS` per participant at least."""


def days_after(later: pd.Series, ref: pd.Series) -> np.ndarray:
    """Days from each row's reference date to a later date column (infinity where none).
    (`cache=False`: pandas' cache first turns thousands of dates into Python objects to
    decide whether to use it, which cost more than the subtraction on large cohorts.)"""
    delta = (pd.to_datetime(later, cache=False) - pd.to_datetime(ref, cache=False)).dt.days
    return delta.to_numpy(dtype=float, na_value=np.inf)


def services_with_episodes(store: Store) -> list[str]:
    """The service codes that have episodes in the store, in order: the services to estimate."""
    episodes = store.table("service_episode")
    return [str(code) for code in episodes.select("service_code").distinct().order_by("service_code").to_pyarrow()[0].to_pylist()]


DATED_TABLES = ("registration_spell", "employment_spell", "benefit_spell", "service_episode")


def data_end(store: Store) -> dt.date:
    """The last date the store knows about: a conservative extraction date."""
    parts = [t.select(d=ibis.greatest(t.start_date, t.end_date.fill_null(t.start_date))) for t in map(store.table, DATED_TABLES)]
    value = ibis.union(*parts).d.max().execute()
    if value is None or pd.isna(value):
        raise UsageError("the store holds no dated rows", fix="import the area's files first (polku import or polku demo).")
    return pd.Timestamp(value).date()


def analysis_rows(
    table: Tables, spec: CohortSpec, category: str, as_of: dt.date, *, native: bool = True, pool: ibis.Table | None = None
) -> ibis.Table:
    """The analysis rows: participants, then the comparison draw, numbered by (treated
    first, date, person, episode) as `row_id`. `native`: the engine's SHA-256 for the draw
    key; `pool`: a `draw_pool` shared by several services (on their start days, with
    `spec.seed`), else one on this service's days."""
    rule, k = draw_plan(spec, category)
    starts = participants(table, spec.service_code, as_of)
    if pool is None:
        pool = draw_pool(table, starts, spec.seed, native=native)
    controls = comparison_draw(table, starts, pool, k, rule)
    order = [ibis.desc("treated"), "ref_date", "person_id", "episode_id"]
    return starts.union(controls).mutate(row_id=ibis.row_number().over(order_by=order))


def draw_plan(spec: CohortSpec, category: str) -> tuple[Rule | None, int]:
    """The rule the comparison people must meet and how many are drawn per participant."""
    own = spec.eligible_only and spec.target_group and own_target_group(category)
    rule = (TARGET_GROUP_ONLY if own else ELIGIBLE_ONLY).get(category) if spec.eligible_only else None
    k = max(spec.controls_per_participant, TARGET_GROUP_CONTROLS) if own else spec.controls_per_participant
    return rule, k


def cohort_table(table: Tables, units: ibis.Table, spec: CohortSpec, as_of: dt.date) -> ibis.Table:
    """The cohort of the analysis rows `units` (`analysis_rows`, cached: each piece joins
    them) as one Ibis table ordered by `row_id`: the covariates, the dates for censoring and
    the outcomes."""
    spells = measures.spell(units, table)
    parts = [
        spells,
        measures.benefit(units, table),
        measures.spell_benefit(units, spells, table),
        measures.prior_episodes(units, table),
        measures.later_service(units, table),
        measures.past_work(units, table),
        measures.job_outcomes(units, table, spec.windows, spec.min_hours),
        measures.exit_outcomes(units, table, spec.windows),
    ]
    joined = units.join(table("person"), "person_id")
    for part in parts:
        joined = joined.left_join(part, "row_id")
    rows = joined.select(*_columns(joined), *_outcomes(joined, spec.windows, as_of))
    return rows.order_by("row_id")


def _columns(r: ibis.Table) -> list[ibis.Value]:
    """The row's identity, covariates and the dates for censoring, in the cohort's order."""
    ref = r.ref_date
    return [
        r.row_id, r.person_id, r.episode_id, r.provider_id, ref, r.treated,
        ((ref.year() - r.birth_year) + (ref.month() - r.birth_month) / 12.0).name("age"),
        r.sex, r.mother_tongue_group, r.education_level, r.partial_work_ability, r.municipality_code,
        r.activity_before.fill_null("other").name("activity_before"),
        r.months_unemployed_prev36.fill_null(0).name("months_unemployed_prev36"),
        r.spell_months.fill_null(0).name("spell_months"),
        r.benefit.fill_null("none").name("benefit"),
        r.benefit_at_spell_start.fill_null("none").name("benefit_at_spell_start"),
        r.prior_episodes.fill_null(0).name("prior_episodes"),
        r.spell_end, r.first_service_after, r.first_service_code_after, r.first_job_day, r.first_exit_day,
        r.employed_before_12m.fill_null(False).name("employed_before_12m"),
        ref.year().cast("string").name("year"),
        (ibis.literal("Q") + ref.quarter().cast("string")).name("quarter"),
    ]  # fmt: skip


OUTCOME_DEFAULTS = {
    "employed": False,
    "employed_hours": False,
    "days_employed": 0,
    "earnings": 0,
    "exit_education": False,
    "exit_out_of_labour_force": False,
}
"""Each window's outcomes, and their value for a followed row with no job or exit."""


def _outcomes(r: ibis.Table, windows: tuple[int, ...], as_of: dt.date) -> list[ibis.Value]:
    """Window [ref, ref + days - 1]; NULL when the window is not yet over on `as_of`."""
    columns = []
    for w in windows:
        followed = r.ref_date <= as_of - dt.timedelta(days=window_days(w) - 1)
        columns.append(followed.name(f"followed_{w}m"))
        for name, default in OUTCOME_DEFAULTS.items():
            value = r[f"{name}_{w}m"].fill_null(default)
            columns.append(ibis.cases((followed, value)).name(f"{name}_{w}m"))
    return columns


def build_cohort(store: Store, spec: CohortSpec) -> pd.DataFrame:
    """One row per participant episode and per sampled comparison (person, reference date)."""
    if spec.controls_per_participant < 1:
        raise UsageError("controls_per_participant must be at least 1")
    category = service_categories(store, spec.service_code)[spec.service_code]
    rows, as_of, table = planned_cohort(store, spec, category)
    return _run_cohort(store, rows, table, spec, as_of)


def service_categories(store: Store, service_code: str | None = None) -> dict[str, str]:
    """Each service code's category; a usage error naming the known codes when `service_code`
    is not one of them."""
    services = store.table("service").select("service_code", "category").execute()
    known = dict(zip(services.service_code, services.category))
    if service_code is not None and service_code not in known:
        raise UsageError(f"unknown service '{service_code}'", fix=f"use one of: {', '.join(sorted(known))}.")
    return known


def _run_cohort(store: Store, rows: ibis.Table, table: Tables, spec: CohortSpec, as_of: dt.date) -> pd.DataFrame:
    """Run the cohort of the analysis rows `rows` on the store, as pandas."""
    with rows.cache() as units:
        cohort = cohort_table(table, units, spec, as_of)
        frame = as_frame(cohort.to_pyarrow(), cohort.schema(), store.uuid_text_columns)
    return finished(frame, spec.service_code, as_of)


def planned_cohort(
    store: Store, spec: CohortSpec, category: str, pool: ibis.Table | None = None
) -> tuple[ibis.Table, dt.date, Tables]:
    """The analysis rows of `spec` (not yet run), the data's end date and the table lookup
    the cohort's pieces share; `build_cohort` runs them, `polku.engine.distribute` on Spark."""
    as_of = spec.as_of or data_end(store)
    table = functools.cache(store.table)  # each lookup asks the engine for the schema
    native = has_native_sha256(store.ibis)
    return analysis_rows(table, spec, category, as_of, native=native, pool=pool), as_of, table


class CohortBuilder:
    """Every service's cohort of one analysis (the same controls, windows, seed and date),
    built once each and on one shared comparison pool.

    Why: the impact, change and other sections all stand on the same per-service cohorts,
    and most of a cohort's cost is the draw's SHA-256 key for every person at risk on
    every start day, which does not depend on the service (`polku.cohort.draw.draw_pool`).
    The pool is computed once, on all services' start days, and kept in the engine until
    `release` (the run calls it when its sections are computed: a cached table left to the
    garbage collector outlives a closed connection); each cohort is the same rows
    `build_cohort` gives."""

    def __init__(self, store: Store, *, seed: int = 0, as_of: dt.date | None = None, controls_per_participant: int = 5) -> None:
        self.store = store
        self.seed, self.controls = seed, controls_per_participant
        self._as_of = as_of
        self._categories: dict[str, str] | None = None
        self._pool: ibis.Table | None = None
        self._frames = Shelf()

    @property
    def as_of(self) -> dt.date:
        """The cohorts' date: the one given, else the store's data end, read on first use
        (a store with no dated rows has none, and a run on it builds no cohort)."""
        if self._as_of is None:
            self._as_of = data_end(self.store)
        return self._as_of

    def release(self) -> None:
        """Drop the shared pool from the engine and the cohorts from the shelf; a later
        cohort computes them again."""
        self._frames.clear()
        if self._pool is not None:
            self.store.ibis._drop_cached_table(self._pool.get_name())
            self._pool = None

    def spec(self, service_code: str, *, target_group: bool = False) -> CohortSpec:
        """The spec every cohort of this builder is built with."""
        return CohortSpec(service_code, self.controls, seed=self.seed, as_of=self.as_of, target_group=target_group)

    def cohort(self, service_code: str, *, target_group: bool = False) -> pd.DataFrame:
        """The service's cohort (`build_cohort`'s frame), built on first use; with
        `target_group`, drawn within the service's target group (`CohortSpec.target_group`),
        the same frame where the target group adds no rule to the law's. Each call reads
        the frame anew from the builder's shelf (`polku.cohort.shelf`)."""
        if self._categories is None:
            self._categories = service_categories(self.store)
        if service_code not in self._categories:
            service_categories(self.store, service_code)  # the usage error naming the known codes
        category = self._categories[service_code]
        own = target_group and own_target_group(category)
        key = f"{service_code}:target_group" if own else service_code
        if key not in self._frames:
            spec = self.spec(service_code, target_group=own)
            rows, as_of, table = planned_cohort(self.store, spec, category, self._shared_pool())
            self._frames.put(key, _run_cohort(self.store, rows, table, spec, as_of))
        return self._frames.get(key)

    def _shared_pool(self) -> ibis.Table:
        """The draw pool on every service's start days up to the builder's date, thinned to
        the keys the services' draws can reach (`polku.cohort.pool`), kept in the engine (a
        temporary table on DuckDB, a cached view on Spark) until `release` or the
        connection's end.

        Why not `Table.cache()`: its garbage-collection finalizer drops the table, and when
        the connection was closed first (a run's store outlives no builder) that drop fails
        as an unraisable error. The backend's own cache primitives, which `cache()` calls,
        make the same table with no finalizer."""
        if self._pool is None:
            table = functools.cache(self.store.table)
            demands = self._demands(table)
            native = has_native_sha256(self.store.ibis)
            needs = demand_needs(demands)
            pool, thresholds = thin_pool(table, demands, needs, self.seed, native=native)
            self._pool = self._kept(pool)
            short = short_days(table, self._pool, demands, needs, thresholds)
            if short:  # about once in a million draw-days: take those days whole
                whole = thresholds[thresholds.ref_date.isin(short)].assign(below=WHOLE_DAY)
                rest = self._pool.filter(~self._pool.ref_date.isin(short))
                whole_days = draw_pool(table, threshold_table(whole), self.seed, native=native)
                thinner, self._pool = self._pool, self._kept(rest.union(whole_days))
                self.store.ibis._drop_cached_table(thinner.get_name())
        return self._pool

    def _kept(self, pool: ibis.Table) -> ibis.Table:
        """`pool` computed and kept in the engine. Its thresholds are an in-memory table,
        which Spark's cache primitive does not register by itself as an execution does."""
        self.store.ibis._run_pre_execute_hooks(pool)
        return self.store.ibis._create_cached_table(f"polku_pool_{uuid.uuid4().hex}", pool)

    def _demands(self, table: Tables) -> list[Demand]:
        """Every draw a cohort of this builder may make: each service's, and where its
        target group adds a rule, the target-group draw too."""
        if self._categories is None:
            self._categories = service_categories(self.store)
        demands = []
        for code, category in sorted(self._categories.items()):
            starts = participants(table, code, self.as_of)
            for variant in (False, True) if own_target_group(category) else (False,):
                rule, k = draw_plan(self.spec(code, target_group=variant), category)
                demands.append(Demand(starts, k, rule))
        return demands


@contextlib.contextmanager
def cohorts_for(store: Store, given: CohortBuilder | None, **options: Any) -> Iterator[CohortBuilder]:
    """The run's cohorts `given`, or a builder made with `options` for this call alone and
    released when it ends (a caller outside a run, such as `polku change` or a test)."""
    if given is not None:
        yield given
        return
    builder = CohortBuilder(store, **options)
    try:
        yield builder
    finally:
        builder.release()


def finished(frame: pd.DataFrame, service_code: str, as_of: dt.date) -> pd.DataFrame:
    """The cohort frame as `build_cohort` returns it: its date and service noted, no row_id."""
    frame.attrs["as_of"] = as_of
    frame.attrs["service_code"] = service_code
    return frame.drop(columns="row_id")


def as_frame(table: pa.Table, schema: ibis.Schema, uuids: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The cohort as pandas, typed as it always was: dates as datetime64[us], person ids as
    `uuid.UUID` (also the text columns named in `uuids`, for an engine without a UUID
    type), a boolean column with missing values as pandas' nullable boolean, an integer
    one as float."""
    frame = table.to_pandas(date_as_object=False, types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.BooleanDtype) and not values.hasnans:
            frame[column] = values.astype(bool)
        elif schema[column].is_date():
            frame[column] = values.astype("datetime64[us]")
        elif schema[column].is_uuid() or column in uuids:
            frame[column] = [None if v is None else uuid.UUID(v) for v in values]
    return frame
