"""The seed model for the own desk: each client's chance of work within 12 months without a service.

This is the "expected" model of seed 000 (`polku.impact.expected_model`, logistic kind),
learned at `polku analyse` time and stored in the run as a plain table of terms, so that the
web applies it and never fits (`chances`). Why a table: a run's tables are Parquet files;
the model is `logit p = b0 + sum_j b_j (x_j - m_j) / s_j` (the standardising step and the
logistic regression of the default pipeline), which a table of (term, m, s, b) holds
exactly, and which anyone can read and check.

Reference rows: every person with a registration spell open on the first day of a quarter
whose 12 months had passed by the data's end, and who neither was in a service that day nor
started one in the 12 months after (the chance *without* a service). Outcome: an
open-market job (not pay-subsidised) of 18 or more hours a week starting within those 12
months. Excluding those who started a service leaves out some who would have looked for work
on their own, and those who find work early have less time to start a service, so the
chance is somewhat optimistic; docs/web.md states it.

Uncertainty: the covariance of the coefficients (the inverse of the information matrix
Z'WZ of the standardised design Z with W = p(1 - p), the usual large-sample covariance of a
maximum-likelihood logistic fit; the default model's penalty C = 1e6 is negligible) is
stored as a second table; a client's interval is expit(eta +/- 1.96 sqrt(z' V z)) for their
standardised terms z (the delta method on the logit scale).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd

from polku.cohort.build import data_end
from polku.desk.features import Tables, design_terms, features, matrix, term_values
from polku.errors import UsageError
from polku.groups import HIGH, LOW
from polku.store import Store

TERMS_TABLE = "desk_expected_terms"
COVARIANCE_TABLE = "desk_expected_covariance"
QUALITY_TABLE = "desk_expected_quality"
Z95 = 1.959963984540054
HORIZON_DAYS = 365
MIN_HOURS = 18.0
MAX_ROWS = 100_000
MIN_ROWS = 50
INTERCEPT = "(intercept)"


def _next_quarter(day: dt.date) -> dt.date:
    """The first day of the quarter after the one `day` is in."""
    month = (day.month - 1) // 3 * 3 + 4
    return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


def reference_dates(first: dt.date, end: dt.date) -> list[dt.date]:
    """First days of quarters, from the quarter after `first`, whose 12 months end by `end`."""
    found: list[dt.date] = []
    day = _next_quarter(first)
    while day + dt.timedelta(days=HORIZON_DAYS) <= end:
        found.append(day)
        day = _next_quarter(day)
    return found


def _days(table: Tables, dates: list[dt.date]) -> ibis.Table:
    regs = table("registration_spell")
    grid = ibis.memtable(pd.DataFrame({"ref_date": dates}), schema={"ref_date": "date"})
    joined = regs.cross_join(grid)
    open_ = joined.filter(
        (joined.start_date <= joined.ref_date) & (joined.end_date.isnull() | (joined.end_date >= joined.ref_date))
    )
    return open_.select("person_id", "ref_date").distinct()


def _flags(table: Tables, days: ibis.Table) -> pd.DataFrame:
    """Per (person_id, ref_date): employed within 12 months, and served (in or starting a service)."""
    jobs, eps = table("employment_spell"), table("service_episode")
    later = days.ref_date + ibis.interval(days=HORIZON_DAYS)
    work = days.inner_join(jobs, days.person_id == jobs.person_id).filter(
        (jobs.start_date > days.ref_date) & (jobs.start_date <= later) & ~jobs.subsidised & (jobs.weekly_hours >= MIN_HOURS)
    )
    served = days.inner_join(eps, days.person_id == eps.person_id).filter(
        (eps.start_date <= later) & (eps.end_date.isnull() | (eps.end_date >= days.ref_date))
    )
    keys = ["person_id", "ref_date"]
    employed = work.select(*keys).distinct().mutate(employed=ibis.literal(1.0)).execute()
    busy = served.select(*keys).distinct().mutate(served=ibis.literal(True)).execute()
    return employed.merge(busy, on=keys, how="outer")


def reference_rows(store: Store, as_of: dt.date, seed: int) -> pd.DataFrame:
    """The reference rows with their features and outcome (`employed`), at most `MAX_ROWS`."""
    regs = store.table("registration_spell")
    first = regs.start_date.min().execute()
    if first is None or pd.isna(first):
        return pd.DataFrame()
    dates = reference_dates(pd.Timestamp(first).date(), as_of)
    if not dates:
        return pd.DataFrame()
    days = _days(store.table, dates)
    rows = features(store.table, days)
    flags = _flags(store.table, days)
    rows["ref_date"] = pd.to_datetime(rows["ref_date"]).dt.date
    flags["ref_date"] = pd.to_datetime(flags["ref_date"]).dt.date
    rows = rows.merge(flags, on=["person_id", "ref_date"], how="left")
    rows = rows[rows["served"].isna()].assign(employed=rows["employed"].fillna(0.0))
    if len(rows) > MAX_ROWS:
        rows = rows.sample(MAX_ROWS, random_state=seed)
    return rows.sort_values(["person_id", "ref_date"]).reset_index(drop=True)


def _coefficients(model: Any, terms: list[str]) -> pd.DataFrame:
    scaler, logistic = model.steps[0][1], model.steps[-1][1]
    return pd.DataFrame(
        {
            "term": [INTERCEPT, *terms],
            "mean": [0.0, *scaler.mean_.astype(float)],
            "scale": [1.0, *scaler.scale_.astype(float)],
            "coefficient": [float(logistic.intercept_[0]), *logistic.coef_[0].astype(float)],
        }
    )


def _standardised(terms: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """The design Z of `frame` in the model's standardised terms, intercept first."""
    columns = [
        np.ones(len(frame)) if row.term == INTERCEPT else (term_values(frame, row.term) - row.mean) / row.scale
        for row in terms.itertuples(index=False)
    ]
    return np.column_stack(columns)


def _covariance(terms: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The coefficients' large-sample covariance, inv(Z'WZ), as (row term, column term, value)."""
    Z = _standardised(terms, rows)
    p = 1.0 / (1.0 + np.exp(-Z @ terms["coefficient"].to_numpy()))
    V = np.linalg.pinv(Z.T @ (Z * (p * (1 - p))[:, None]))
    names = terms["term"].tolist()
    return pd.DataFrame(
        {"row_term": np.repeat(names, len(names)), "column_term": np.tile(names, len(names)), "covariance": V.ravel()}
    )


def fit_terms(rows: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """The terms, covariance and quality tables of the logistic seed model on the reference rows."""
    names = design_terms(rows)
    X, y = matrix(rows, names), rows["employed"].to_numpy(dtype=float)
    from sklearn.base import clone  # the web applies stored terms and never needs scikit-learn

    from polku.impact.expected_model import held_out_quality, make_model

    terms = _coefficients(clone(make_model("logistic", True, seed)).fit(X, y), names)
    quality = held_out_quality(X, y, "logistic", seed)
    dates = pd.to_datetime(rows["ref_date"])
    summary = {
        "reference_rows": len(y),
        "employed_share": float(y.mean()),
        "auc": quality.auc,
        "brier": quality.brier,
        "first_reference_date": dates.min().date().isoformat(),
        "last_reference_date": dates.max().date().isoformat(),
        "horizon_days": HORIZON_DAYS,
    }
    return {TERMS_TABLE: terms, COVARIANCE_TABLE: _covariance(terms, rows), QUALITY_TABLE: pd.DataFrame([summary])}


def compute(store: Store, as_of: dt.date | None, seed: int) -> dict[str, pd.DataFrame]:
    """The run's tables of the seed model; an empty terms table when the store has too little history."""
    empty = {TERMS_TABLE: pd.DataFrame({"term": [], "mean": [], "scale": [], "coefficient": []})}
    try:
        end = as_of or data_end(store)
    except UsageError:  # an empty store: nothing to learn from
        return empty
    rows = reference_rows(store, end, seed)
    if len(rows) < MIN_ROWS or rows["employed"].nunique() < 2:
        return empty
    return fit_terms(rows, seed)


def chances(terms: pd.DataFrame, covariance: pd.DataFrame | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Each client's chance, its 95 % interval and the employment-potential group it falls in
    (`polku.groups` cut points); prediction only, from the stored tables."""
    columns = ["person_id", "chance", "low", "high", "group"]
    if terms.empty or frame.empty:
        return pd.DataFrame(columns=columns)
    Z = _standardised(terms, frame)
    eta = Z @ terms["coefficient"].to_numpy(dtype=float)
    half = np.zeros(len(frame))
    if covariance is not None and not covariance.empty:
        names = terms["term"].tolist()
        V = covariance.pivot(index="row_term", columns="column_term", values="covariance").loc[names, names].to_numpy()
        half = Z95 * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", Z, V, Z), 0.0))
    chance = _expit(eta)
    group = np.where(chance >= HIGH, "high", np.where(chance < LOW, "low", "medium"))
    values = [frame["person_id"].astype(str).to_numpy(), chance, _expit(eta - half), _expit(eta + half), group]
    return pd.DataFrame(dict(zip(columns, values)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
