"""What a payment model pays each provider, beside the value added it buys.

Pure functions of the run's tables (`payments_*`, `impact_effects`, `cba_results`) and a
`PaymentModel`; nothing here reads the store or fits.

Rate card (per payment group g, fees a_g attachment, j_g job outcome, s_gk after k months
in work, in a window of W months). A participant's fees are cumulative, so from the counts
N (participants), E (in work in the window), S_k (k or more months in work) the people
at each stage are N - E (attachment only), E - S_k1 (attachment and job outcome), S_ki -
S_k(i+1); each stage's fee is capped at the per-participant cap c:
    pay = sum over stages of people x min(c, fee of the stage) + progress fee x improved
and the provider's total in a period is capped at the contract cap (rows scaled by the
same factor). The progress fee lies outside the per-participant cap.

Counterfactual difference (Koto-SIB): with the provider's estimated effect on work within
12 months (AIPW, `impact_effects`), d, and its n followed participants:
    value added = d x n x g x PV(H),  pay = share x max(0, value added)
g the public gain of one employment in a year (benefit savings plus taxes, fiscal
engine, `cba_results.gain_per_employment`), PV(H) = sum_{t<H} p^t / (1+r)^t with the
run's persistence p and discount rate r. Earnings (Työ-SIB): pay = percent x max(0, d x n
x mean earnings of those in work x PV(H)).

Value added is shown for every model the same way, so a rate card's payments stand beside
what they buy. Its fees for outcomes that would have happened anyway are estimated as
outcome fees x min(1, Expected / Observed) with the seed model's E and O.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cba.analysis import present_value
from polku.payments.model import PaymentModel, Rates

KEYS = ["provider_id", "service_code", "period"]


def period_of(month: pd.Series, period: str) -> pd.Series:
    """'YYYY-MM' months as the model's periods: 'YYYY', 'YYYY-H1', 'YYYY-Q3' (or 'all')."""
    if period == "all":
        return pd.Series("all", index=month.index, dtype=object)
    year, m = month.str.slice(0, 4), month.str.slice(5, 7).astype(int)
    if period == "year":
        return year
    if period == "half":
        return year + "-H" + ((m - 1) // 6 + 1).astype(str)
    return year + "-Q" + ((m - 1) // 3 + 1).astype(str)


def _stages(rates: Rates, cap: float | None) -> list[float]:
    """Each stage's capped fee per participant: attachment only, with job outcome, then
    with each sustainment fee."""
    fees = [rates.attachment.value, rates.attachment.value + rates.job_outcome.value]
    for s in rates.sustainment:
        fees.append(fees[-1] + s.fee.value)
    return [min(f, cap) if cap is not None else f for f in fees]


def stage_counts(participants: float, employed: float, sustained: list[float]) -> list[float]:
    """People at each stage from the cumulative counts (kept monotone)."""
    levels = [float(participants), min(float(employed), float(participants))]
    for s in sustained:
        levels.append(min(float(s), levels[-1]))
    return [levels[i] - (levels[i + 1] if i + 1 < len(levels) else 0.0) for i in range(len(levels))]


def _sustained_lookup(sustained: pd.DataFrame, window: int) -> dict[tuple[str, ...], dict[int, int]]:
    s = sustained[sustained["window_months"] == window]
    out: dict[tuple[str, ...], dict[int, int]] = {}
    keys = ["provider_id", "service_code", "month", "client_group", "benefit", "decile"]
    for row in s.itertuples(index=False):
        out.setdefault(tuple(str(getattr(row, k)) for k in keys), {})[int(row.months)] = int(row.people)
    return out


def rate_card_rows(outcomes: pd.DataFrame, sustained: pd.DataFrame, model: PaymentModel) -> pd.DataFrame:
    """Each outcome row's fees before the contract cap: `fees` and its part `outcome_fees`."""
    w = model.window_months
    lookup = _sustained_lookup(sustained, w)
    cap = model.cap_per_participant.value if model.cap_per_participant else None
    fees, outcome_fees = [], []
    for row in outcomes.itertuples(index=False):
        rates = model.rates_for(str(getattr(row, model.payment_group)))
        key = (row.provider_id, row.service_code, row.month, row.client_group, row.benefit, row.decile)
        reached = lookup.get(tuple(map(str, key)), {})
        counts = stage_counts(
            row.participants, getattr(row, f"employed_{w}m"), [reached.get(s.months, 0) for s in rates.sustainment]
        )
        stage_fees = _stages(rates, cap)
        total = float(np.dot(counts, stage_fees))
        fees.append(total)
        outcome_fees.append(total - sum(counts) * stage_fees[0])
    return outcomes.assign(fees=fees, outcome_fees=outcome_fees)


def progress_fees(progress: pd.DataFrame, model: PaymentModel) -> pd.DataFrame:
    """Progress fees per outcome key (empty without a progress component)."""
    keys = ["provider_id", "service_code", "month", "client_group", "benefit", "decile"]
    if model.progress is None or progress.empty:
        return pd.DataFrame(columns=[*keys, "progress_fees", "improved"])
    p = progress[(progress["instrument"] == model.progress.instrument) & (progress["item"] == model.progress.item)]
    out = p.groupby(keys, as_index=False)["improved"].sum()
    return out.assign(progress_fees=out["improved"] * model.progress.fee.value)


def provider_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Each provider's effect on work within 12 months (the service's where the provider
    has none), with its interval and which level it came from."""
    e = effects[effects["client_group"].isna()]
    service = e[e["level"] == "service"].set_index("service_code")[["estimate", "lower", "upper"]]
    prov = e[e["level"] == "service_provider"][["service_code", "provider_id", "estimate", "lower", "upper"]]
    return prov.assign(effect_level="provider"), service


def _effect_for(providers: pd.DataFrame, services: pd.DataFrame, service: str, provider: str) -> tuple[float, float, float, str]:
    hit = providers[(providers["service_code"] == service) & (providers["provider_id"] == provider)]
    if len(hit) and pd.notna(hit["estimate"].iloc[0]):
        r = hit.iloc[0]
        return float(r["estimate"]), float(r["lower"]), float(r["upper"]), "provider"
    if service in services.index and pd.notna(services.loc[service, "estimate"]):
        r = services.loc[service]
        return float(r["estimate"]), float(r["lower"]), float(r["upper"]), "service"
    return np.nan, np.nan, np.nan, "none"


def fiscal_value(cba: pd.DataFrame, horizon: int | None) -> dict[str, tuple[float, float]]:
    """Per service: the public gain of one employment over the horizon (g x PV(H)) and PV(H)."""
    out = {}
    for row in cba.itertuples(index=False):
        if not row.has_result or pd.isna(row.gain_per_employment):
            continue
        years = int(horizon or (row.horizon_years if pd.notna(row.horizon_years) else 1))
        pv = float(present_value(np.asarray(row.persistence), float(row.discount_rate), years))
        out[str(row.service_code)] = (float(row.gain_per_employment) * pv, pv)
    return out


def _per_period(rows: pd.DataFrame, model: PaymentModel) -> pd.DataFrame:
    """Outcome rows summed per provider, service and the model's period."""
    rows = rows.assign(period=period_of(rows["month"].astype(str), model.period), in_effect=rows["followed_12m"])
    w = model.window_months
    sums = ["participants", f"followed_{w}m", f"employed_{w}m", f"earnings_{w}m", "in_effect", "with_expected"]
    sums += ["employed_with_expected", "expected_12m", "fees", "outcome_fees", "progress_fees"]
    out = rows.groupby(KEYS, as_index=False)[sums].sum()
    return out.rename(columns={f"followed_{w}m": "followed", f"employed_{w}m": "employed", f"earnings_{w}m": "earnings"})


def priced_rows(tables: dict[str, pd.DataFrame], model: PaymentModel) -> pd.DataFrame:
    """Every `payments_outcomes` row with its fees (zero for share models, whose payment is
    set per provider and period) and progress fees."""
    outcomes = tables["payments_outcomes"]
    if model.kind == "rate_card":
        rows = rate_card_rows(outcomes, tables["payments_sustained"], model)
    else:
        rows = outcomes.assign(fees=0.0, outcome_fees=0.0)
    keys = ["provider_id", "service_code", "month", "client_group", "benefit", "decile"]
    progress = progress_fees(tables.get("payments_progress", pd.DataFrame()), model)
    rows = (
        rows.merge(progress[[*keys, "progress_fees"]], on=keys, how="left") if len(progress) else rows.assign(progress_fees=0.0)
    )
    return rows.assign(progress_fees=rows["progress_fees"].fillna(0.0).astype(float))


def _value_columns(out: pd.DataFrame, tables: dict[str, pd.DataFrame], model: PaymentModel) -> pd.DataFrame:
    """Estimated additional employments and fiscal value added of each row."""
    providers, services = provider_effects(tables["impact_effects"])
    horizon = int(model.horizon_years.value) if model.horizon_years else None
    gains = fiscal_value(tables["cba_results"], horizon)
    effects = [_effect_for(providers, services, r.service_code, r.provider_id) for r in out.itertuples(index=False)]
    d = np.array([e[0] for e in effects], dtype=float)
    lo, hi = np.array([e[1] for e in effects], dtype=float), np.array([e[2] for e in effects], dtype=float)
    g = np.array([gains.get(s, (np.nan, np.nan))[0] for s in out["service_code"]], dtype=float)
    pv = np.array([gains.get(s, (np.nan, np.nan))[1] for s in out["service_code"]], dtype=float)
    n = out["in_effect"].to_numpy(float)  # followed 12 months: the effect's outcome
    return out.assign(
        effect=d,
        effect_level=[e[3] for e in effects],
        additional=d * n,
        value_added=d * n * g,
        value_lower=lo * n * g,
        value_upper=hi * n * g,
        present_value_factor=pv,
    )


def _model_payment(out: pd.DataFrame, model: PaymentModel) -> np.ndarray:
    """The payment before the contract cap: fees, or the share of the difference."""
    if model.kind == "rate_card":
        return out["fees"].to_numpy(float)
    share = model.share.value if model.share else 0.0
    if model.kind == "outcome_share":
        base = out["value_added"].to_numpy(float)
    else:
        per_employed = np.where(out["employed"] > 0, out["earnings"] / out["employed"].where(out["employed"] > 0, 1), 0.0)
        base = out["additional"].to_numpy(float) * per_employed * out["present_value_factor"].to_numpy(float)
    base = np.where(np.isnan(base), 0.0, base)
    return share * (np.maximum(base, 0.0) if model.floor_at_zero else base)


def payments(tables: dict[str, pd.DataFrame], model: PaymentModel) -> pd.DataFrame:
    """What `model` pays each provider per service and period, beside the value added.

    Columns: keys, participants, followed, employed, earnings, expected (seed model),
    payment (after caps), of which progress fees, estimated additional employments and
    fiscal value added with its interval, `deadweight_fees` (a rate card's outcome fees
    for work that would have happened anyway), and payment per euro of value added."""
    rows = priced_rows(tables, model)
    if rows.empty:
        return pd.DataFrame(columns=[*KEYS, "participants", "payment", "value_added"])
    out = _value_columns(_per_period(rows, model), tables, model)
    out["payment"] = _model_payment(out, model) + out["progress_fees"]
    cap = model.cap_per_provider_period.value if model.cap_per_provider_period else None
    if cap is not None:
        totals = out.groupby(["provider_id", "period"])["payment"].transform("sum")
        scale = np.where(totals > cap, cap / totals.where(totals > 0, 1), 1.0)
        out["payment"], out["outcome_fees"] = out["payment"] * scale, out["outcome_fees"] * scale
    ratio = out["expected_12m"] / out["employed_with_expected"].where(out["employed_with_expected"] > 0)
    out["deadweight_fees"] = out["outcome_fees"] * np.minimum(1.0, ratio.fillna(0.0))
    out["payment_per_value"] = out["payment"] / out["value_added"].where(out["value_added"] > 0)
    return out.sort_values(KEYS).reset_index(drop=True)
