"""Change per client and item, and per service episode, as Ibis expressions over the store.

Why in the store's engine: every client's first and latest measurement, the reliable
change index and the improved / unchanged / worsened class are a few grouped expressions;
DuckDB (later Spark) does them over a million clients without pulling rows into Python.
Only the aggregated tables (`summaries`) leave the engine.

Definitions (docs/change.md):
- first to latest: a client's earliest and latest measurement of an item, when they are
  on different days; ties on a day are broken by measurement_id, so results are fixed.
- per service episode: `start` is the earliest measurement from 30 days before to 30 days
  after the start; `end` the latest from 31 days after the start to 30 days after the end;
  `after` the latest from 31 to 365 days after the end. Periods: start -> end, start -> after.
- RCI = change / S_diff, S_diff = sqrt(2) * SD * sqrt(1 - r), with the instrument file's
  reliability and reference SD, or, where the file has none, the SD of the clients' first
  measurements in the store (Jacobson and Truax's pre-treatment SD). A class is improved
  when the RCI in the item's better direction exceeds 1.96, worsened below -1.96.
- distance travelled: the change as a share of the item's scale range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ibis
import pandas as pd
from ibis import _

from polku.change.formulas import RELIABLE
from polku.change.instrument import Instrument, item_parameters
from polku.store import Store
from polku.typed import typed_frame

KEYS = ("person_id", "instrument", "item")
START_WINDOW = 30
"""Days either side of a service's start in which its start measurement may lie."""
END_WINDOW = 30
"""Days after a service's end in which its end measurement may still lie."""
AFTER_DAYS = 365
"""How long after a service's end the `after` measurement is looked for."""
CLASSES = ("improved", "unchanged", "worsened")
PERIODS = ("start_end", "start_after")

STATS = {"clients": "int64", **{c: "int64" for c in CLASSES}, "mean_change": "float64", "sd_change": "float64"}
STATS |= {"mean_distance": "float64"}


EXACT = "decimal(38, 10)"
"""Sums are taken in decimals: a float sum depends on the order DuckDB's threads add in,
and a run must give identical tables for the same store."""


def _sums(x: ibis.Value) -> dict[str, ibis.Value]:
    """Exact sum and sum of squares of `x` (rounded to 10 decimals first), as floats."""
    return {"s": x.cast(EXACT).sum().cast("float64"), "ss": (x * x).cast(EXACT).sum().cast("float64")}


def mean_sd(n: pd.Series, s: pd.Series, ss: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Mean and sample SD from the count, sum and sum of squares (SD NaN for n < 2)."""
    n = n.astype("float64")
    mean = s / n.where(n > 0)
    var = ((ss - s * s / n.where(n > 0)) / (n - 1).where(n > 1)).clip(lower=0)
    return mean, var.pow(0.5)


def _order_key(m: ibis.Table) -> ibis.Value:
    """A unique, sortable key per measurement: its date, then its id (ties on a day)."""
    return m.measured_on.cast("string") + "|" + m.measurement_id


def first_latest(store: Store) -> ibis.Table:
    """One row per (client, instrument, item) measured on two or more days:
    before, after and their dates."""
    m = store.table("measurement")
    m = m.mutate(order=_order_key(m))
    per = m.group_by(list(KEYS)).aggregate(
        before=_.value.argmin(_.order),
        after=_.value.argmax(_.order),
        first_on=_.measured_on.min(),
        last_on=_.measured_on.max(),
    )
    return per.filter(_.last_on > _.first_on)


def item_sd(store: Store, chosen: Mapping[str, Instrument] | None = None) -> pd.DataFrame:
    """Per (instrument, item): the SD used for the RCI, its source, reliability, direction
    and scale range. The reference SD of the instrument file, else the sample SD of the
    clients' first measurements (`sd_source` says which). `chosen`: the instruments to use
    (default: the shipped ones; see `instrument.with_area_files`)."""
    params = pd.DataFrame(item_parameters(chosen))
    m = store.table("measurement")
    m = m.mutate(order=_order_key(m))
    firsts = m.group_by(list(KEYS)).aggregate(before=_.value.argmin(_.order))
    baseline = firsts.group_by("instrument", "item").aggregate(n=_.count(), **_sums(_.before)).execute()
    baseline["baseline_sd"] = mean_sd(baseline["n"], baseline["s"], baseline["ss"])[1]
    frame = params.merge(baseline, on=["instrument", "item"], how="left")
    reference = frame["reference_sd"].notna()
    frame["sd"] = frame["reference_sd"].where(reference, frame["baseline_sd"])
    frame["sd_source"] = ["reference" if r else "first_measurements" for r in reference]
    usable = frame["sd"].notna() & (frame["sd"] > 0)
    columns = {
        "instrument": "object",
        "item": "object",
        "sd": "float64",
        "sd_source": "object",
        "reliability": "float64",
        "direction": "int64",
        "scale_min": "float64",
        "scale_max": "float64",
    }
    return typed_frame(frame[usable].sort_values(["instrument", "item"]), columns)


def classify(pairs: ibis.Table, sd: pd.DataFrame) -> ibis.Table:
    """`pairs` (with instrument, item, before, after) with change, rci, distance and class."""
    params = ibis.memtable(sd[["instrument", "item", "sd", "reliability", "direction", "scale_min", "scale_max"]])
    joined = pairs.inner_join(params, ["instrument", "item"])
    change = joined.after - joined.before
    s_diff = math.sqrt(2.0) * joined.sd * (1.0 - joined.reliability).sqrt()
    directed = joined.direction * change / s_diff
    label = ibis.cases((directed > RELIABLE, "improved"), (directed < -RELIABLE, "worsened"), else_="unchanged")
    return joined.mutate(
        change=change,
        rci=change / s_diff,
        distance=joined.direction * change / (joined.scale_max - joined.scale_min),
        change_class=label,
    )


def _summarise(classified: ibis.Table, keys: list[str]) -> pd.DataFrame:
    """Counts per class, mean and SD of the change and mean distance, per `keys`."""
    counts = {c: (classified.change_class == c).cast("int64").sum() for c in CLASSES}
    distance = classified.distance.cast(EXACT).sum().cast("float64")
    frame = (
        classified.group_by(keys).aggregate(clients=_.count(), **counts, **_sums(_.change), d=distance).order_by(keys).execute()
    )
    frame["mean_change"], frame["sd_change"] = mean_sd(frame["clients"], frame["s"], frame["ss"])
    frame["mean_distance"] = frame["d"] / frame["clients"].astype("float64")
    return typed_frame(frame, {**dict.fromkeys(keys, "object"), **STATS})


def item_changes(store: Store, sd: pd.DataFrame) -> pd.DataFrame:
    """First to latest measurement per instrument and item, summed over clients."""
    table = _summarise(classify(first_latest(store), sd), ["instrument", "item"])
    return table.merge(sd[["instrument", "item", "sd", "sd_source", "reliability"]], on=["instrument", "item"], how="left")


def episode_pairs(store: Store) -> ibis.Table:
    """One row per (episode, instrument, item, period) with the start value and the value
    at the end or after (see the module's definitions)."""
    e = store.table("service_episode").select("episode_id", "person_id", "service_code", "start_date", "end_date")
    m = store.table("measurement")
    m = m.mutate(order=_order_key(m)).select("person_id", "instrument", "item", "value", "measured_on", "order")
    j = e.inner_join(m, "person_id")
    day = lambda n: ibis.interval(days=n)  # noqa: E731
    in_start = (j.measured_on >= j.start_date - day(START_WINDOW)) & (j.measured_on <= j.start_date + day(START_WINDOW))
    in_end = (j.measured_on > j.start_date + day(START_WINDOW)) & (j.measured_on <= j.end_date + day(END_WINDOW))
    in_after = (j.measured_on > j.end_date + day(END_WINDOW)) & (j.measured_on <= j.end_date + day(AFTER_DAYS))
    per = j.group_by("episode_id", "service_code", "instrument", "item").aggregate(
        before=j.value.argmin(j.order, where=in_start),
        at_end=j.value.argmax(j.order, where=in_end),
        at_after=j.value.argmax(j.order, where=in_after),
    )
    per = per.filter(per.before.notnull())
    keys = ["episode_id", "service_code", "instrument", "item", "before"]
    ends = per.filter(per.at_end.notnull()).select(*keys, after=per.at_end, period=ibis.literal("start_end"))
    afters = per.filter(per.at_after.notnull()).select(*keys, after=per.at_after, period=ibis.literal("start_after"))
    return ends.union(afters)


def service_changes(store: Store, sd: pd.DataFrame) -> pd.DataFrame:
    """Change per service, period, instrument and item, summed over episodes (`clients`
    counts episodes: a client with two episodes of a service counts twice)."""
    return _summarise(classify(episode_pairs(store), sd), ["service_code", "period", "instrument", "item"])


GAS_COLUMNS = ("gas_level", "gas_weight")
GAS_BANDS = ("below", "at", "above")
"""A client's GAS T below 50 (less than expected overall), exactly 50, or above."""


def gas_scores(store: Store, rho: float = 0.3) -> ibis.Table | None:
    """One row per client with a GAS level on a goal: goals, and the Kiresuk-Sherman T over
    them (a missing weight counts as 1); None when the store's goal table has no GAS columns
    (a store made before they existed, opened read-only)."""
    goal = store.table("goal")
    if not set(GAS_COLUMNS) <= set(goal.columns):
        return None
    rated = goal.filter(goal.gas_level.notnull()).mutate(w=goal.gas_weight.fill_null(1.0).cast("float64"))
    per = rated.group_by("person_id").aggregate(
        goals=_.count(),
        wx=(_.w * _.gas_level.cast("float64")).cast(EXACT).sum().cast("float64"),
        w2=(_.w * _.w).cast(EXACT).sum().cast("float64"),
        w1=_.w.cast(EXACT).sum().cast("float64"),
    )
    spread = ((1.0 - rho) * per.w2 + rho * per.w1 * per.w1).sqrt()
    return per.mutate(t_score=50.0 + 10.0 * per.wx / spread)


def gas_summary(store: Store) -> pd.DataFrame:
    """One row: clients with a T-score, how many are below, at and above 50, mean and SD of T."""
    columns = {"clients": "int64", **{b: "int64" for b in GAS_BANDS}, "mean_t": "float64", "sd_t": "float64"}
    scores = gas_scores(store)
    if scores is None:
        return typed_frame([], columns)
    eps = 1e-9
    frame = scores.aggregate(
        clients=_.count(),
        below=(_.t_score < 50 - eps).cast("int64").sum().fill_null(0),
        at=((_.t_score - 50).abs() <= eps).cast("int64").sum().fill_null(0),
        above=(_.t_score > 50 + eps).cast("int64").sum().fill_null(0),
        **_sums(_.t_score),
    ).execute()
    frame["mean_t"], frame["sd_t"] = mean_sd(frame["clients"], frame["s"], frame["ss"])
    return typed_frame(frame, columns)


def gas_levels(store: Store) -> pd.DataFrame:
    """Goals per domain and GAS level (-2..2), for goals that have a level."""
    columns = {"domain": "object", "level": "object", "count": "int64"}
    goal = store.table("goal")
    if not set(GAS_COLUMNS) <= set(goal.columns):
        return typed_frame([], columns)
    rated = goal.filter(goal.gas_level.notnull())
    frame = (
        rated.group_by(domain=rated.domain, level=rated.gas_level.cast("string"))
        .aggregate(count=_.count())
        .order_by("domain", "level")
        .execute()
    )
    return typed_frame(frame, columns)


def summaries(store: Store, chosen: Mapping[str, Instrument] | None = None) -> dict[str, pd.DataFrame]:
    """Every change table the report and `polku change` show, by name."""
    sd = item_sd(store, chosen)
    return {
        "change_items": item_changes(store, sd),
        "change_services": service_changes(store, sd),
        "change_gas": gas_summary(store),
        "change_gas_levels": gas_levels(store),
    }
