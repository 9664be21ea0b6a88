"""Does change lead to work? Hazard ratios of open-market employment by change, per item.

Landmark design (Anderson, Cain and Gelber 1983; van Houwelingen 2007): change must be
known *before* the follow-up for work starts, or people would be classed by what happened
after they were followed (those who find work early stop being measured, so a change
measured later belongs only to those still unemployed: immortal-time bias). So for each
person and item:

- the baseline is their first measurement (day t0, level x0);
- the landmark is the measurement nearest t0 + 6 months within `WINDOW_DAYS` either side
  (day L, level xL); the change is xL - x0 in the item's better direction;
- the follow-up starts at L, for people not in open-market work on L, and ends at the
  first day of open-market (unsubsidised) work after L, or is censored at the data's end.

A Cox proportional-hazards model of that time on the change, adjusted for the baseline
level, age at the landmark and partial work ability, gives the hazard ratio per scale point
of change, exp(beta), with its 95 % interval exp(beta +- 1.96 SE) (lifelines'
`CoxPHFitter`, Breslow's baseline, Efron's ties). A hazard ratio above 1 says that people
whose level rose found open-market work sooner than people with the same start level who
did not change. It is an association, not an effect: whatever raised the level (a service,
recovery) may also have raised the chance of work directly.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd

from polku.change.effects import WINDOW_DAYS, ItemScale, measurements, shipped_scales
from polku.change.measures import typed_frame
from polku.cohort.build import data_end, window_days
from polku.impact.design import MIN_PARTICIPANTS
from polku.store import Store

LANDMARK_MONTHS = 6
MIN_EVENTS = 20
"""Fewer people finding work than this give no hazard ratio (about 10 events per
parameter of the model's four, Peduzzi et al. 1995, halved for the one of interest)."""
COVARIATES = ("change", "baseline", "age", "partial_work_ability")

WORK_COLUMNS = {
    "instrument": "object",
    "item": "object",
    "people": "int64",
    "events": "int64",
    "hazard_ratio": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value": "float64",
    "note": "object",
}


def landmark_rows(values: pd.DataFrame, scale: ItemScale) -> pd.DataFrame:
    """Per person measured on the item at baseline and at the landmark: baseline, change, landmark day."""
    mine = values[(values["instrument"] == scale.instrument) & (values["item"] == scale.item)]
    mine = mine.sort_values(["person_id", "measured_on", "value"], kind="stable")  # ties on a day: the lower value
    first = mine.drop_duplicates("person_id")[["person_id", "value", "measured_on"]]
    first = first.rename(columns={"value": "baseline", "measured_on": "t0"})
    pairs = mine.merge(first, on="person_id")
    gap = ((pairs["measured_on"] - pairs["t0"]).dt.days - window_days(LANDMARK_MONTHS)).abs()
    pairs = pairs.assign(gap=gap)[(gap <= WINDOW_DAYS) & (pairs["measured_on"] > pairs["t0"])]
    best = pairs.sort_values(["person_id", "gap", "measured_on", "value"], kind="stable").drop_duplicates("person_id")
    return pd.DataFrame(
        {
            "person_id": best["person_id"],
            "baseline": best["baseline"],
            "change": scale.direction * (best["value"] - best["baseline"]),
            "landmark": best["measured_on"],
        }
    ).reset_index(drop=True)


def follow_up(rows: pd.DataFrame, jobs: pd.DataFrame, people: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The landmark rows at risk on their landmark day, with `duration` (days) and `event`
    (open-market work began) and the person's covariates at the landmark."""
    end = pd.Timestamp(as_of)
    rows = rows[rows["landmark"] < end]
    spells = rows[["person_id", "landmark"]].merge(jobs, on="person_id")
    spell_end = spells["end_date"].fillna(end)
    working = spells[(spells["start_date"] <= spells["landmark"]) & (spell_end >= spells["landmark"])]["person_id"]
    after = spells[spells["start_date"] > spells["landmark"]].groupby("person_id")["start_date"].min()
    rows = rows[~rows["person_id"].isin(set(working))].join(after.rename("job"), on="person_id")
    rows = rows.merge(people, on="person_id")
    event = rows["job"].notna() & (rows["job"] <= end)
    stop = rows["job"].where(event, end)
    age = rows["landmark"].dt.year - rows["birth_year"] + (rows["landmark"].dt.month - rows["birth_month"]) / 12
    return rows.assign(
        duration=(stop - rows["landmark"]).dt.days.clip(lower=1).astype(float),
        event=event.astype(int),
        age=age.astype(float),
        partial_work_ability=rows["partial_work_ability"].astype(float),
    ).reset_index(drop=True)


def hazard_ratio(frame: pd.DataFrame) -> dict[str, object]:
    """The Cox model's hazard ratio per point of `change` (adjusted for `COVARIATES`)."""
    from lifelines import CoxPHFitter

    people, events = len(frame), int(frame["event"].sum())
    row: dict[str, object] = {"people": people, "events": events}
    if people < MIN_PARTICIPANTS or events < MIN_EVENTS:
        return row | {"note": f"fewer than {MIN_PARTICIPANTS} people or {MIN_EVENTS} who found work"}
    used = [c for c in COVARIATES if frame[c].nunique() > 1]
    if "change" not in used:
        return row | {"note": "nobody's level changed"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' convergence hints; a failed fit raises
        fitted = CoxPHFitter().fit(frame[[*used, "duration", "event"]], "duration", "event")
    s = fitted.summary.loc["change"]
    return row | {
        "hazard_ratio": float(s["exp(coef)"]),
        "ci_low": float(s["exp(coef) lower 95%"]),
        "ci_high": float(s["exp(coef) upper 95%"]),
        "p_value": float(s["p"]),
        "note": "",
    }


def _inputs(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open-market employment spells and the persons' fixed covariates, person ids as text."""
    e = store.table("employment_spell")
    jobs = e.filter(~e.subsidised).select("person_id", "start_date", "end_date").execute()
    people = store.table("person").select("person_id", "birth_year", "birth_month", "partial_work_ability").execute()
    for frame in (jobs, people):
        frame["person_id"] = frame["person_id"].astype(str)
    for column in ("start_date", "end_date"):
        jobs[column] = pd.to_datetime(jobs[column]).astype("datetime64[us]")
    return jobs, people


def store_work(store: Store, *, as_of: dt.date | None = None, scales: list[ItemScale] | None = None) -> pd.DataFrame:
    """Per item: the hazard ratio of open-market work per point of change (`WORK_COLUMNS`)."""
    values = measurements(store)
    if values.empty:  # nothing measured: no rows (and the store may hold no dates at all)
        return typed_frame(pd.DataFrame(columns=list(WORK_COLUMNS)), WORK_COLUMNS)
    as_of = as_of or data_end(store)
    jobs, people = _inputs(store)
    rows = []
    for scale in scales or shipped_scales():
        frame = follow_up(landmark_rows(values, scale), jobs, people, as_of)
        rows.append({"instrument": scale.instrument, "item": scale.item} | hazard_ratio(frame))
    table = pd.DataFrame(rows, columns=list(WORK_COLUMNS))
    table["note"] = table["note"].fillna("")
    return typed_frame(table, WORK_COLUMNS).replace({np.nan: None}).astype(WORK_COLUMNS)
