"""Comparable indicators per employment area, as Ibis expressions any engine runs.

Why these: they are KEHA's Työllisyyskuva indicators and seed 000's headline metrics,
defined here once so that every area's figure means the same (docs/scale.md gives the
definitions with their sources). All are computed from the register's dated spells over
one frame of time, fixed by the data's end date E (the store's or register's last date):

- **inflow**: registration spells that began in the year (E - 730 d, E - 365 d], so every
  one has a whole year of follow-up;
- **time to open-market work**: days from the spell's start to the first open-market
  (unsubsidised) job starting on or after it, capped at 365 (a restricted mean: the
  mean of a capped time is defined even when some never find work, and is the same on
  every engine, unlike a median);
- **transitions to open-market work at 3, 6 and 12 months**: the share of the inflow whose
  first such job starts within 91, 183 or 365 days (W x 365.25 / 12, as the cohort);
- **inflow to more than 3 months of unemployment** (Työllisyyskuva): inflow spells still
  open 91 days after they began, as a count and a share of the inflow;
- **share of long-term unemployed**: of the spells open on E, those 12 months or more
  long continuously (the months carried at registration plus the months since;
  Statistics Finland's definition);
- **employment and contract coefficients** (seed 000: employed persons / clients and
  employment contracts / clients): the clients are the people whose first service of
  the year (E - 730 d, E - 365 d] began then; employed are those with an open-market job
  starting within 365 days of that start, contracts the number of such jobs.

A store (one area) has no `area` column; its area is named by its teams' `area_id`.
"""

from __future__ import annotations

import datetime as dt

import ibis
from ibis import _

from polku.cohort.draw import Tables, months_between
from polku.cohort.measures import window_days

YEAR = 365
TRANSITION_MONTHS = (3, 6, 12)
LONG_TERM_MONTHS = 12
AREA = "area"
"""The column naming each row's employment area (the register's partition column)."""


def with_area(t: ibis.Table, default: str) -> ibis.Table:
    """The table with its `area` column (a store's one area as `default`)."""
    return t if AREA in t.columns else t.mutate(**{AREA: ibis.literal(default)})


def _open_market_starts(table: Tables, area: str) -> ibis.Table:
    j = with_area(table("employment_spell"), area)
    return j.filter(~j.subsidised).select(AREA, "person_id", job_start=_.start_date)


def inflow(table: Tables, end: dt.date, area: str) -> ibis.Table:
    """One row per inflow spell: area, person, start, the registration's own columns, days
    to the first open-market job (capped at 365) and whether the spell lasted 91 days."""
    r = with_area(table("registration_spell"), area)
    first_day, last_day = end - dt.timedelta(days=2 * YEAR - 1), end - dt.timedelta(days=YEAR)
    spells = r.filter(r.start_date >= first_day, r.start_date <= last_day)
    jobs = _open_market_starts(table, area)
    joined = spells.left_join(
        jobs,
        [spells[AREA] == jobs[AREA], spells.person_id == jobs.person_id, jobs.job_start >= spells.start_date],
    )
    days = joined.job_start.delta(joined.start_date, unit="day")
    keys = [
        AREA,
        "person_id",
        "spell_id",
        "start_date",
        "end_date",
        "activity_before",
        "months_unemployed_prev36",
        "current_spell_months",
    ]
    grouped = joined.select(*[joined[k] for k in keys], days=days).group_by(keys).aggregate(first_job=_.days.min())
    lasted = grouped.end_date.isnull() | (grouped.end_date.delta(grouped.start_date, unit="day") >= window_days(3))
    return grouped.mutate(days_to_work=ibis.least(grouped.first_job.fill_null(YEAR), YEAR), over_3m=lasted)


def flow_indicators(rows: ibis.Table) -> ibis.Table:
    """Per area, from `inflow`'s rows: the inflow, mean capped days to work, the shares
    in work by 3, 6 and 12 months, and the inflow to more than 3 months."""
    measures = {
        "inflow": rows.count(),
        "days_to_work": rows.days_to_work.mean(),
        "over_3m": rows.over_3m.sum(),
        "over_3m_share": rows.over_3m.mean(),
    }
    for w in TRANSITION_MONTHS:
        reached = rows.first_job.notnull() & (rows.first_job < window_days(w))
        measures[f"work_{w}m"] = reached.mean()
    return rows.group_by(AREA).aggregate(**measures)


def stock_indicators(table: Tables, end: dt.date, area: str) -> ibis.Table:
    """Per area: the spells open on the end date and the share 12 months or longer."""
    r = with_area(table("registration_spell"), area)
    open_ = r.filter(r.start_date <= end, r.end_date.isnull() | (r.end_date >= end))
    months = open_.current_spell_months + months_between(open_.start_date, ibis.literal(end))
    long_term = months >= LONG_TERM_MONTHS
    return open_.group_by(AREA).aggregate(open_spells=_.count(), long_term=long_term.sum(), long_term_share=long_term.mean())


def coefficients(table: Tables, end: dt.date, area: str) -> ibis.Table:
    """Per area: service clients of the year, employed clients, contracts, and the two
    coefficients of seed 000."""
    e = with_area(table("service_episode"), area)
    started = e.filter(e.completion_status != "did_not_start")
    first = started.group_by(AREA, "person_id").aggregate(first_start=_.start_date.min())
    first_day, last_day = end - dt.timedelta(days=2 * YEAR - 1), end - dt.timedelta(days=YEAR)
    clients = first.filter(first.first_start >= first_day, first.first_start <= last_day)
    jobs = _open_market_starts(table, area)
    joined = clients.left_join(
        jobs,
        [
            clients[AREA] == jobs[AREA],
            clients.person_id == jobs.person_id,
            jobs.job_start >= clients.first_start,
            jobs.job_start.delta(clients.first_start, unit="day") < YEAR,
        ],
    )
    per_person = joined.group_by([joined[AREA], joined.person_id]).aggregate(contracts=joined.job_start.count())
    out = per_person.group_by(AREA).aggregate(
        service_clients=_.count(), employed_clients=(_.contracts > 0).sum(), contracts=_.contracts.sum()
    )
    return out.mutate(
        employment_coefficient=out.employed_clients / out.service_clients,
        contract_coefficient=out.contracts / out.service_clients,
    )


def area_indicators(table: Tables, end: dt.date, area: str) -> ibis.Table:
    """Every indicator per area, one row each, ordered by area (nulls last)."""
    flows = flow_indicators(inflow(table, end, area))
    stock = stock_indicators(table, end, area)
    coef = coefficients(table, end, area)
    areas = ibis.union(*[t.select(AREA) for t in (flows, stock, coef)], distinct=True)
    joined = areas
    for part in (flows, stock, coef):
        joined = joined.left_join(part, AREA).select(joined, *[part[c] for c in part.columns if c != AREA])
    return joined.order_by(ibis.asc(AREA, nulls_first=False))
