"""Analysis cohorts from the store: participants of a service and comparable non-participants.

Design (risk-set sampling in calendar time, as in Sianesi 2004 and the UK Employment Data
Lab): a participant enters on the day their episode starts. For each participant, up to
`controls_per_participant` comparison people are drawn at random from those who, on that
same day, are registered job seekers and have not yet started any service (in the order of
a SHA-256 key of person, date and seed, `draw_key`, which any engine can compute). So every
comparison person is measured on a reference date drawn exactly like the participants'
start dates, with the same unemployment-duration clock, and never on information from
after that date. For a service the law reserves for some job seekers (`ELIGIBLE_ONLY`,
rehabilitative work activity) they are drawn only among those the rule allows that day.

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
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from polku.errors import UsageError
from polku.store.connection import Store

WINDOWS = (3, 6, 12, 24)
DAYS_PER_MONTH = 365.25 / 12
NOT_YET_SERVED = "not_yet_served"

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


def window_days(months: int) -> int:
    return int(round(months * DAYS_PER_MONTH))


def days_after(later: pd.Series, ref: pd.Series) -> np.ndarray:
    """Days from each row's reference date to a later date column (infinity where none)."""
    delta = (pd.to_datetime(later) - pd.to_datetime(ref)).dt.days
    return delta.to_numpy(dtype=float, na_value=np.inf)


def data_end(store: Store) -> dt.date:
    """The last date the store knows about: a conservative extraction date."""
    parts = [
        f"SELECT max(greatest(start_date, coalesce(end_date, start_date))) AS d FROM {table}"
        for table in ("registration_spell", "employment_spell", "benefit_spell", "service_episode")
    ]
    value = store.con.execute(f"SELECT max(d) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0]
    if value is None:
        raise UsageError("the store holds no dated rows", fix="import the area's files first (polku import or polku demo).")
    return value


def _participants_sql() -> str:
    return """
        SELECT e.person_id, e.episode_id, e.provider_id, e.start_date AS ref_date, true AS treated
        FROM service_episode e
        WHERE e.service_code = $service AND e.start_date <= $as_of AND e.completion_status <> 'did_not_start'
    """


def _first_service_sql() -> str:
    return """
        SELECT person_id, min(start_date) AS first_start
        FROM service_episode WHERE completion_status <> 'did_not_start' GROUP BY person_id
    """


DRAW_KEY_PREFIX = "polku-comparison-draw"


def draw_key(person_id: str, ref_date: dt.date, seed: int) -> str:
    """The comparison draw's sort key: SHA-256, as 64 lowercase hex digits, of the UTF-8 text
    `polku-comparison-draw:<seed>:<person_id>:<ref_date as YYYY-MM-DD>`, the person id in
    its canonical text form (a UUID's lowercase, hyphenated form).

    On each reference date the comparison people are the at-risk people with the smallest
    keys (ties, practically impossible, by person id). SHA-256 and text concatenation exist
    in every SQL engine and dataframe library, so any engine can redraw exactly the same
    people; DuckDB's own `hash()` is defined by DuckDB's code only. This function is the
    reference that `draw_key_sql` must match."""
    text = f"{DRAW_KEY_PREFIX}:{seed}:{person_id}:{ref_date.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_key_sql(person: str, ref_date: str, seed: str) -> str:
    """`draw_key` as a SQL expression over the given column or parameter names."""
    parts = [
        f"'{DRAW_KEY_PREFIX}:'",
        f"CAST({seed} AS VARCHAR)",
        "':'",
        f"CAST({person} AS VARCHAR)",
        "':'",
        f"strftime({ref_date}, '%Y-%m-%d')",
    ]
    return f"sha256({' || '.join(parts)})"


LONG_TERM_MONTHS = 12
RECURRENT_MONTHS_OF_36 = 24
UNEMPLOYMENT_BENEFITS = ("earnings_related_allowance", "basic_unemployment_allowance", "labour_market_subsidy")
BASIC_SUPPORT = ("labour_market_subsidy", "none")
"""Unemployment benefits that are basic support (no benefit at all counts too)."""


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _long_term_on_basic_support_sql() -> tuple[str, str]:
    """(join, condition) keeping the at-risk people `r` who on the date `d.ref_date` are long
    unemployed (12 months in the spell, or 24 of the last 36) on basic support (labour
    market subsidy or no unemployment benefit at the spell's start), by the cohort's own
    definitions of `spell_months`, `months_unemployed_prev36` and `benefit_at_spell_start`."""
    join = f"""LEFT JOIN (
                SELECT r.person_id, r.start_date AS spell_start, min(b.start_date) AS first_start,
                       arg_min(b.benefit_type, b.start_date) AS first_type
                FROM registration_spell r JOIN benefit_spell b
                  ON b.person_id = r.person_id AND b.start_date >= r.start_date
                 AND b.benefit_type IN {_sql_list(UNEMPLOYMENT_BENEFITS)}
                GROUP BY r.person_id, r.start_date
            ) sb ON sb.person_id = r.person_id AND sb.spell_start = r.start_date"""
    long_term = (
        f"(r.current_spell_months + date_diff('month', r.start_date, d.ref_date) >= {LONG_TERM_MONTHS} "
        f"OR r.months_unemployed_prev36 >= {RECURRENT_MONTHS_OF_36})"
    )
    paid = tuple(b for b in BASIC_SUPPORT if b != "none")
    basic = f"(sb.first_start IS NULL OR sb.first_start >= d.ref_date OR sb.first_type IN {_sql_list(paid)})"
    return join, f"AND {long_term} AND {basic}"


ELIGIBLE_ONLY: dict[str, Callable[[], tuple[str, str]]] = {"rehabilitative_work": _long_term_on_basic_support_sql}
"""Service categories that the law reserves for some job seekers, and their rule as SQL.
Rehabilitative work activity (kuntouttava työtoiminta, Act 189/2001 s. 2-3) is for people
long unemployed on basic support. For such a service the comparison people are drawn only
from those the rule allows: everyone else has no chance of the service, so cannot stand
for a participant; in the synthetic area they were 86 % of the comparison people, and the
estimate rested on the models' extrapolation from them (docs/methods.md section 7)."""


def _controls_sql(rule: Callable[[], tuple[str, str]] | None = None) -> str:
    """Risk-set sampling: for each start date, `k` draws per participant starting that day
    from people registered that day who have not started any service by then (and whom
    the service's `ELIGIBLE_ONLY` rule allows), in the order of `draw_key` (a random
    order that any engine can reproduce)."""
    eligibility_join, eligible = rule() if rule is not None else ("", "")
    return f"""
        WITH dates AS (
            SELECT ref_date, count(*) AS starting FROM participants GROUP BY ref_date
        ),
        at_risk AS (
            SELECT d.ref_date, d.starting, r.person_id
            FROM dates d
            JOIN registration_spell r
              ON r.start_date <= d.ref_date AND (r.end_date IS NULL OR r.end_date >= d.ref_date)
            LEFT JOIN ({_first_service_sql()}) f ON f.person_id = r.person_id
            {eligibility_join}
            WHERE (f.first_start IS NULL OR f.first_start > d.ref_date) {eligible}
        ),
        ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY ref_date ORDER BY {draw_key_sql("person_id", "ref_date", "$seed")}, person_id
            ) AS draw
            FROM at_risk
        )
        SELECT person_id, CAST(NULL AS VARCHAR) AS episode_id, CAST(NULL AS VARCHAR) AS provider_id,
               ref_date, false AS treated
        FROM ranked WHERE draw <= starting * $k
    """


def _covariates_sql(windows: tuple[int, ...]) -> str:
    outcome_columns = ",\n".join(_outcome_columns(w) for w in windows)
    job_aggregates = ",\n".join(_window_aggregates(w) for w in windows)
    exit_aggregates = ",\n".join(_exit_aggregates(w) for w in windows)
    return f"""
        WITH spell AS (
            SELECT u.row_id, r.activity_before, r.months_unemployed_prev36, r.start_date AS spell_start, r.end_date AS spell_end,
                   r.current_spell_months + date_diff('month', r.start_date, u.ref_date) AS spell_months,
                   row_number() OVER (PARTITION BY u.row_id ORDER BY r.start_date DESC) AS latest
            FROM units u JOIN registration_spell r
              ON r.person_id = u.person_id AND r.start_date <= u.ref_date
        ),
        benefit AS (
            SELECT u.row_id, b.benefit_type,
                   row_number() OVER (PARTITION BY u.row_id ORDER BY b.start_date DESC) AS latest
            FROM units u JOIN benefit_spell b
              ON b.person_id = u.person_id AND b.start_date < u.ref_date
             AND (b.end_date IS NULL OR b.end_date >= u.ref_date - 1)
             AND b.benefit_type IN {_sql_list(UNEMPLOYMENT_BENEFITS)}
        ),
        spell_benefit AS (
            SELECT u.row_id, b.benefit_type,
                   row_number() OVER (PARTITION BY u.row_id ORDER BY b.start_date) AS first
            FROM units u JOIN spell s ON s.row_id = u.row_id AND s.latest = 1
            JOIN benefit_spell b
              ON b.person_id = u.person_id AND b.start_date >= s.spell_start AND b.start_date < u.ref_date
             AND b.benefit_type IN {_sql_list(UNEMPLOYMENT_BENEFITS)}
        ),
        prior AS (
            SELECT u.row_id, count(e.episode_id) AS prior_episodes
            FROM units u JOIN service_episode e ON e.person_id = u.person_id AND e.start_date < u.ref_date
            GROUP BY u.row_id
        ),
        jobs AS (
            SELECT u.row_id, u.ref_date, j.start_date, coalesce(j.end_date, DATE '9999-12-31') AS end_date,
                   j.weekly_hours, j.monthly_wage
            FROM units u JOIN employment_spell j
              ON j.person_id = u.person_id AND NOT j.subsidised
             AND coalesce(j.end_date, DATE '9999-12-31') >= u.ref_date
             AND j.start_date < u.ref_date + {window_days(max(windows))}
        ),
        past_work AS (
            SELECT u.row_id, count(*) > 0 AS employed_before
            FROM units u JOIN employment_spell j
              ON j.person_id = u.person_id AND NOT j.subsidised
             AND j.start_date < u.ref_date AND coalesce(j.end_date, DATE '9999-12-31') >= u.ref_date - 365
            GROUP BY u.row_id
        ),
        later_service AS (
            SELECT u.row_id, min(e.start_date) AS first_service_after,
                   first(e.service_code ORDER BY e.start_date, e.service_code) AS first_service_code_after
            FROM units u JOIN service_episode e ON e.person_id = u.person_id AND e.start_date > u.ref_date
             AND e.completion_status <> 'did_not_start'
            GROUP BY u.row_id
        ),
        exits AS (
            SELECT u.row_id, u.ref_date, r.end_date, r.end_reason
            FROM units u JOIN registration_spell r
              ON r.person_id = u.person_id AND r.end_date >= u.ref_date
             AND r.end_reason IN ('education', 'out_of_labour_force')
        ),
        job_outcomes AS (
            SELECT j.row_id, min(greatest(j.start_date, j.ref_date)) AS first_job_day, {job_aggregates}
            FROM jobs j GROUP BY j.row_id
        ),
        exit_outcomes AS (
            SELECT x.row_id, min(x.end_date) AS first_exit_day, {exit_aggregates} FROM exits x GROUP BY x.row_id
        )
        SELECT u.row_id, u.person_id, u.episode_id, u.provider_id, u.ref_date, u.treated,
               (year(u.ref_date) - p.birth_year) + (month(u.ref_date) - p.birth_month) / 12.0 AS age,
               p.sex, p.mother_tongue_group, p.education_level, p.partial_work_ability, p.municipality_code,
               coalesce(s.activity_before, 'other') AS activity_before,
               coalesce(s.months_unemployed_prev36, 0) AS months_unemployed_prev36,
               coalesce(s.spell_months, 0) AS spell_months,
               coalesce(b.benefit_type, 'none') AS benefit,
               coalesce(sb.benefit_type, 'none') AS benefit_at_spell_start,
               coalesce(pr.prior_episodes, 0) AS prior_episodes,
               s.spell_end, ls.first_service_after, ls.first_service_code_after, jo.first_job_day, xo.first_exit_day,
               coalesce(pw.employed_before, false) AS employed_before_12m,
               CAST(year(u.ref_date) AS VARCHAR) AS year,
               'Q' || quarter(u.ref_date) AS quarter,
               {outcome_columns}
        FROM units u
        JOIN person p ON p.person_id = u.person_id
        LEFT JOIN spell s ON s.row_id = u.row_id AND s.latest = 1
        LEFT JOIN benefit b ON b.row_id = u.row_id AND b.latest = 1
        LEFT JOIN spell_benefit sb ON sb.row_id = u.row_id AND sb.first = 1
        LEFT JOIN prior pr ON pr.row_id = u.row_id
        LEFT JOIN later_service ls ON ls.row_id = u.row_id
        LEFT JOIN past_work pw ON pw.row_id = u.row_id
        LEFT JOIN job_outcomes jo ON jo.row_id = u.row_id
        LEFT JOIN exit_outcomes xo ON xo.row_id = u.row_id
        ORDER BY u.row_id
    """


def _window_aggregates(w: int) -> str:
    """Per analysis row, the jobs' and exits' contributions to window W (no censoring yet)."""
    last = f"j.ref_date + {window_days(w) - 1}"
    overlap = f"greatest(least(j.end_date, {last}) - greatest(j.start_date, j.ref_date) + 1, 0)"
    return ",\n".join(
        [
            f"count(*) FILTER ({overlap} > 0) > 0 AS employed_{w}m",
            f"count(*) FILTER ({overlap} > 0 AND j.weekly_hours >= $min_hours) > 0 AS employed_hours_{w}m",
            f"sum({overlap}) AS days_employed_{w}m",
            f"round(sum({overlap} * coalesce(j.monthly_wage, 0) / {DAYS_PER_MONTH}), 2) AS earnings_{w}m",
        ]
    )


def _exit_aggregates(w: int) -> str:
    last = f"x.ref_date + {window_days(w) - 1}"
    return ",\n".join(
        f"bool_or(x.end_date <= {last} AND x.end_reason = '{reason}') AS exit_{reason}_{w}m"
        for reason in ("education", "out_of_labour_force")
    )


def _outcome_columns(w: int) -> str:
    """Window [ref, ref + days - 1]; NULL when the window is not yet over on `as_of`."""
    followed = f"(u.ref_date + {window_days(w) - 1} <= $as_of)"
    defaults = {
        "employed": "false",
        "employed_hours": "false",
        "days_employed": "0",
        "earnings": "0",
        "exit_education": "false",
        "exit_out_of_labour_force": "false",
    }
    source = {"exit_education": "xo", "exit_out_of_labour_force": "xo"}
    return ",\n".join(
        [f"{followed} AS followed_{w}m"]
        + [
            f"CASE WHEN {followed} THEN coalesce({source.get(name, 'jo')}.{name}_{w}m, {default}) END AS {name}_{w}m"
            for name, default in defaults.items()
        ]
    )


def build_cohort(store: Store, spec: CohortSpec) -> pd.DataFrame:
    """One row per participant episode and per sampled comparison (person, reference date)."""
    if spec.controls_per_participant < 1:
        raise UsageError("controls_per_participant must be at least 1")
    known = dict(store.con.execute("SELECT service_code, category FROM service").fetchall())
    if spec.service_code not in known:
        raise UsageError(f"unknown service '{spec.service_code}'", fix=f"use one of: {', '.join(sorted(known))}.")
    rule = ELIGIBLE_ONLY.get(known[spec.service_code]) if spec.eligible_only else None
    as_of = spec.as_of or data_end(store)
    params = {"service": spec.service_code, "as_of": as_of, "seed": spec.seed, "k": spec.controls_per_participant}
    con = store.con.cursor()
    try:
        con.execute(f"CREATE TEMP TABLE participants AS {_participants_sql()}", {k: params[k] for k in ("service", "as_of")})
        con.execute(f"CREATE TEMP TABLE controls AS {_controls_sql(rule)}", {k: params[k] for k in ("seed", "k")})
        con.execute(
            "CREATE TEMP TABLE units AS SELECT row_number() OVER (ORDER BY treated DESC, ref_date, person_id) AS row_id, * "
            "FROM (SELECT * FROM participants UNION ALL SELECT * FROM controls)"
        )
        frame = con.execute(_covariates_sql(spec.windows), {"as_of": as_of, "min_hours": spec.min_hours}).df()
    finally:
        for name in ("participants", "controls", "units"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.close()
    frame.attrs["as_of"] = as_of
    frame.attrs["service_code"] = spec.service_code
    return frame.drop(columns="row_id")
