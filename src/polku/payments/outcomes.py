"""What a payment model counts, per provider, stored in the analysis run (tables `payments_*`).

Why in the run: a payment depends on the model file, which is chosen after the analysis,
but the counts it pays for (attachments, job outcomes, months in work, earnings, reliable
progress) and the seed model's chance of work without the service are person-level and
need the store. `polku analyse` aggregates them once, per provider, service, month of
the start, client group, benefit at the start and decile of the expected outcome, so
that `polku payments --model FILE` prices any model from the run alone and never fits.

Tables (exact; the gate applies when shown):
  - `payments_outcomes`: participants; for each window W in (12, 24) months the followed
    participants, those in open-market work on any day of it and their earnings; and the
    seed model's sum of p_i (chance of work within 12 months without the service,
    `polku.pipeline.store_views.expected_model_fit`) over those it could be computed for.
  - `payments_sustained`: followed participants with at least m months (m x 30.44 days)
    of open-market work within the window, m = 1..W.
  - `payments_progress`: episodes with a measurement at the start and end, and those with
    reliable improvement (RCI above 1.96, `polku.change.measures.classify`).
The decile (1-10; 0 without p_i) is that of p_i among the service's participants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.change.measures import classify, episode_pairs, item_sd
from polku.cohort.measures import DAYS_PER_MONTH
from polku.pipeline.store_views import ServiceView, analysis_rows, expected_model_fit
from polku.store import Store

WINDOWS = (12, 24)
KEYS = ["provider_id", "service_code", "month", "client_group", "benefit", "decile"]
OUTCOMES: dict[str, str] = {
    **dict.fromkeys(KEYS, "object"),
    "participants": "int64",
    **{f"{m}_{w}m": t for w in WINDOWS for m, t in (("followed", "int64"), ("employed", "int64"), ("earnings", "float64"))},
    "with_expected": "int64",
    "employed_with_expected": "int64",
    "expected_12m": "float64",
}
SUSTAINED: dict[str, str] = {**dict.fromkeys(KEYS, "object"), "window_months": "int64", "months": "int64", "people": "int64"}
PROGRESS: dict[str, str] = {
    **dict.fromkeys(KEYS, "object"),
    "instrument": "object",
    "item": "object",
    "measured": "int64",
    "improved": "int64",
}
PERIOD_DEFAULT = "employed_12m"
NONE = "_none"
"""An episode without a provider (the report's `polku.reports.context.NONE`, which labels it)."""


def typed(frame: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """`frame` with exactly the schema's columns and types (an empty one keeps them too)."""
    out = frame.reindex(columns=list(schema)) if len(frame) else pd.DataFrame({c: [] for c in schema})
    return out.astype(schema)


def expected_chance(view: ServiceView, seed: int = 0) -> pd.Series:
    """Each participant episode's p_i under the seed model, by episode id (empty when the
    service had too few rows for a model)."""
    result = view.overall.result
    analysis = analysis_rows(view.frame, result, "censoring_weight") or analysis_rows(view.frame, result)
    if analysis is None or result.suppressed or analysis.t.all() or not analysis.t.any():
        return pd.Series(dtype=float)
    y = analysis.outcome(PERIOD_DEFAULT)
    fit = expected_model_fit(analysis, np.nan_to_num(y), seed)
    episodes = analysis.frame.loc[analysis.t, "episode_id"].astype(str).to_numpy()
    return pd.Series(fit.expected, index=episodes).groupby(level=0).first()


def expected_chances(views: list[ServiceView], seed: int = 0) -> dict[str, pd.Series]:
    """`expected_chance` of every service with a cohort, by service code."""
    return {view.service_code: expected_chance(view, seed) for view in views if "treated" in view.frame}


def participant_rows(view: ServiceView, p: pd.Series) -> pd.DataFrame:
    """The service's participant episodes with the keys and outcomes payments count, and
    each one's p_i from `expected_chance`."""
    frame = view.frame
    rows = frame[frame["treated"].astype(bool)].copy()
    rows["episode_id"] = rows["episode_id"].astype(str)
    rows["expected"] = rows["episode_id"].map(p).astype(float)
    rows["decile"] = _deciles(rows["expected"])
    rows["service_code"] = view.service_code
    rows["month"] = pd.to_datetime(rows["ref_date"]).dt.strftime("%Y-%m")
    rows["provider_id"] = rows["provider_id"].fillna(NONE).astype(str)
    for column in ("client_group", "benefit"):
        rows[column] = rows[column].fillna("none").astype(str) if column in rows else "none"
    return rows.reset_index(drop=True)


def _deciles(p: pd.Series) -> pd.Series:
    """1-10 by the service's participants' p_i; '0' where p_i is unknown."""
    out = pd.Series("0", index=p.index, dtype=object)
    known = p.notna()
    if known.sum() >= 10:
        ranks = p[known].rank(method="first")
        out[known] = (np.ceil(10 * ranks / known.sum()).clip(1, 10).astype(int)).astype(str)
    return out


def outcome_table(rows: pd.DataFrame) -> pd.DataFrame:
    """`payments_outcomes` from `participant_rows` of every service."""
    if rows.empty:
        return typed(rows, OUTCOMES)
    r = rows.assign(participants=1)
    for w in WINDOWS:
        followed = r[f"followed_{w}m"].fillna(False).astype(bool)
        r[f"followed_{w}m"] = followed.astype(int)
        r[f"employed_{w}m"] = (followed & r[f"employed_{w}m"].fillna(False).astype(bool)).astype(int)
        r[f"earnings_{w}m"] = np.where(followed, pd.to_numeric(r[f"earnings_{w}m"]).fillna(0.0), 0.0)
    known = r["expected"].notna() & r["followed_12m"].astype(bool)
    r["with_expected"] = known.astype(int)
    r["employed_with_expected"] = (known & r["employed_12m"].astype(bool)).astype(int)
    r["expected_12m"] = np.where(known, r["expected"].fillna(0.0), 0.0)
    sums = [c for c in OUTCOMES if c not in KEYS]
    return typed(r.groupby(KEYS, as_index=False)[sums].sum(), OUTCOMES)


def sustained_table(rows: pd.DataFrame) -> pd.DataFrame:
    """`payments_sustained`: followed participants with m or more months in work, m = 1..W."""
    parts = []
    for w in WINDOWS:
        followed = rows[rows[f"followed_{w}m"].fillna(False).astype(bool)]
        months = np.floor(pd.to_numeric(followed[f"days_employed_{w}m"]).fillna(0).to_numpy() / DAYS_PER_MONTH)
        for m in range(1, w + 1):
            reached = followed[months >= m]
            if reached.empty:
                break
            counts = reached.groupby(KEYS, as_index=False).size().rename(columns={"size": "people"})
            parts.append(counts.assign(window_months=w, months=m))
    return typed(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), SUSTAINED)


def progress_table(store: Store, rows: pd.DataFrame) -> pd.DataFrame:
    """`payments_progress`: per key, instrument and item, episodes measured at start and
    end of the episode and those with reliable improvement."""
    if rows.empty:
        return typed(pd.DataFrame(), PROGRESS)
    sd = item_sd(store)
    if sd.empty:
        return typed(pd.DataFrame(), PROGRESS)
    pairs = classify(episode_pairs(store), sd)
    pairs = pairs.filter(pairs.period == "start_end").select("episode_id", "instrument", "item", "change_class").execute()
    if pairs.empty:
        return typed(pd.DataFrame(), PROGRESS)
    pairs["episode_id"] = pairs["episode_id"].astype(str)
    joined = pairs.merge(rows[["episode_id", *KEYS]].drop_duplicates("episode_id"), on="episode_id")
    joined["improved"] = (joined["change_class"] == "improved").astype(int)
    out = joined.groupby([*KEYS, "instrument", "item"], as_index=False).agg(
        measured=("episode_id", "size"), improved=("improved", "sum")
    )
    return typed(out, PROGRESS)


def payment_tables(store: Store, views: list[ServiceView], chances: dict[str, pd.Series]) -> dict[str, pd.DataFrame]:
    """Every `payments_*` table of a run from the services' views and p_i (`expected_chances`)."""
    empty = pd.Series(dtype=float)
    parts = [participant_rows(view, chances.get(view.service_code, empty)) for view in views if "treated" in view.frame]
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame()
    return {
        "payments_outcomes": outcome_table(rows),
        "payments_sustained": sustained_table(rows) if len(rows) else typed(rows, SUSTAINED),
        "payments_progress": progress_table(store, rows),
    }
