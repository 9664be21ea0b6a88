"""The comparison pool of a whole analysis, thinned to the keys its draws can reach.

Why: `draw_pool` on every start day holds every person at risk on every day, each with a
64-digit key, ranked within the day (about 220 million rows at 1,000,000 clients, which
DuckDB sorts by spilling); the draws take only the first `k` x starting people of each
day whom the service's rule allows. A draw ranks by key, so the rows whose key sorts below
a day's threshold are a prefix of that day's order, and each keeps its place. The
threshold is set per day so that, for every draw, the people it allows below the threshold
are expected to exceed its need by six binomial standard deviations plus 20 (a day short
of that happens about once in a million draw-days). Each draw is then checked, and a day
where one falls short all the same is taken whole. The draw is thereby the same to the
row as on the whole pool (`tests/cohort/test_pool.py`), while the keys are only compared,
not stored and sorted.

A threshold is the key's first eight hexadecimal digits: the share of keys below it is the
fraction kept, since SHA-256's digits are uniform.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import pandas as pd
from ibis import _

from polku.cohort.draw import Rule, Tables, at_risk, draw_pool, start_dates

SPARE_SD = 6.0
"""Binomial standard deviations of spare rows a threshold keeps above a draw's need."""
SPARE_ROWS = 20
"""Spare rows on top, so that a small need is met as surely as a large one."""
KEY_DIGITS = 8
WHOLE_DAY = "g"
"""A threshold above every hexadecimal key: the day's every row is kept."""


@dataclass(frozen=True)
class Demand:
    """One draw the pool must serve: a service's starts (`participants`), its comparison
    people per participant and the rule they must meet (None: everyone at risk)."""

    starts: ibis.Table
    k: int
    rule: Rule | None


def kept_fraction(need: int, eligible: int, spare_sd: float = SPARE_SD) -> float:
    """The share of a day's keys to keep so that, of `eligible` people a draw allows, more
    than `need` fall below the threshold all but surely (1 keeps the whole day)."""
    if need <= 0:
        return 0.0
    if eligible <= need:
        return 1.0
    return min(1.0, (need + spare_sd * math.sqrt(need) + SPARE_ROWS) / eligible)


def key_below(fraction: float) -> str:
    """The threshold that keeps `fraction` of uniform keys: `KEY_DIGITS` hex digits."""
    kept = math.ceil(fraction * 16**KEY_DIGITS)
    return WHOLE_DAY if kept >= 16**KEY_DIGITS else format(kept, f"0{KEY_DIGITS}x")


def day_thresholds(table: Tables, demands: Sequence[Demand], needs: pd.DataFrame) -> pd.DataFrame:
    """(ref_date, below): each start day's threshold, the widest any demand needs
    (`needs`: `demand_needs` of `demands`)."""
    if needs.empty:
        return pd.DataFrame({"ref_date": pd.Series(dtype="object"), "below": pd.Series(dtype="object")})
    days = ibis.memtable(needs[["ref_date"]].drop_duplicates(), schema={"ref_date": "date"})
    eligible = {id(rule): _eligible(table, days, rule) for rule in {id(d.rule): d.rule for d in demands}.values()}
    rows = []
    for i, demand in enumerate(demands):
        own = needs[needs.demand == i].merge(eligible[id(demand.rule)], on="ref_date", how="left")
        fraction = [kept_fraction(int(n), int(e)) for n, e in zip(own.need, own.eligible.fillna(0))]
        if fraction:
            rows.append(pd.DataFrame({"ref_date": own.ref_date, "fraction": fraction}))
    widest = pd.concat(rows).groupby("ref_date", as_index=False).fraction.max()
    return pd.DataFrame({"ref_date": widest.ref_date, "below": [key_below(f) for f in widest.fraction]})


def short_days(
    table: Tables, pool: ibis.Table, demands: Sequence[Demand], needs: pd.DataFrame, thresholds: pd.DataFrame
) -> list[object]:
    """The thinned days (`thresholds`) on which some demand's rule allows fewer of the pool's
    rows than it needs (on a whole day, fewer allowed people than the need is no shortfall)."""
    thinned = set(thresholds.ref_date[thresholds.below != WHOLE_DAY])
    short: set[object] = set()
    for i, demand in enumerate(demands):
        rows = pool.join(start_dates(demand.starts).select("ref_date"), "ref_date")
        allowed = demand.rule(table, rows) if demand.rule is not None else rows
        kept = allowed.group_by("ref_date").aggregate(kept=_.count()).to_pandas()
        own = needs[needs.demand == i].merge(kept, on="ref_date", how="left").fillna({"kept": 0})
        short |= {day for day in own.ref_date[own.kept < own.need] if day in thinned}
    return sorted(short)  # type: ignore[type-var]


def thin_pool(
    table: Tables, demands: Sequence[Demand], needs: pd.DataFrame, seed: int, *, native: bool = True
) -> tuple[ibis.Table, pd.DataFrame]:
    """`draw_pool` on the demands' start days, kept below each day's threshold (the
    expression, and the thresholds it uses)."""
    thresholds = day_thresholds(table, demands, needs)
    return draw_pool(table, threshold_table(thresholds), seed, native=native), thresholds


def threshold_table(thresholds: pd.DataFrame) -> ibis.Table:
    """`thresholds` (ref_date, below) as a table the engine can join with its own dates."""
    return ibis.memtable(thresholds, schema={"ref_date": "date", "below": "string"})


def demand_needs(demands: Sequence[Demand]) -> pd.DataFrame:
    """(demand, ref_date, need): each demand's comparison people per start day (one query
    per demand, made once for the thresholds and the check)."""
    frames = []
    for i, demand in enumerate(demands):
        days = start_dates(demand.starts).to_pandas()
        if len(days):
            frames.append(
                pd.DataFrame({"demand": i, "ref_date": days.ref_date, "need": days.starting.astype("int64") * demand.k})
            )
    if not frames:
        return pd.DataFrame({"demand": [], "ref_date": [], "need": []})
    return pd.concat(frames, ignore_index=True)


def _eligible(table: Tables, days: ibis.Table, rule: Rule | None) -> pd.DataFrame:
    """(ref_date, eligible): the people at risk on each day whom `rule` allows."""
    rows = at_risk(table, days)
    allowed = rule(table, rows) if rule is not None else rows
    return allowed.group_by("ref_date").aggregate(eligible=_.count()).to_pandas()
