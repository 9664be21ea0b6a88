"""Every query the report runs, as Ibis expressions over the store's tables.

Why one module: sections stay small views, the numbers can be tested on their own, and
the same expressions can later run on Spark. Results are exact counts; sections pass them
through `polku.sdc` before anyone sees them. Missing values are grouped under `NONE`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pandas as pd
from ibis import _

from polku.i18n import LANGUAGES
from polku.reports.context import NONE
from polku.reports.frames import typed_frame
from polku.schema.tables import TABLES
from polku.store import Store

AGE_BANDS = ((25, "under_25"), (35, "25_34"), (45, "35_44"), (55, "45_54"))
PLANNED_DATES = {"planned_end_date", "due"}
PART_TIME_HOURS = 30  # OECD: usual weekly hours under 30 count as part-time


def _key(value: ibis.Value) -> ibis.Value:
    return value.cast("string").fill_null(NONE)


def counts(table: ibis.Table, *keys: ibis.Value) -> dict[tuple[str, ...], int]:
    """Rows per combination of `keys` (each cast to text, missing -> NONE)."""
    named = {f"k{i}": _key(k) for i, k in enumerate(keys)}
    frame = table.group_by(**named).aggregate(n=_.count()).execute()
    return {tuple(str(v) for v in row[:-1]): int(row[-1]) for row in frame.itertuples(index=False)}


def counts1(table: ibis.Table, key: ibis.Value) -> dict[str, int]:
    """Rows per value of one key, in the order of the keys."""
    return {k[0]: n for k, n in sorted(counts(table, key).items())}


def counts2(table: ibis.Table, row: ibis.Value, col: ibis.Value) -> dict[tuple[str, str], int]:
    return {(k[0], k[1]): n for k, n in counts(table, row, col).items()}


# --- clients -----------------------------------------------------------------------------


def age_groups(store: Store) -> dict[str, int]:
    """Clients by age at the start of their first registration spell (unknown without one)."""
    person = store.table("person")
    spells = store.table("registration_spell")
    first = spells.group_by("person_id").aggregate(first=spells.start_date.min())
    joined = person.left_join(first, person.person_id == first.person_id)
    age = first.first.year() - joined.birth_year - (first.first.month() < joined.birth_month).cast("int")
    band = ibis.cases(*((age < limit, name) for limit, name in AGE_BANDS), else_="55_plus")
    band = ibis.ifelse(first.first.isnull(), NONE, band)
    result = counts1(joined, band)
    order = [name for _, name in AGE_BANDS] + ["55_plus", NONE]
    return {k: result[k] for k in order if k in result}


def person_counts(store: Store, column: str) -> dict[str, int]:
    person = store.table("person")
    return counts1(person, person[column])


def registration_years(store: Store) -> dict[str, int]:
    spells = store.table("registration_spell")
    return counts1(spells, spells.start_date.year())


def registration_outcomes(store: Store) -> dict[str, int]:
    """Open spells under `_open`, closed ones by end reason (NONE when not given)."""
    spells = store.table("registration_spell")
    key = ibis.ifelse(spells.end_date.isnull(), "_open", _key(spells.end_reason))
    return counts1(spells, key)


def long_term_at_registration(store: Store) -> tuple[int, int]:
    """(spells whose unemployment had lasted 12 months or more at the start, all spells)."""
    spells = store.table("registration_spell")
    row = spells.aggregate(n=_.count(), long=(_.current_spell_months >= 12).cast("int").sum().fill_null(0)).execute()
    return int(row["long"].iloc[0]), int(row["n"].iloc[0])


# --- benefits, services, providers --------------------------------------------------------


def benefit_types_by_payer(store: Store) -> dict[tuple[str, str], int]:
    spells = store.table("benefit_spell")
    return counts2(spells, spells.benefit_type, spells.payer)


def episodes_by(store: Store, row: str, col: str) -> dict[tuple[str, str], int]:
    """Service episodes by two of: service_code, year, completion_status, provider_id."""
    episodes = store.table("service_episode").mutate(year=_.start_date.year())
    return counts2(episodes, episodes[row], episodes[col])


def service_costs(store: Store) -> pd.DataFrame:
    """Per service (by code): episodes, episodes with a cost, distinct clients and total cost."""
    episodes = store.table("service_episode")
    frame = (
        episodes.group_by(service=_key(episodes.service_code))
        .aggregate(
            episodes=_.count(),
            with_cost=_.cost.notnull().cast("int").sum().fill_null(0),
            clients=_.person_id.nunique(),
            cost=_.cost.cast("float64").sum().fill_null(0),
        )
        .order_by("service")
        .execute()
    )
    return typed_frame(
        frame, {"service": "object", "episodes": "int64", "with_cost": "int64", "clients": "int64", "cost": "float64"}
    )


def service_names(store: Store) -> pd.DataFrame:
    """The catalogue's service names in every report language, by code."""
    service = store.table("service")
    columns = {"service_code": "object", **{f"name_{lang}": "object" for lang in LANGUAGES}}
    return typed_frame(service.select(*columns).order_by("service_code").execute(), columns)


def providers(store: Store) -> pd.DataFrame:
    """Every provider with its episodes and distinct clients (0 when none), by name then id."""
    provider = store.table("provider")
    episodes = store.table("service_episode")
    per = episodes.group_by("provider_id").aggregate(episodes=_.count(), clients=_.person_id.nunique())
    joined = provider.left_join(per, provider.provider_id == per.provider_id).select(
        provider.provider_id,
        provider.name,
        provider.provider_type,
        episodes=per.episodes.fill_null(0),
        clients=per.clients.fill_null(0),
    )
    columns = {"provider_id": "object", "name": "object", "provider_type": "object", "episodes": "int64", "clients": "int64"}
    return typed_frame(joined.order_by("name", "provider_id").execute(), columns)


# --- employment, measurements, goals ------------------------------------------------------


def employment_figures(store: Store) -> dict[str, int]:
    """Spells, distinct persons, part-time, subsidised and wage-missing spells."""
    spells = store.table("employment_spell")
    as_int = lambda cond: cond.cast("int").sum().fill_null(0)  # noqa: E731
    row = spells.aggregate(
        spells=_.count(),
        persons=_.person_id.nunique(),
        part_time=as_int(_.weekly_hours < PART_TIME_HOURS),
        subsidised=as_int(_.subsidised),
        wage_missing=as_int(_.monthly_wage.isnull()),
    ).execute()
    return {k: int(row[k].iloc[0]) for k in row.columns}


def employment_sectors(store: Store) -> dict[str, int]:
    spells = store.table("employment_spell")
    return counts1(spells, spells.employer_sector)


def measurement_items(store: Store) -> dict[tuple[str, str], int]:
    """Measurements per (instrument, item)."""
    rows = store.table("measurement")
    return counts2(rows, rows.instrument, rows.item)


def goals_by_domain_and_status(store: Store) -> dict[tuple[str, str], int]:
    goals = store.table("goal")
    return counts2(goals, goals.domain, goals.status)


# --- header ------------------------------------------------------------------------------


def areas(store: Store) -> list[str]:
    team = store.table("team")
    return sorted(team.select("area_id").distinct().execute()["area_id"].tolist())


def extraction_date(store: Store) -> date | None:
    """The latest recorded date in the data: the data are as of this day.

    Planned dates (a planned end, a goal's due date) lie in the future by design and are
    left out.
    """
    latest: list[date] = []
    for table in TABLES.values():
        columns = [f.name for f in table.fields if f.kind == "date" and f.name not in PLANNED_DATES]
        if columns:
            expr = store.table(table.name)
            row = expr.aggregate(**{c: expr[c].max() for c in columns}).execute().iloc[0]
            latest += [_as_date(v) for v in row if v is not None and v == v]
    return max(latest) if latest else None


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value
