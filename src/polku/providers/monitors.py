"""Creaming and parking monitors: what providers do for easy and hard clients.

Creaming (picking the clients who would find work anyway) and parking (taking hard clients
but doing little for them) were "widespread and systematically embedded" in the UK Work
Programme (Rees, Whitworth and Carter 2014). The monitors look at them through the seed
model's chance of work without the service (p_i, `polku.providers.compare.expectations`):

- **by decile** of p_i (deciles over all the service's participants): per provider,
  participants, observed and expected employment, the share actively served, actions per
  participant and the median days from the start to the first action;
- **parking**: the share of a provider's participants with no recorded action during the
  episode (from its start to its end, or the data's end while it runs), overall and in the
  lowest three deciles;
- **creaming**: where providers accept or refuse referrals (`service_episode.referral_decision`),
  the share refused, and the mean p_i of accepted against all referred clients of the
  service (refused referrals carry no p_i, so the monitor compares the provider's accepted
  clients with the service's: a provider whose accepted clients sit well above the service's
  mean, with many refusals, is creaming);
- **trends** over contract periods (calendar years of the start).

An action is a dated record of the provider's work with the client: a measurement
(`ACTIVITY`). The `contact` records are not actions here: they are the employment office's
meetings under the job-search model, which a parked client keeps having; nor are goals,
which the office sets in every client's employment plan at its reviews, served or not.
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from polku.store import Store
from polku.typed import typed_frame

ACTIVITY: tuple[tuple[str, str], ...] = (("measurement", "measured_on"),)
"""(table, date column) of every kind of recorded action."""
LOW_DECILES = 3
PARKING_FLAG = 0.25
"""A provider is flagged as parking when its share never served in the lowest deciles exceeds
the service's other providers' by this much and by more than chance (`_unusual`)."""
CREAMING_FLAG = 0.05
"""A provider is flagged as creaming when its share of refused referrals exceeds the others' by
this much and by more than chance, and its accepted clients' mean p_i is above the service's."""

ACTIVITY_COLUMNS: dict[str, str] = {"episode_id": "object", "actions": "int64", "days_to_first_action": "float64"}

DECILES: dict[str, str] = {
    "service_code": "object",
    "provider_id": "object",
    "decile": "int64",
    "participants": "int64",
    "observed": "float64",
    "expected": "float64",
    "served": "int64",
    "actions": "int64",
    "median_days_to_first_action": "float64",
}

MONITOR: dict[str, str] = {
    "service_code": "object",
    "provider_id": "object",
    "participants": "int64",
    "never_served": "int64",
    "low_participants": "int64",
    "low_never_served": "int64",
    "parking_share": "float64",
    "parking_share_low": "float64",
    "others_parking_share_low": "float64",
    "parking_flag": "bool",
    "referred": "int64",
    "refused": "int64",
    "refused_share": "float64",
    "others_refused_share": "float64",
    "mean_expected": "float64",
    "service_mean_expected": "float64",
    "creaming_flag": "bool",
}

TRENDS: dict[str, str] = {
    "service_code": "object",
    "provider_id": "object",
    "period": "object",
    "participants": "int64",
    "observed": "float64",
    "expected": "float64",
    "never_served": "int64",
}


def activity_sources() -> list[tuple[str, str]]:
    """The action tables: measurements recorded during the episode."""
    return list(ACTIVITY)


def activity(store: Store, expected: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """Actions during each participant's episode and the days from its start to the first."""
    if expected.empty:
        return typed_frame([], ACTIVITY_COLUMNS)
    episodes = store.table("service_episode").select("episode_id", "person_id", "start_date", "end_date")
    wanted = ibis.memtable(pd.DataFrame({"episode_id": expected["episode_id"].astype(str).unique()}))
    episodes = episodes.join(wanted, "episode_id")
    end = episodes.end_date.fill_null(ibis.literal(pd.Timestamp(as_of).date()))
    parts = []
    for name, column in activity_sources():
        t = store.table(name)
        joined = episodes.join(t, [t.person_id == episodes.person_id, t[column] >= episodes.start_date, t[column] <= end])
        parts.append(joined.select(episodes.episode_id, days=(joined[column] - joined.start_date).cast("int64")))
    actions = ibis.union(*parts).group_by("episode_id").aggregate(actions=ibis._.count(), first=ibis._.days.min())
    frame = actions.execute()
    frame = expected[["episode_id"]].drop_duplicates().merge(frame, on="episode_id", how="left")
    return typed_frame(
        pd.DataFrame(
            {
                "episode_id": frame["episode_id"].astype(str),
                "actions": frame["actions"].fillna(0).astype("int64"),
                "days_to_first_action": frame["first"].astype("float64"),
            }
        ),
        ACTIVITY_COLUMNS,
    )


def with_deciles(expected: pd.DataFrame, acts: pd.DataFrame) -> pd.DataFrame:
    """Participants with their decile of p_i within the service (1 = least likely to find work)
    and their actions."""
    data = expected.merge(acts, on="episode_id", how="left")
    data["actions"] = data["actions"].fillna(0).astype("int64")
    ranks = data.groupby("service_code")["expected"].rank(method="first", pct=True)
    data["decile"] = np.ceil(ranks * 10).clip(1, 10).astype("int64")
    return data


def deciles(data: pd.DataFrame) -> pd.DataFrame:
    """Per service, provider and decile: outcomes and activity (`DECILES`)."""
    if data.empty:
        return typed_frame([], DECILES)
    grouped = data.assign(served=data["actions"] > 0).groupby(["service_code", "provider_id", "decile"], sort=True)
    out = grouped.agg(
        participants=("observed", "size"),
        observed=("observed", "sum"),
        expected=("expected", "sum"),
        served=("served", "sum"),
        actions=("actions", "sum"),
        median_days_to_first_action=("days_to_first_action", "median"),
    ).reset_index()
    return typed_frame(out, DECILES)


def trends(data: pd.DataFrame) -> pd.DataFrame:
    """Per service, provider and contract period (calendar year of the start)."""
    if data.empty:
        return typed_frame([], TRENDS)
    data = data.assign(period=pd.to_datetime(data["start_date"]).dt.year.astype(str), never=data["actions"] == 0)
    out = (
        data.groupby(["service_code", "provider_id", "period"], sort=True)
        .agg(
            participants=("observed", "size"),
            observed=("observed", "sum"),
            expected=("expected", "sum"),
            never_served=("never", "sum"),
        )
        .reset_index()
    )
    return typed_frame(out, TRENDS)


def referrals(store: Store) -> pd.DataFrame:
    """Per service and provider: episodes referred (started or not) and referrals refused
    (`referral_decision` = refused; none where the data model or the data has no decisions)."""
    e = store.table("service_episode").filter(ibis._.provider_id.notnull())
    decided = "referral_decision" in e.columns
    refused = (e.referral_decision == "refused").fill_null(False).cast("int64") if decided else ibis.literal(0, "int64")
    grouped = e.mutate(was_refused=refused).group_by("service_code", "provider_id")
    frame = grouped.aggregate(referred=ibis._.count(), refused=ibis._.was_refused.sum().fill_null(0)).execute()
    return frame.astype({"service_code": "object", "provider_id": "object", "referred": "int64", "refused": "int64"})


def _unusual(count: int, n: int, others: float, margin: float) -> bool:
    """`count` of `n` exceeds the others' share by `margin` and by more than chance (one-sided
    binomial test at 0.001 against the others' share, at least 1 %)."""
    if n == 0 or count / n - others <= margin:
        return False
    return bool(stats.binom.sf(count - 1, n, max(others, 0.01)) < 0.001)


def _others(frame: pd.DataFrame, i: Any, count: str, total: str) -> float:
    rest = frame.drop(index=i)
    return float(rest[count].sum() / rest[total].sum()) if rest[total].sum() else 0.0


def monitor(data: pd.DataFrame, referred: pd.DataFrame) -> pd.DataFrame:
    """Per service and provider: parking (never served, overall and in the lowest deciles) and
    creaming (refused referrals, mean p_i of accepted clients), each flagged only when it
    stands out from the service's other providers by more than chance (`_unusual`)."""
    if data.empty:
        return typed_frame([], MONITOR)
    low = data["decile"] <= LOW_DECILES
    data = data.assign(never=data["actions"] == 0, low=low, low_never=(data["actions"] == 0) & low)
    per = (
        data.groupby(["service_code", "provider_id"], sort=True)
        .agg(
            participants=("observed", "size"),
            never_served=("never", "sum"),
            low_participants=("low", "sum"),
            low_never_served=("low_never", "sum"),
            mean_expected=("expected", "mean"),
        )
        .reset_index()
        .merge(referred, on=["service_code", "provider_id"], how="left")
    )
    per[["referred", "refused"]] = per[["referred", "refused"]].fillna(0).astype("int64")
    rows = []
    for _, part in per.groupby("service_code", sort=True):
        service_mean = float(data.loc[data["service_code"] == part["service_code"].iloc[0], "expected"].mean())
        for i, row in part.iterrows():
            others_low = _others(part, i, "low_never_served", "low_participants")
            others_refused = _others(part, i, "refused", "referred")
            parking = _unusual(int(row["low_never_served"]), int(row["low_participants"]), others_low, PARKING_FLAG)
            creaming = (
                _unusual(int(row["refused"]), int(row["referred"]), others_refused, 0.05) and row["mean_expected"] > service_mean
            )
            rows.append(
                row.to_dict()
                | {
                    "parking_share": row["never_served"] / row["participants"],
                    "parking_share_low": row["low_never_served"] / row["low_participants"] if row["low_participants"] else np.nan,
                    "others_parking_share_low": others_low,
                    "parking_flag": parking,
                    "refused_share": row["refused"] / row["referred"] if row["referred"] else np.nan,
                    "others_refused_share": others_refused,
                    "service_mean_expected": service_mean,
                    "creaming_flag": bool(creaming),
                }
            )
    return typed_frame(rows, MONITOR)
