"""The area at a glance: the figures a manager follows, as seed 000 and KEHA define them.

Why a section of its own: the web's manager view reads stored runs and never the store, so
every figure it shows (clients, inflow and outflow, duration, the long-term unemployed,
transitions to open-market work at 3, 6 and 12 months, the employment and contract
coefficients, monthly trends, municipalities) must be computed once in `polku analyse`.
Definitions, on the data's own date (the run's `as_of`, else the latest date recorded):

- open spell: a registration spell begun on or before that day and not ended by it;
  long-term unemployed: an open spell whose unemployment, counted from
  `current_spell_months` at its start plus the time since, has lasted 12 months or more
  (Statistics Finland's continuous definition);
- inflow and outflow: registration spells begun and ended in the last 365 days;
- duration: days from start to end of the spells ended by that day;
- transition to open-market work within h months: a spell begun at least h months before
  that day, after whose start an unsubsidised employment spell began within h months;
- employment coefficient (seed 000): the service's participants who began any employment
  spell on or after their first start in the service, over its participants; contract
  coefficient: those employment spells (contracts), over its participants.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, Table, chart_of, count_text, figure_rows, no_data, sdc_note, share_text
from polku.reports.context import NONE, ReportContext
from polku.reports.frames import count_frame, counts_of, table, typed_frame
from polku.reports.registry import Results, register
from polku.store import Store

HORIZONS = (3, 6, 12)
MONTHS_SHOWN = 24
ALL = "_all"
LONG_TERM_DAYS = 365.25
TRANSITIONS = {"horizon_months": "int64", "spells": "int64", "transitions": "int64"}
COEFFICIENTS = {"service_code": "object", "clients": "int64", "employed": "int64", "contracts": "int64"}
MONTHS = {"month": "object", "inflow": "int64", "outflow": "int64", "open_at_end": "int64"}
MUNICIPALITIES = {"municipality_code": "object", "clients": "int64", "open_spells": "int64", "long_term": "int64"}
DURATION = {"closed": "int64", "days_total": "float64"}


def _frame(store: Store, name: str, *columns: str) -> pd.DataFrame:
    """The columns of a store table as a frame (dates as Timestamps)."""
    frame = store.table(name).select(*columns).execute()
    for column in columns:
        if column.endswith("_date"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _open_spells(spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    started = spells[spells.start_date <= day]
    return started[started.end_date.isna() | (started.end_date > day)]


def _long_term(open_spells: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    before = open_spells.current_spell_months.fillna(0).astype(float) * (LONG_TERM_DAYS / 12)
    return (before + (day - open_spells.start_date).dt.days) >= LONG_TERM_DAYS


def _figures(persons: pd.DataFrame, spells: pd.DataFrame, day: pd.Timestamp) -> dict[str, int]:
    open_now = _open_spells(spells, day)
    year_ago = day - pd.Timedelta(days=365)
    return {
        "clients": len(persons),
        "spells": len(spells),
        "open_spells": len(open_now),
        "long_term": int(_long_term(open_now, day).sum()),
        "inflow_12m": int(((spells.start_date > year_ago) & (spells.start_date <= day)).sum()),
        "outflow_12m": int(((spells.end_date > year_ago) & (spells.end_date <= day)).sum()),
    }


def _duration(spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    closed = spells[spells.end_date.notna() & (spells.end_date <= day)]
    days = (closed.end_date - closed.start_date).dt.days
    return typed_frame([{"closed": len(closed), "days_total": float(days.sum())}], DURATION)


def _transitions(spells: pd.DataFrame, jobs: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Per horizon: spells old enough to be followed h months, and those with open-market work within h."""
    open_market = jobs[~jobs.subsidised.fillna(False).astype(bool)][["person_id", "start_date"]]
    pairs = spells[["spell_id", "person_id", "start_date"]].merge(open_market, on="person_id", how="left", suffixes=("", "_job"))
    rows = []
    for months in HORIZONS:
        eligible = spells[spells.start_date + pd.DateOffset(months=months) <= day]
        after = pairs[pairs.spell_id.isin(eligible.spell_id) & (pairs.start_date_job >= pairs.start_date)]
        within = after[after.start_date_job <= after.start_date + pd.DateOffset(months=months)]
        rows.append({"horizon_months": months, "spells": len(eligible), "transitions": within.spell_id.nunique()})
    return typed_frame(rows, TRANSITIONS)


def _coefficient_row(code: str, starts: pd.DataFrame, jobs: pd.DataFrame, day: pd.Timestamp) -> dict[str, object]:
    first = starts.groupby("person_id", as_index=False).start_date.min()
    after = first.merge(jobs[["person_id", "start_date"]], on="person_id", suffixes=("", "_job"))
    after = after[(after.start_date_job >= after.start_date) & (after.start_date_job <= day)]
    return {"service_code": code, "clients": len(first), "employed": after.person_id.nunique(), "contracts": len(after)}


def _coefficients(episodes: pd.DataFrame, jobs: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Participants, employed participants and contracts per service, and over all services (`_all`)."""
    started = episodes[episodes.start_date.notna() & (episodes.start_date <= day)]
    rows = [_coefficient_row(str(code), group, jobs, day) for code, group in started.groupby("service_code", sort=True)]
    return typed_frame([_coefficient_row(ALL, started, jobs, day), *rows], COEFFICIENTS)


def _months(spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Spells begun and ended in each of the last 24 months, and open at each month's end."""
    rows = []
    for period in pd.period_range(end=day.to_period("M"), periods=MONTHS_SHOWN, freq="M"):
        first, last = period.start_time, min(period.end_time.normalize(), day)
        rows.append(
            {
                "month": str(period),
                "inflow": int(spells.start_date.between(first, last).sum()),
                "outflow": int(spells.end_date.between(first, last).sum()),
                "open_at_end": len(_open_spells(spells, last)),
            }
        )
    return typed_frame(rows, MONTHS)


def _municipalities(persons: pd.DataFrame, spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    open_now = _open_spells(spells, day)
    open_now = open_now.assign(long_term=_long_term(open_now, day)).merge(persons, on="person_id")
    home = persons.municipality_code.fillna(NONE).astype(str)
    clients = home.value_counts()
    opened = open_now.municipality_code.fillna(NONE).astype(str)
    rows = [
        {
            "municipality_code": code,
            "clients": int(clients[code]),
            "open_spells": int((opened == code).sum()),
            "long_term": int(open_now.long_term[(opened == code).to_numpy()].sum()),
        }
        for code in sorted(clients.index)
    ]
    return typed_frame(rows, MUNICIPALITIES)


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The area's figures, duration, transitions, coefficients, months and municipalities."""
    as_of = analysis.settings.as_of or queries.extraction_date(store) or dt.date.today()
    day = pd.Timestamp(as_of)
    persons = _frame(store, "person", "person_id", "municipality_code")
    spells = _frame(store, "registration_spell", "spell_id", "person_id", "start_date", "end_date", "current_spell_months")
    jobs = _frame(store, "employment_spell", "person_id", "start_date", "subsidised")
    episodes = _frame(store, "service_episode", "person_id", "service_code", "start_date")
    return {
        "area_figures": count_frame(_figures(persons, spells, day), "figure"),
        "area_duration": _duration(spells, day),
        "area_transitions": _transitions(spells, jobs, day),
        "area_coefficients": _coefficients(episodes, jobs, day),
        "area_months": _months(spells, day),
        "area_municipalities": _municipalities(persons, spells, day),
    }


# --- rendering: from the run's tables, through the gate ---------------------------------


def _key_figures(results: Results, ctx: ReportContext) -> Block:
    figures = counts_of(table(results, "area_figures"))
    duration = table(results, "area_duration").iloc[0]
    mean_days = sdc.mean(float(duration["days_total"]), int(duration["closed"]), t=ctx.threshold)
    return figure_rows(
        ctx,
        [
            ("area.figure.clients", count_text(ctx, figures["clients"])),
            ("area.figure.open_spells", count_text(ctx, figures["open_spells"])),
            ("area.figure.long_term_share", share_text(ctx, figures["long_term"], figures["open_spells"])),
            ("area.figure.inflow_12m", count_text(ctx, figures["inflow_12m"])),
            ("area.figure.outflow_12m", count_text(ctx, figures["outflow_12m"])),
            ("area.figure.mean_duration", ctx.stat(mean_days, 0)),
        ],
    )


def _transition_table(results: Results, ctx: ReportContext) -> Table:
    rows, applied = [], False
    for row in table(results, "area_transitions").itertuples(index=False):
        counts = {"spells": int(row.spells), "transitions": int(row.transitions), "rest": int(row.spells - row.transitions)}
        shown, hidden = sdc.separate_counts(counts, t=ctx.threshold)
        share = sdc.share(int(row.transitions), int(row.spells), t=ctx.threshold)
        applied = applied or hidden or share.sdc_applied
        label = ctx.t("area.within_months", months=int(row.horizon_months))
        rows.append((label, ctx.num(shown["spells"]), ctx.num(shown["transitions"]), ctx.stat(share)))
    header = (ctx.t("area.horizon"), ctx.t("unit.spells"), ctx.t("area.transitions"), ctx.t("common.percent"))
    note = " ".join(filter(None, [ctx.t("area.transitions_note"), sdc_note(ctx, applied)]))
    return Table("area-transitions", ctx.t("area.transitions_caption"), header, tuple(rows), note=note)


def _coefficient_table(results: Results, ctx: ReportContext) -> Table:
    from polku.reports.sections.services import service_labeler

    service = service_labeler(results, ctx)
    rows, applied = [], False
    for row in table(results, "area_coefficients").itertuples(index=False):
        shown, hidden = sdc.separate_counts({"clients": int(row.clients), "employed": int(row.employed)}, t=ctx.threshold)
        share = sdc.share(int(row.employed), int(row.clients), t=ctx.threshold)
        per = sdc.mean(float(row.contracts), int(row.clients), t=ctx.threshold)
        coefficient = None if share.value is None else share.value / 100
        applied = applied or hidden or share.sdc_applied or per.sdc_applied
        label = ctx.t("area.all_services") if row.service_code == ALL else service(str(row.service_code))
        rows.append((label, ctx.num(shown["clients"]), ctx.num(shown["employed"]), ctx.num(coefficient, 2), ctx.stat(per, 2)))
    header = (
        ctx.t("services.service"),
        ctx.t("unit.clients"),
        ctx.t("area.employed"),
        ctx.t("area.employment_coefficient"),
        ctx.t("area.contract_coefficient"),
    )
    note = " ".join(filter(None, [ctx.t("area.coefficients_note"), sdc_note(ctx, applied)]))
    return Table("area-coefficients", ctx.t("area.coefficients_caption"), header, tuple(rows), note=note)


def _column(frame: pd.DataFrame, key: str, column: str, t: int) -> tuple[dict[str, int | None], bool]:
    return sdc.separate_counts({str(k): int(v) for k, v in zip(frame[key], frame[column])}, t=t)


def month_table(results: Results, ctx: ReportContext) -> Table:
    """Inflow, outflow and open spells by month; each count stands alone (no totals shown)."""
    frame = table(results, "area_months")
    shown = {c: _column(frame, "month", c, ctx.threshold) for c in ("inflow", "outflow", "open_at_end")}
    rows = tuple((m, *(ctx.num(shown[c][0][m]) for c in shown)) for m in frame["month"])
    header = (ctx.t("area.month"), ctx.t("area.inflow"), ctx.t("area.outflow"), ctx.t("area.open_at_end"))
    note = sdc_note(ctx, any(hidden for _, hidden in shown.values()))
    values = tuple(shown["open_at_end"][0][m] for m in frame["month"])
    return Table("area-months", ctx.t("area.months_caption"), header, rows, note=note, values=values)


def municipality_table(results: Results, ctx: ReportContext) -> Table:
    """Clients, open spells and the long-term share among them, by home municipality."""
    frame = table(results, "area_municipalities")
    clients = sdc.distribution(dict(zip(frame["municipality_code"], frame["clients"].astype(int))), t=ctx.threshold)
    opened, hidden = _column(frame, "municipality_code", "open_spells", ctx.threshold)
    rows, applied = [], clients.sdc_applied or hidden
    for row in frame.itertuples(index=False):
        share = sdc.share(int(row.long_term), int(row.open_spells), t=ctx.threshold)
        applied = applied or share.sdc_applied
        code = str(row.municipality_code)
        label = ctx.label("municipality", code) if code != NONE else ctx.t("common.not_given")
        rows.append((label, ctx.num(clients.column()[code]), ctx.num(opened[code]), ctx.stat(share)))
    header = (ctx.t("web.municipality"), ctx.t("unit.clients"), ctx.t("area.open_spells"), ctx.t("area.long_term_share"))
    foot = (ctx.t("common.total"), ctx.num(clients.total), "", "")
    return Table("area-municipalities", ctx.t("area.municipalities_caption"), header, tuple(rows), foot, sdc_note(ctx, applied))


@register("area", "section.area", 5, compute=compute)
def area_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Key figures, transitions to open-market work, the seed's coefficients, months, municipalities."""
    if not counts_of(table(results, "area_figures"))["clients"]:
        return no_data(ctx)
    months = month_table(results, ctx)
    chart = chart_of(ctx, months, title=ctx.t("area.open_at_end"), value_label=ctx.t("unit.spells"))
    return [
        _key_figures(results, ctx),
        _transition_table(results, ctx),
        _coefficient_table(results, ctx),
        months,
        *chart,
        municipality_table(results, ctx),
    ]
