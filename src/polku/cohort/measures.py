"""The cohort's covariates and outcomes for each analysis row, as Ibis expressions.

`polku.cohort.build` says what each column means and why it is measured when it is. Each
piece here is one small query keyed by the analysis row (`row_id`), left-joined onto the
rows at the end, so that each can be read and tested on its own and any Ibis backend runs
them. Days are counted from the row's reference date as integers (`_days`), so no engine's
date-plus-interval type rules enter the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
from ibis import _

from polku.cohort.draw import UNEMPLOYMENT_BENEFITS, Tables, months_between

DAYS_PER_MONTH = 365.25 / 12
LAST_DAY = dt.date(9999, 12, 31)
"""An open spell's end, for the day arithmetic."""
EXIT_REASONS = ("education", "out_of_labour_force")


def window_days(months: int) -> int:
    """Days in a window of `months` months (W x 365.25 / 12, rounded)."""
    return int(round(months * DAYS_PER_MONTH))


def _days(day: ibis.Value, ref_date: ibis.Value) -> ibis.Value:
    """Days from the reference date to `day` (negative before it)."""
    return day.delta(ref_date, unit="day")


def _first(rows: ibis.Table, order: Sequence[ibis.Value | str]) -> ibis.Table:
    """Each row_id's first row in `order` (the keys must make it unique to be reproducible)."""
    ranked = rows.mutate(_rank=ibis.row_number().over(group_by="row_id", order_by=list(order)))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def spell(units: ibis.Table, table: Tables) -> ibis.Table:
    """The registration spell running on the reference date (the latest begun by then)."""
    r = table("registration_spell")
    joined = units.join(r, [r.person_id == units.person_id, r.start_date <= units.ref_date])
    rows = joined.select(
        units.row_id,
        r.activity_before,
        r.months_unemployed_prev36,
        spell_start=r.start_date,
        spell_end=r.end_date,
        spell_months=r.current_spell_months + months_between(r.start_date, units.ref_date),
    )
    return _first(rows, [ibis.desc("spell_start")])


def benefit(units: ibis.Table, table: Tables) -> ibis.Table:
    """The unemployment benefit paid on the day before the reference date (the latest begun)."""
    b = table("benefit_spell")
    joined = units.join(
        b,
        [
            b.person_id == units.person_id,
            b.start_date < units.ref_date,
            b.end_date.isnull() | (_days(b.end_date, units.ref_date) >= -1),
            b.benefit_type.isin(UNEMPLOYMENT_BENEFITS),
        ],
    )
    rows = joined.select(units.row_id, benefit_start=b.start_date, benefit=b.benefit_type)
    return _first(rows, [ibis.desc("benefit_start")]).select("row_id", "benefit")


def spell_benefit(units: ibis.Table, spells: ibis.Table, table: Tables) -> ibis.Table:
    """The first unemployment benefit of the current spell, begun before the reference date."""
    b = table("benefit_spell")
    joined = units.join(spells, "row_id").join(
        b,
        [
            b.person_id == units.person_id,
            b.start_date >= spells.spell_start,
            b.start_date < units.ref_date,
            b.benefit_type.isin(UNEMPLOYMENT_BENEFITS),
        ],
    )
    rows = joined.select(units.row_id, benefit_start=b.start_date, benefit_at_spell_start=b.benefit_type)
    return _first(rows, ["benefit_start"]).select("row_id", "benefit_at_spell_start")


def prior_episodes(units: ibis.Table, table: Tables) -> ibis.Table:
    """Service episodes begun before the reference date (started or not)."""
    e = table("service_episode")
    joined = units.join(e, [e.person_id == units.person_id, e.start_date < units.ref_date])
    return joined.select(units.row_id, e.episode_id).group_by("row_id").aggregate(prior_episodes=_.episode_id.count())


def _open_market(table: Tables) -> ibis.Table:
    """Unsubsidised employment spells, an open end as `LAST_DAY`."""
    j = table("employment_spell")
    return j.filter(~j.subsidised).mutate(end_date=j.end_date.fill_null(LAST_DAY))


def past_work(units: ibis.Table, table: Tables) -> ibis.Table:
    """Open-market work in the 365 days before the reference date (the negative control)."""
    j = _open_market(table)
    joined = units.join(
        j, [j.person_id == units.person_id, j.start_date < units.ref_date, _days(j.end_date, units.ref_date) >= -365]
    )
    return joined.select(units.row_id).distinct().mutate(employed_before_12m=ibis.literal(True))


def later_service(units: ibis.Table, table: Tables) -> ibis.Table:
    """The first service start after the reference date, and its service."""
    e = table("service_episode")
    joined = units.join(
        e, [e.person_id == units.person_id, e.start_date > units.ref_date, e.completion_status != "did_not_start"]
    )
    rows = joined.select(units.row_id, first_service_after=e.start_date, first_service_code_after=e.service_code)
    return _first(rows, ["first_service_after", "first_service_code_after"])


def job_outcomes(units: ibis.Table, table: Tables, windows: tuple[int, ...], min_hours: float) -> ibis.Table:
    """Per row: the first day of open-market work on or after the date (within the longest
    window), and per window W: any work, any at `min_hours` a week or more, days employed
    and earnings (the monthly wage prorated by day), before censoring."""
    j = _open_market(table)
    joined = units.join(
        j,
        [
            j.person_id == units.person_id,
            j.end_date >= units.ref_date,
            _days(j.start_date, units.ref_date) < window_days(max(windows)),
        ],
    )
    jobs = joined.select(
        units.row_id,
        first_day=ibis.greatest(j.start_date, units.ref_date),
        start=_days(j.start_date, units.ref_date),
        end=_days(j.end_date, units.ref_date),
        weekly_hours=j.weekly_hours,
        monthly_wage=j.monthly_wage,
    )
    aggregates = {"first_job_day": jobs.first_day.min()}
    for w in windows:
        overlap = ibis.greatest(ibis.least(jobs.end, window_days(w) - 1) - ibis.greatest(jobs.start, 0) + 1, 0)
        aggregates |= {
            f"employed_{w}m": jobs.count(where=overlap > 0) > 0,
            f"employed_hours_{w}m": jobs.count(where=(overlap > 0) & (jobs.weekly_hours >= min_hours)) > 0,
            f"days_employed_{w}m": overlap.sum(),
            f"earnings_{w}m": (overlap * jobs.monthly_wage.fill_null(0) / DAYS_PER_MONTH).sum().round(2),
        }
    return jobs.group_by("row_id").aggregate(**aggregates)


def exit_outcomes(units: ibis.Table, table: Tables, windows: tuple[int, ...]) -> ibis.Table:
    """Per row: the first exit from the register to education or out of the labour force on
    or after the date, and per window and reason whether one falls in the window."""
    r = table("registration_spell")
    joined = units.join(r, [r.person_id == units.person_id, r.end_date >= units.ref_date, r.end_reason.isin(EXIT_REASONS)])
    exits = joined.select(units.row_id, r.end_date, r.end_reason, day=_days(r.end_date, units.ref_date))
    aggregates = {"first_exit_day": exits.end_date.min()}
    for w in windows:
        aggregates |= {
            f"exit_{reason}_{w}m": ((exits.day <= window_days(w) - 1) & (exits.end_reason == reason)).any()
            for reason in EXIT_REASONS
        }
    return exits.group_by("row_id").aggregate(**aggregates)
