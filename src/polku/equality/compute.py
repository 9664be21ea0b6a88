"""Equal treatment by group: the `equality_*` tables of an analysis run.

Why in the run: the comparisons need the person-level cohort and the store; the report,
`polku equality` and the web read the stored observed, expected and variance of each
comparison, and the tests (`polku.equality.significance`) are applied there.

For each attribute (sex, age group, mother-tongue group, partial work ability,
municipality, and the cohort columns named in POLKU_EQUALITY_EXTRA) and each of its
groups ("level") against everyone else:
  - `equality_allocation`: who starts each service, among the service's cohort rows
    (participants and the job seekers at risk of starting on the same days), stratified
    by client group (the need the area's allocation should follow): Mantel-Haenszel O, E, V;
  - `equality_time`: registration spells with a service started within 90 days of the
    registration, among spells followed 90 days, stratified by the year of registration;
    beside it the median days to the first service of those who got one;
  - `equality_outcomes`: participants in work within 12 months, stratified by service and
    client group;
  - `equality_calibration`: the same outcome against the seed model's p_i (observed against
    predicted);
  - `equality_effects`: each service's effect for the group and for everyone else, with
    the run's registered estimator, on the same rows and weights as the run's estimate.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from polku import settings
from polku.cohort.build import COVARIATES, data_end
from polku.equality.record import SCHEMAS
from polku.equality.significance import calibration, mantel_haenszel
from polku.errors import ConfigurationError, PolkuError
from polku.impact.design import MIN_PARTICIPANTS
from polku.impact.registry import make_estimator
from polku.pipeline.by_service import augmented_column
from polku.pipeline.store_views import Analysis, ServiceView, analysis_rows
from polku.pipeline.workers import map_in_order
from polku.store import Store

ATTRIBUTES = ("sex", "age_group", "mother_tongue_group", "partial_work_ability", "municipality_code")
AGE_BANDS = ((0, 25, "under 25"), (25, 30, "25-29"), (30, 55, "30-54"), (55, 200, "55 and over"))
"""Statistics Finland's bands for young and older job seekers (under 25, 55 and over)."""
SERVED_WITHIN = 90
OUTCOME = "employed_12m"


def attributes() -> tuple[str, ...]:
    """The fixed attributes and the area's own (POLKU_EQUALITY_EXTRA, cohort columns)."""
    extra = [name.strip() for name in settings.get("POLKU_EQUALITY_EXTRA").split(",") if name.strip()]
    for name in extra:
        if name not in COVARIATES or name in ATTRIBUTES:
            raise ConfigurationError(
                f"POLKU_EQUALITY_EXTRA names '{name}', which is not a further cohort column",
                fix=f"use some of: {', '.join(c for c in COVARIATES if c not in ATTRIBUTES)}.",
            )
    return (*ATTRIBUTES, *extra)


def age_group(age: pd.Series) -> pd.Series:
    values = pd.to_numeric(age, errors="coerce").to_numpy(float)
    labels = np.full(len(values), "unknown", dtype=object)
    for low, high, label in AGE_BANDS:
        labels[(values >= low) & (values < high)] = label
    return pd.Series(labels, index=age.index)


def with_attributes(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with each attribute as text ('unknown' when missing)."""
    out = frame.assign(age_group=age_group(frame["age"])) if "age" in frame else frame.copy()
    for name in names:
        out[name] = out[name].astype(object).where(out[name].notna(), "unknown").astype(str) if name in out else "unknown"
    return out


def typed(rows: list[dict[str, object]], name: str) -> pd.DataFrame:
    schema = SCHEMAS[name]
    return pd.DataFrame(rows, columns=list(schema)).astype(schema)


def _levels(frame: pd.DataFrame, name: str) -> list[str]:
    """The groups compared with the rest: all of them, but of two only the smaller (the
    other's test is the same test)."""
    counts = frame[name].value_counts()
    if len(counts) < 2:
        return []
    if len(counts) == 2:
        return [min(counts.index, key=lambda level: (counts[level], level))]
    return sorted(counts.index)


def allocation_rows(view: ServiceView, names: tuple[str, ...]) -> list[dict[str, object]]:
    """Mantel-Haenszel by client group of starting the service, per attribute level."""
    frame = view.frame
    if "client_group" not in frame or frame.empty:
        return []
    f = with_attributes(frame, names)
    treated, strata = f["treated"].astype(bool).to_numpy(), f["client_group"].astype(str).to_numpy()
    rows = []
    for name in names:
        for level in _levels(f, name):
            inside = (f[name] == level).to_numpy()
            t = mantel_haenszel(treated, inside, strata)
            rows.append(
                {"attribute": name, "level": level, "service_code": view.service_code, "people": int(inside.sum())} | t.__dict__
            )
    return rows


def participant_frame(views: list[ServiceView], names: tuple[str, ...]) -> pd.DataFrame:
    """Every service's followed participants with their outcome and attributes."""
    parts = []
    for view in views:
        f = view.frame
        if "client_group" not in f or f.empty:
            continue
        parts.append(with_attributes(f[f["treated"].astype(bool)].assign(service_code=view.service_code), names))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def outcome_rows(people: pd.DataFrame, names: tuple[str, ...]) -> list[dict[str, object]]:
    """Employment by level against other participants of the same service and client group."""
    if people.empty:
        return []
    y = people[OUTCOME].fillna(False).astype(float).to_numpy()
    strata = (people["service_code"].astype(str) + "|" + people["client_group"].astype(str)).to_numpy()
    rows = []
    for name in names:
        for level in _levels(people, name):
            inside = (people[name] == level).to_numpy()
            rows.append(
                {"attribute": name, "level": level, "people": int(inside.sum())} | mantel_haenszel(y, inside, strata).__dict__
            )
    return rows


def reference_frame(views: list[ServiceView], names: tuple[str, ...]) -> pd.DataFrame:
    """The comparison rows of every service (no service changed their outcome), each
    person and date once, with the cross-fitted chance of work (`potential`, the seed
    model's logistic model fitted on the other folds, `polku.groups.potential`)."""
    parts = []
    for view in views:
        f = view.frame
        if "potential" not in f or f.empty:
            continue
        keep = ~f["treated"].astype(bool) & (f["censoring_weight"] > 0)
        parts.append(f.loc[keep, ["person_id", "ref_date", "potential", "censoring_weight", OUTCOME, *COVARIATES]])
    if not parts:
        return pd.DataFrame()
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.assign(person_id=frame["person_id"].astype(str)).drop_duplicates(["person_id", "ref_date"])
    return with_attributes(frame.reset_index(drop=True), names)


def calibration_rows(reference: pd.DataFrame, names: tuple[str, ...]) -> list[dict[str, object]]:
    """Observed against predicted by level on the reference rows, weighted by the censoring
    weight w: O = sum w y, E = sum w p, V = sum w^2 p (1 - p)."""
    if reference.empty:
        return []
    w = reference["censoring_weight"].to_numpy(float)
    y, p = reference[OUTCOME].fillna(False).astype(float).to_numpy(), reference["potential"].to_numpy(float)
    rows = []
    for name in names:
        for level in _levels(reference, name):
            inside = (reference[name] == level).to_numpy()
            t = calibration(w[inside] * y[inside], w[inside] * p[inside], w[inside] ** 2 * p[inside] * (1 - p[inside]))
            rows.append({"attribute": name, "level": level, "people": int(inside.sum())} | t.__dict__)
    return rows


def _fit(a: Analysis, y: np.ndarray, keep: np.ndarray, method: str, seed: int) -> tuple[float, float, float, float]:
    """The registered estimator's effect on rows `keep`: estimate, se, interval (nan if none)."""
    estimator = make_estimator(method, random_state=seed)
    people = a.people
    clusters = None if people is None else people[keep]
    try:
        r = estimator.fit(a.X[keep], a.t[keep], y[keep], a.covariates, sample_weight=a.w[keep], clusters=clusters).result_
    except PolkuError:
        return (np.nan,) * 4
    if r.estimate is None:
        return (np.nan,) * 4
    return float(r.estimate), float(r.std_error or np.nan), float(r.ci_low), float(r.ci_high)


def effect_rows(view: ServiceView, names: tuple[str, ...], method: str, seed: int) -> list[dict[str, object]]:
    """The service's effect for each level with enough participants on both sides, and for
    everyone else, on the run's estimate rows and weights."""
    result = view.overall.result
    analysis = analysis_rows(view.frame, result)
    if analysis is None or result.suppressed:
        return []
    column = augmented_column(OUTCOME) if augmented_column(OUTCOME) in analysis.frame else OUTCOME
    y = analysis.frame[column].to_numpy(dtype=float)
    f = with_attributes(analysis.frame, names)
    rows = []
    for name in names:
        for level in _levels(f, name):
            inside = (f[name] == level).to_numpy()
            n_in, n_out = int((inside & analysis.t).sum()), int((~inside & analysis.t).sum())
            if min(n_in, n_out) < MIN_PARTICIPANTS:
                continue
            group, rest = _fit(analysis, y, inside, method, seed), _fit(analysis, y, ~inside, method, seed)
            keys = ("estimate", "se", "lower", "upper")
            rows.append(
                {"attribute": name, "level": level, "service_code": view.service_code, "people": n_in}
                | {f"group_{k}": v for k, v in zip(keys, group)}
                | {f"rest_{k}": v for k, v in zip(keys, rest)}
            )
    return rows


def _effect_rows(views: list[ServiceView], names: tuple[str, ...], method: str, seed: int) -> list[dict[str, object]]:
    """`effect_rows` of every service, each in a worker process when there are several
    (`polku.pipeline.workers`): two fits per attribute level make it a sixth of a run."""
    per_view = map_in_order(functools.partial(effect_rows, names=names, method=method, seed=seed), views)
    return [row for rows in per_view for row in rows]


def spell_frame(store: Store) -> pd.DataFrame:
    """Registration spells followed `SERVED_WITHIN` days, with the person's attributes at
    the start and the days to the first service started in the spell (nan if none)."""
    end = data_end(store)
    spells = store.table("registration_spell").select("person_id", "start_date", "end_date")
    spells = spells.filter(spells.start_date <= end - dt.timedelta(days=SERVED_WITHIN))
    episodes = store.table("service_episode").select("person_id", service_start="start_date")
    j = spells.left_join(episodes, "person_id")
    inside = (j.service_start >= j.start_date) & (j.end_date.isnull() | (j.service_start <= j.end_date))
    first = j.group_by(["person_id", "start_date"]).aggregate(first=j.service_start.min(where=inside))
    person = store.table("person")
    cols = ["sex", "mother_tongue_group", "municipality_code", "partial_work_ability", "birth_year", "birth_month"]
    joined = first.join(person.select("person_id", *cols), "person_id")
    frame = joined.order_by(["person_id", "start_date"]).execute()  # in a fixed order: the sums below must not vary by a bit
    start = pd.to_datetime(frame["start_date"])
    frame["age"] = start.dt.year - frame["birth_year"] + (start.dt.month - frame["birth_month"]) / 12.0
    frame["days"] = (pd.to_datetime(frame["first"]) - start).dt.days
    frame["year"] = start.dt.year.astype(str)
    return frame


def time_rows(spells: pd.DataFrame, names: tuple[str, ...]) -> list[dict[str, object]]:
    """Served within 90 days by level, stratified by year of registration."""
    if spells.empty:
        return []
    f = with_attributes(spells, tuple(n for n in names if n in spells or n == "age_group"))
    served = (f["days"] <= SERVED_WITHIN).to_numpy()
    rows = []
    for name in names:
        if name not in f:
            continue
        for level in _levels(f, name):
            inside = (f[name] == level).to_numpy()
            t = mantel_haenszel(served, inside, f["year"].to_numpy())
            median = float(f.loc[inside & f["days"].notna().to_numpy(), "days"].median())
            rows.append({"attribute": name, "level": level, "people": int(inside.sum())} | t.__dict__ | {"median_days": median})
    return rows


def equality_tables(store: Store, views: list[ServiceView], method: str, seed: int) -> dict[str, pd.DataFrame]:
    """Every `equality_*` table of a run."""
    names = attributes()
    if not views:  # an empty store has no data end either
        return {name: typed([], name) for name in SCHEMAS}
    return {
        "equality_allocation": typed([r for v in views for r in allocation_rows(v, names)], "equality_allocation"),
        "equality_time": typed(time_rows(spell_frame(store), names), "equality_time"),
        "equality_outcomes": typed(outcome_rows(participant_frame(views, names), names), "equality_outcomes"),
        "equality_calibration": typed(calibration_rows(reference_frame(views, names), names), "equality_calibration"),
        "equality_effects": typed(_effect_rows(views, names, method, seed), "equality_effects"),
    }
