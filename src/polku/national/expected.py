"""Observed against expected per area, given each area's clients (risk adjustment, as
Denmark's jobindsats benchmarking and Australia's star ratings do).

The expected model is the seed model (`polku.impact.expected_model`, logistic): the
chance of open-market work within 12 months of entering the register, from what is known
at entry: age, sex, mother tongue, education, partial work ability, the activity before
registration, months unemployed in the previous 36 and the months carried into the spell.
It is fitted once on the whole national inflow, so each person's p_i is what the nation's
average area would achieve with them; an area's expected count E is the sum of its
inflow's p_i, its observed count O the number who found work. O/E above 1 means more
work than the nation achieves with such clients.

Funnel limits (Spiegelhalter 2005) are given for the risk-adjusted share p̄·O/E around
the national share p̄: p̄ ± z·√(p̄(1 − p̄)/n) at 95 % (z = 1.96) and 99.8 % (z = 3.09), n
the area's inflow, without an overdispersion adjustment. The plot itself is drawn by the
general funnel-plot module (`polku.providers`), not here.

The labour market: where the register holds each area's published unemployment rate
(`area_labour_market`), its logarithm joins the model as an area-level covariate, so E is
what the nation achieves with such clients *in such a labour market*, as jobindsats adjusts
for local conditions; the comparison on the clients alone is kept beside it. Without that
table (a store's one area) O/E mixes the local labour market with how well the area's
services work.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd

from polku.cohort.draw import Tables
from polku.errors import UsageError
from polku.impact.design import covariate_matrix
from polku.impact.expected_model import make_model, predict
from polku.national.indicators import AREA, inflow, with_area

COVARIATES = (
    "age",
    "sex",
    "mother_tongue_group",
    "education_level",
    "partial_work_ability",
    "activity_before",
    "months_unemployed_prev36",
    "current_spell_months",
)
AREA_COVARIATES = ("log_unemployment_rate",)
"""The area's labour market, where the register publishes it (`LABOUR_MARKET`)."""
LABOUR_MARKET = "area_labour_market"
"""The register's table of each area's unemployment rate (`polku.synth.national.labour_market_rows`)."""
Z = {"95": 1.96, "998": 3.09}
OUTCOME_DAYS = 365


def entry_rows(table: Tables, end: dt.date, area: str) -> pd.DataFrame:
    """The national inflow with the covariates at entry and the outcome (work within 12
    months), in a fixed order (area, person, spell; nulls last) so that every engine gives
    the model the same rows in the same order."""
    rows = inflow(table, end, area)
    p = with_area(table("person"), area)
    joined = rows.join(p, [rows[AREA] == p[AREA], rows.person_id == p.person_id])
    age = (joined.start_date.year() - joined.birth_year) + (joined.start_date.month() - joined.birth_month) / 12.0
    chosen = joined.select(
        rows[AREA],
        rows.person_id,
        rows.spell_id,
        age.name("age"),
        p.sex,
        p.mother_tongue_group,
        p.education_level,
        p.partial_work_ability.fill_null(False).name("partial_work_ability"),
        rows.activity_before.fill_null("other").name("activity_before"),
        rows.months_unemployed_prev36.fill_null(0).name("months_unemployed_prev36"),
        rows.current_spell_months.fill_null(0).name("current_spell_months"),
        (rows.days_to_work < OUTCOME_DAYS).name("worked"),
    )
    order = [ibis.asc(c, nulls_first=False) for c in (AREA, "person_id", "spell_id")]
    frame = chosen.order_by(order).to_pandas()
    for column in ("sex", "mother_tongue_group", "education_level"):
        frame[column] = frame[column].fillna("unknown").astype(str)
    return frame


def _chances(frame: pd.DataFrame, covariates: tuple[str, ...], y: np.ndarray, seed: int) -> np.ndarray:
    """Each person's p_i from the logistic seed model on `covariates`, fitted on everyone."""
    X, _ = covariate_matrix(frame, list(covariates), source="national inflow")
    model = make_model("logistic", True, seed).fit(X, y) if 0 < y.sum() < len(y) else None
    return predict(model, X, True) if model is not None else np.full(len(y), y.mean())


def with_labour_market(frame: pd.DataFrame, labour_market: pd.DataFrame) -> pd.DataFrame:
    """The inflow with its area's log unemployment rate; every area needs a positive rate."""
    rates = labour_market.set_index(AREA)["unemployment_rate"].astype(float)
    missing = sorted(set(frame[AREA].astype(str)) - {str(a) for a, r in rates.items() if r > 0})
    if missing:
        raise UsageError(
            f"the register's {LABOUR_MARKET} has no positive unemployment rate for {', '.join(missing[:5])}",
            fix="give every area its published rate, or remove the table to compare areas on their clients alone.",
        )
    return frame.assign(log_unemployment_rate=np.log(frame[AREA].astype(str).map(rates).to_numpy(dtype=float)))


def observed_expected(frame: pd.DataFrame, seed: int = 0, labour_market: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per area: n, O, E, O/E, the observed and risk-adjusted shares, and the funnel limits.

    With `labour_market` (each area's published unemployment rate), E is given the clients and
    the labour market, the comparison's headline; `expected_clients` and `ratio_clients` keep
    the comparison given the clients alone beside it."""
    if frame.empty:
        return pd.DataFrame(columns=[AREA, "n", "observed", "expected", "ratio"])
    y = frame["worked"].to_numpy(dtype=float)
    clients = _chances(frame, COVARIATES, y, seed)
    adjusted = labour_market is not None and not labour_market.empty
    if adjusted:
        frame = with_labour_market(frame, labour_market)
    p = _chances(frame, (*COVARIATES, *AREA_COVARIATES), y, seed) if adjusted else clients
    rows = pd.DataFrame({AREA: frame[AREA].astype(str), "observed": y, "expected": p, "expected_clients": clients})
    sums = {name: (name, "sum") for name in ("observed", "expected", "expected_clients")}
    out = rows.groupby(AREA, sort=True).agg(n=("observed", "size"), **sums)
    out = out.reset_index()
    national = float(y.mean())
    out["ratio"] = out["observed"] / out["expected"]
    out["ratio_clients"] = out["observed"] / out["expected_clients"]
    out["labour_market_adjusted"] = adjusted
    out["observed_share"] = out["observed"] / out["n"]
    out["expected_share"] = out["expected"] / out["n"]
    out["adjusted_share"] = national * out["ratio"]
    out["national_share"] = national
    spread = np.sqrt(national * (1 - national) / out["n"])
    for name, z in Z.items():
        out[f"lower_{name}"] = national - z * spread
        out[f"upper_{name}"] = national + z * spread
    out["n"] = out["n"].astype("int64")
    out["observed"] = out["observed"].astype("int64")
    return out
