"""The impact section's results as tables: what `polku analyse` stores and every view reads back.

Why tables: the report, `polku analyse --json` and the coming dashboard read one stored
run, and nothing refits while rendering. Each table holds the fit's exact figures, one plain
value per cell, so that it round-trips through Parquet unchanged; the disclosure gate is
applied when a view renders them. `stored_views` rebuilds from the tables the objects the
report's blocks are drawn from (estimates, checks, curves, expected versus observed), so a
view's suppression runs on exactly the values the fit gave.

Tables (`TABLES` lists their columns): `impact_effects` one row per estimate (service,
client group or provider; a null group or provider means all), `impact_balance` each
estimate's covariates, `impact_overlap` its propensity histograms, `impact_checks` the
refutations, `impact_evalues` the E-values, `impact_curves` time to work at whole months,
`impact_expected` observed versus expected by client group, the service
and provider names the views print.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from polku.impact.results import BalanceRow, EffectEstimate, Overlap, Refutation
from polku.pipeline.views import Checks, ExpectedRow, ServiceEstimate, ServiceView, month_day
from polku.sdc.records import CURVE_MONTHS
from polku.store import Store

Schema = dict[str, str]

EFFECTS: Schema = {
    "estimate_id": "int64",
    "level": "object",
    "service_code": "object",
    "client_group": "object",
    "provider_id": "object",
    "method": "object",
    "estimand": "object",
    "outcome": "object",
    "participants": "int64",
    "comparison": "int64",
    "n_trimmed": "int64",
    "estimate": "float64",
    "se": "float64",
    "lower": "float64",
    "upper": "float64",
    "naive_difference": "float64",
    "outcome_mean_treated": "float64",
    "outcome_mean_control": "float64",
    "bootstrap_lower": "float64",
    "bootstrap_upper": "float64",
    "bootstrap_replications": "int64",
    "observed": "float64",
    "expected": "float64",
    "max_smd_before": "float64",
    "max_smd_after": "float64",
    "suppressed": "bool",
    "note": "object",
    "extra_json": "object",
    "has_overlap": "bool",
    "propensity_min_treated": "float64",
    "propensity_max_treated": "float64",
    "propensity_min_control": "float64",
    "propensity_max_control": "float64",
    "effective_comparison": "float64",
    "top1_weight_share": "float64",
    "top5_weight_share": "float64",
    "outside_support": "float64",
    "overlap_warning": "object",
}
"""One row per estimate. participants/comparison: the people the estimate rests on (after
trimming); effective_comparison: Kish's effective size of the weighted comparison group."""

BALANCE: Schema = {
    "estimate_id": "int64",
    "position": "int64",
    "covariate": "object",
    "mean_treated": "float64",
    "mean_control": "float64",
    "mean_control_adjusted": "float64",
    "smd_before": "float64",
    "smd_after": "float64",
}
OVERLAP: Schema = {
    "estimate_id": "int64",
    "bin": "int64",
    "left": "float64",
    "right": "float64",
    "treated": "int64",
    "control": "int64",
}
CHECKS: Schema = {
    "service_code": "object",
    "role": "object",
    "check": "object",
    "original": "float64",
    "new": "float64",
    "lower": "float64",
    "upper": "float64",
    "passed": "bool",
    "note": "object",
}
EVALUES: Schema = {"service_code": "object", "key": "object", "value": "float64"}
CURVES: Schema = {
    "service_code": "object",
    "client_group": "object",
    "side": "object",
    "month": "int64",
    "day": "int64",
    "value": "float64",
    "lower": "float64",
    "upper": "float64",
    "at_risk": "int64",
    "events": "int64",
    "censored_before": "int64",
    "n": "int64",
    "effective_n": "float64",
    "n_trimmed": "int64",
    "horizon_days": "int64",
    "as_of": "object",
}
"""Each curve at the last day of months 1..24 (what `sdc.curve_points` and the table read)."""
EXPECTED: Schema = {
    "service_code": "object",
    "client_group": "object",
    "participants": "int64",
    "observed": "float64",
    "expected": "float64",
    "lower": "float64",
    "upper": "float64",
    "note": "object",
}
"""Observed and expected employments of a service's participants (client_group null: all);
lower/upper the interval of O - E."""

TABLES: dict[str, Schema] = {
    "impact_effects": EFFECTS,
    "impact_balance": BALANCE,
    "impact_overlap": OVERLAP,
    "impact_checks": CHECKS,
    "impact_evalues": EVALUES,
    "impact_curves": CURVES,
    "impact_expected": EXPECTED,
}

SIDES = ("participants", "comparison")
LANGUAGES = ("fi", "sv", "en")


def frame(rows: Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """Rows as a frame with exactly `schema`'s columns and types (an empty one too), so the
    tables of every run look alike and round-trip through Parquet unchanged."""
    data = pd.DataFrame(list(rows), columns=list(schema))
    out = {}
    for column, dtype in schema.items():
        values = data[column]
        if dtype == "float64":
            out[column] = pd.to_numeric(values.astype(object).where(values.notna(), math.nan), errors="raise").astype("float64")
        elif dtype == "object":
            out[column] = values.astype(object).where(values.notna(), None)
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, columns=list(schema))


def number_or_none(value: Any) -> float | None:
    """A stored float back as the result held it: NaN was None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def text_or_none(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


# --- from views to tables -------------------------------------------------------------------


def _effect_row(i: int, row: ServiceEstimate) -> dict[str, Any]:
    r = row.result
    o = r.overlap
    return {
        "estimate_id": i,
        "level": row.level,
        "service_code": row.service_code,
        "client_group": row.client_group,
        "provider_id": row.provider_id,
        "method": r.method,
        "estimand": r.estimand,
        "outcome": row.outcome,
        "participants": r.n_treated,
        "comparison": r.n_control,
        "n_trimmed": r.n_trimmed,
        "estimate": r.estimate,
        "se": r.std_error,
        "lower": r.ci_low,
        "upper": r.ci_high,
        "naive_difference": r.naive_difference,
        "outcome_mean_treated": r.outcome_mean_treated,
        "outcome_mean_control": r.outcome_mean_control,
        "bootstrap_lower": None if r.bootstrap_ci is None else r.bootstrap_ci[0],
        "bootstrap_upper": None if r.bootstrap_ci is None else r.bootstrap_ci[1],
        "bootstrap_replications": r.bootstrap_replications,
        "observed": r.observed,
        "expected": r.expected,
        "max_smd_before": r.max_smd_before,
        "max_smd_after": r.max_smd_after,
        "suppressed": r.suppressed,
        "note": r.note,
        "extra_json": json.dumps(r.extra, sort_keys=True),
        "has_overlap": o is not None,
        **_overlap_fields(o),
    }


def _overlap_fields(o: Overlap | None) -> dict[str, Any]:
    if o is None:
        return {"overlap_warning": None}
    return {
        "propensity_min_treated": o.propensity_min_treated,
        "propensity_max_treated": o.propensity_max_treated,
        "propensity_min_control": o.propensity_min_control,
        "propensity_max_control": o.propensity_max_control,
        "effective_comparison": o.ess_control,
        "top1_weight_share": o.top1_weight_share,
        "top5_weight_share": o.top5_weight_share,
        "outside_support": o.outside_support,
        "overlap_warning": o.warning,
    }


def effect_tables(views: Sequence[ServiceView]) -> dict[str, pd.DataFrame]:
    """impact_effects, impact_balance and impact_overlap: every estimate of every service."""
    rows = [row for view in views for row in view.rows]
    balance = [
        {"estimate_id": i, "position": k} | b.__dict__ for i, row in enumerate(rows) for k, b in enumerate(row.result.balance)
    ]
    overlap = []
    for i, row in enumerate(rows):
        o = row.result.overlap
        if o is not None:
            for k, (treated, control) in enumerate(zip(o.histogram_treated, o.histogram_control, strict=True)):
                overlap.append(
                    {
                        "estimate_id": i,
                        "bin": k,
                        "left": o.bins[k],
                        "right": o.bins[k + 1],
                        "treated": treated,
                        "control": control,
                    }
                )
    return {
        "impact_effects": frame((_effect_row(i, row) for i, row in enumerate(rows)), EFFECTS),
        "impact_balance": frame(balance, BALANCE),
        "impact_overlap": frame(overlap, OVERLAP),
    }


def check_tables(views: Sequence[ServiceView]) -> dict[str, pd.DataFrame]:
    """impact_checks (negative control, placebo) and impact_evalues of each checked service."""
    checks, evalues = [], []
    for view in views:
        if view.checks is None:
            continue
        for name, r in (("negative_control", view.checks.negative_control), ("placebo", view.checks.placebo)):
            checks.append(
                {
                    "service_code": view.service_code,
                    "role": name,
                    "check": r.check,
                    "original": r.original,
                    "new": r.new,
                    "lower": r.ci_low,
                    "upper": r.ci_high,
                    "passed": r.passed,
                    "note": r.note,
                }
            )
        evalues += [{"service_code": view.service_code, "key": k, "value": v} for k, v in view.checks.e_value.items()]
    return {"impact_checks": frame(checks, CHECKS), "impact_evalues": frame(evalues, EVALUES)}


def _curve_rows(survival: Any) -> list[dict[str, Any]]:
    rows = []
    for side in SIDES:
        group = getattr(survival, side)
        for month in range(1, CURVE_MONTHS + 1):
            day = month_day(month)
            value, low, high = group.read(day)
            rows.append(
                {
                    "service_code": survival.service_code,
                    "client_group": survival.client_group,
                    "side": side,
                    "month": month,
                    "day": day,
                    "value": value,
                    "lower": low,
                    "upper": high,
                    "at_risk": group.at_risk(day),
                    "events": group.events_by(day),
                    "censored_before": group.censored_before(day),
                    "n": group.n,
                    "effective_n": group.effective_n,
                    "n_trimmed": survival.n_trimmed,
                    "horizon_days": survival.horizon_days,
                    "as_of": survival.as_of.isoformat(),
                }
            )
    return rows


def curve_table(views: Sequence[ServiceView]) -> pd.DataFrame:
    """impact_curves: each service's curves, then its client groups'."""
    rows = []
    for view in views:
        if view.survival is not None:
            for survival in (view.survival, *view.group_survival):
                rows += _curve_rows(survival)
    return frame(rows, CURVES)


def expected_table(views: Sequence[ServiceView]) -> pd.DataFrame:
    rows = [
        {
            "service_code": view.service_code,
            "client_group": r.client_group,
            "participants": r.n,
            "observed": r.observed,
            "expected": r.expected,
            "lower": r.ci_low,
            "upper": r.ci_high,
            "note": r.note,
        }
        for view in views
        for r in view.expected
    ]
    return frame(rows, EXPECTED)


def impact_tables(views: Sequence[ServiceView], store: Store) -> dict[str, pd.DataFrame]:
    """Every impact table of a run, from the views `store_views` fitted."""
    return {
        **effect_tables(views),
        **check_tables(views),
        "impact_curves": curve_table(views),
        "impact_expected": expected_table(views),
    }


# --- from tables back to what the views draw ------------------------------------------------


def _balance(rows: pd.DataFrame) -> tuple[BalanceRow, ...]:
    return tuple(
        BalanceRow(
            str(r.covariate),
            float(r.mean_treated),
            float(r.mean_control),
            float(r.mean_control_adjusted),
            float(r.smd_before),
            float(r.smd_after),
        )
        for r in rows.sort_values("position").itertuples()
    )


def _overlap(row: Any, bins: pd.DataFrame) -> Overlap | None:
    if not row.has_overlap:
        return None
    bins = bins.sort_values("bin")
    return Overlap(
        float(row.propensity_min_treated),
        float(row.propensity_max_treated),
        float(row.propensity_min_control),
        float(row.propensity_max_control),
        tuple(float(x) for x in [*bins["left"], *bins["right"].iloc[-1:]]),
        tuple(int(x) for x in bins["treated"]),
        tuple(int(x) for x in bins["control"]),
        number_or_none(row.effective_comparison),
        number_or_none(row.top1_weight_share),
        number_or_none(row.top5_weight_share),
        number_or_none(row.outside_support),
        str(row.overlap_warning or ""),
    )


def _estimate(row: Any, balance: pd.DataFrame, bins: pd.DataFrame) -> EffectEstimate:
    low, high = number_or_none(row.bootstrap_lower), number_or_none(row.bootstrap_upper)
    return EffectEstimate(
        str(row.method),
        str(row.estimand),
        number_or_none(row.estimate),
        number_or_none(row.se),
        number_or_none(row.lower),
        number_or_none(row.upper),
        int(row.participants),
        int(row.comparison),
        int(row.n_trimmed),
        number_or_none(row.outcome_mean_treated),
        number_or_none(row.outcome_mean_control),
        number_or_none(row.naive_difference),
        _balance(balance),
        _overlap(row, bins),
        None if low is None or high is None else (low, high),
        int(row.bootstrap_replications),
        number_or_none(row.observed),
        number_or_none(row.expected),
        str(row.note or ""),
        json.loads(row.extra_json),
    )


def stored_estimates(results: Mapping[str, pd.DataFrame]) -> list[ServiceEstimate]:
    """Every estimate of the run, in the order it was fitted (service, groups, providers)."""
    balance = results["impact_balance"].groupby("estimate_id")
    overlap = results["impact_overlap"].groupby("estimate_id")
    empty_b, empty_o = results["impact_balance"].iloc[:0], results["impact_overlap"].iloc[:0]
    by_b, by_o = dict(list(balance)), dict(list(overlap))
    out = []
    for row in results["impact_effects"].sort_values("estimate_id").itertuples(index=False):
        i = int(row.estimate_id)
        result = _estimate(row, by_b.get(i, empty_b), by_o.get(i, empty_o))
        out.append(
            ServiceEstimate(
                str(row.level),
                str(row.service_code),
                text_or_none(row.client_group),
                text_or_none(row.provider_id),
                str(row.outcome),
                result,
            )
        )
    return out


@dataclass(frozen=True)
class StoredCurve:
    """One side's curve as stored: answers what `sdc.curve_points` and `release_survival` ask
    (at_risk, events_by, read, censored_before at the months' last days; n, effective_n)."""

    n: int
    effective_n: float
    by_day: dict[int, tuple[float, float, float, int, int, int]] = field(repr=False)

    def at_risk(self, day: float) -> int:
        return self.by_day[int(day)][3]

    def events_by(self, day: float) -> int:
        return self.by_day[int(day)][4]

    def censored_before(self, day: float) -> int:
        return self.by_day[int(day)][5]

    def read(self, day: float) -> tuple[float, float, float]:
        value, low, high, *_ = self.by_day[int(day)]
        return value, low, high


@dataclass(frozen=True)
class StoredSurvival:
    """A service's (or client group's) time-to-work curves as stored."""

    service_code: str
    client_group: str | None
    as_of: date
    horizon_days: int
    n_trimmed: int
    participants: StoredCurve
    comparison: StoredCurve


def _curve(rows: pd.DataFrame) -> StoredCurve:
    first = rows.iloc[0]
    by_day = {
        int(r.day): (float(r.value), float(r.lower), float(r.upper), int(r.at_risk), int(r.events), int(r.censored_before))
        for r in rows.itertuples()
    }
    return StoredCurve(int(first["n"]), float(first["effective_n"]), by_day)


def _survivals(curves: pd.DataFrame) -> dict[str, list[StoredSurvival]]:
    """Each service's curves: the service's first, then its groups' in stored order."""
    out: dict[str, list[StoredSurvival]] = {}
    keys = curves[["service_code", "client_group"]].drop_duplicates().itertuples(index=False)
    for code, group in keys:
        group = text_or_none(group)
        mine = curves[
            (curves["service_code"] == code)
            & (curves["client_group"].isna() if group is None else curves["client_group"] == group)
        ]
        first = mine.iloc[0]
        sides = {side: _curve(mine[mine["side"] == side]) for side in SIDES}
        survival = StoredSurvival(
            str(code),
            group,
            date.fromisoformat(str(first["as_of"])),
            int(first["horizon_days"]),
            int(first["n_trimmed"]),
            sides["participants"],
            sides["comparison"],
        )
        out.setdefault(str(code), []).append(survival)
    return out


def stored_checks(results: Mapping[str, pd.DataFrame]) -> dict[str, Checks]:
    """Each checked service's refutations and E-values, as the fit gave them."""
    out = {}
    table, evalues = results["impact_checks"], results["impact_evalues"]
    for code in table["service_code"].drop_duplicates():
        rows = {r.role: r for r in table[table["service_code"] == code].itertuples(index=False)}
        refutations = [
            Refutation(
                str(r.check),
                float(r.original),
                number_or_none(r.new),
                number_or_none(r.lower),
                number_or_none(r.upper),
                bool(r.passed),
                str(r.note),
            )
            for r in (rows["negative_control"], rows["placebo"])
        ]
        mine = evalues[evalues["service_code"] == code]
        out[str(code)] = Checks(refutations[0], refutations[1], dict(zip(mine["key"].astype(str), mine["value"].astype(float))))
    return out


def _expected(results: Mapping[str, pd.DataFrame]) -> dict[str, list[ExpectedRow]]:
    out: dict[str, list[ExpectedRow]] = {}
    for r in results["impact_expected"].itertuples(index=False):
        row = ExpectedRow(
            text_or_none(r.client_group),
            int(r.participants),
            number_or_none(r.observed),
            number_or_none(r.expected),
            number_or_none(r.lower),
            number_or_none(r.upper),
            str(r.note or ""),
        )
        out.setdefault(str(r.service_code), []).append(row)
    return out


@dataclass(frozen=True)
class StoredView:
    """A service's estimates and views as a run stores them (what `ServiceView` held, less the fit's rows)."""

    service_code: str
    rows: list[ServiceEstimate]
    checks: Checks | None = None
    survival: StoredSurvival | None = None
    expected: list[ExpectedRow] = field(default_factory=list)
    group_survival: list[StoredSurvival] = field(default_factory=list)

    @property
    def overall(self) -> ServiceEstimate:
        return self.rows[0]


_LAST: list[tuple[tuple[pd.DataFrame, ...], list[StoredView]]] = []
"""The last run's views, with the tables they were read from (the summary, impact and
cost-benefit sections of one report read the same views)."""


def stored_views(results: Mapping[str, pd.DataFrame]) -> list[StoredView]:
    """One `StoredView` per service, in the run's order, from the impact tables alone
    (read once per set of tables: the same frames give the same views)."""
    tables = tuple(results[name] for name in TABLES if name in results)
    if _LAST and len(_LAST[0][0]) == len(tables) and all(a is b for a, b in zip(_LAST[0][0], tables, strict=True)):
        return _LAST[0][1]
    views = _read_views(results)
    _LAST[:] = [(tables, views)]
    return views


def _read_views(results: Mapping[str, pd.DataFrame]) -> list[StoredView]:
    estimates = stored_estimates(results)
    curves, checks, expected = _survivals(results["impact_curves"]), stored_checks(results), _expected(results)
    views = []
    for code in dict.fromkeys(row.service_code for row in estimates):
        survivals = curves.get(code, [])
        views.append(
            StoredView(
                code,
                [row for row in estimates if row.service_code == code],
                checks.get(code),
                survivals[0] if survivals else None,
                expected.get(code, []),
                survivals[1:],
            )
        )
    return views
