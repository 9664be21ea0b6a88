"""The provider's view: their own results beside the area's, from the latest analysis run.

Two seams, each taking a run's tables and giving the rows the page shows:
- `provider_results`: for each service the provider delivers, the AIPW effect on employment
  (the run's `impact_effects`) of the provider's participants beside the service's over the
  whole area, each with its interval; every figure passes the gate the CLI's `analyse --json`
  uses (`sdc.release_estimates` over all the run's estimates, so hidden cells stay hidden
  across margins).
- `provider_comparison` (issue 18): the provider's own row of the risk-adjusted comparison
  (`providers_comparison`: observed O and expected E employment, O/E, the funnel's 95 % and
  99.8 % limits, the rating and where on the funnel it lies) and its parking and creaming
  monitor (`providers_monitor`), beside the service's O/E over all its providers. Rows pass
  the same gate as the report's comparison (`polku.providers.release`).
A provider never sees another provider's name or figures: only its own rows, and the
service's totals over the area. The funnel shows the limits and the provider's own dot.
t=1 (or `exact`) gives the analyst's exact figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku import sdc
from polku.providers.release import released_comparison, released_share
from polku.reports.blocks import Table
from polku.reports.context import ReportContext
from polku.runs.effects import effect_lines, estimate_records

FIELDS = ("participants", "estimate", "lower", "upper", "suppressed")


def _line(lines: list[dict[str, Any]], level: str, service: str, provider: str | None) -> dict[str, Any] | None:
    return next(
        (x for x in lines if x["level"] == level and x["service_code"] == service and x["provider_id"] == provider),
        None,
    )


def provider_results(tables: Mapping[str, pd.DataFrame], provider_id: str, t: int | None = None) -> list[dict[str, Any]]:
    """One row per service the provider has estimates for: the provider's and the area's
    participants, effect and interval (None where withheld), ordered by service code."""
    lines = effect_lines(sdc.release_estimates(estimate_records(tables), t=t))
    services = sorted({x["service_code"] for x in lines if x["level"] == "service_provider" and x["provider_id"] == provider_id})
    rows = []
    for service in services:
        own = _line(lines, "service_provider", service, provider_id) or {}
        area = _line(lines, "service", service, None) or {}
        rows.append(
            {"service_code": service}
            | {f"provider_{k}": own.get(k) for k in FIELDS}
            | {f"area_{k}": area.get(k) for k in FIELDS}
            | {"method": own.get("method"), "outcome": own.get("outcome")}
        )
    return rows


POSITIONS = ("above_998", "above_95", "within", "below_95", "below_998")
"""Where a provider's O/E lies on its service's funnel: outside the 99.8 % limits, between the
95 % and 99.8 % ones, or within the 95 % limits (outside them the rating is High or Low)."""


def funnel_position(record: Mapping[str, Any]) -> str | None:
    """The position (`POSITIONS`) of a released comparison record; None when withheld."""
    ratio = record.get("ratio")
    if ratio is None or record.get("lower") is None:
        return None
    if ratio > record["upper_998"]:
        return "above_998"
    if ratio > record["upper"]:
        return "above_95"
    if ratio < record["lower_998"]:
        return "below_998"
    return "below_95" if ratio < record["lower"] else "within"


MIN_PROVIDERS = 3
"""The service's area figures are shown beside a provider's own only when the service has at
least this many providers: with two, the area's minus the provider's own would be the other's."""


def _area_of_service(part: pd.DataFrame, t: int) -> dict[str, Any]:
    """The service over all its providers: participants and O/E (the funnel's target),
    withheld like any share when its employed or not-employed count is small, and when the
    service has fewer than `MIN_PROVIDERS` providers."""
    n, observed = int(part["participants"].sum()), int(part["observed"].sum())
    hidden = sdc.share(observed, n, t=t).sdc_applied or (t > 1 and part["provider_id"].nunique() < MIN_PROVIDERS)
    target = float(part["target"].iloc[0])
    return {"area_participants": None if hidden else n, "area_ratio": None if hidden else round(target, 4)}


def _monitor_of(monitor: pd.DataFrame, service: str, provider_id: str, t: int) -> dict[str, Any]:
    """The provider's parking and creaming monitor of one service, shares through the gate."""
    mine = monitor[(monitor["service_code"] == service) & (monitor["provider_id"] == provider_id)]
    if mine.empty:
        return {"never_served_share": None, "refused_share": None, "parking_flag": None, "creaming_flag": None}
    r = mine.iloc[0]
    return {
        "never_served_share": released_share(int(r["never_served"]), int(r["participants"]), t) if r["participants"] else None,
        "refused_share": released_share(int(r["refused"]), int(r["referred"]), t) if r["referred"] else None,
        "parking_flag": bool(r["parking_flag"]),
        "creaming_flag": bool(r["creaming_flag"]),
    }


COMPARED = ("participants", "observed", "expected", "ratio", "lower", "upper", "lower_998", "upper_998", "rating")


def provider_records(tables: Mapping[str, pd.DataFrame], provider_id: str, t: int) -> list[dict[str, Any]]:
    """The provider's own released comparison records (the report's rows), by service."""
    frame = tables.get("providers_comparison")
    if frame is None or frame.empty:
        return []
    return [r for r in released_comparison(frame, t, exact=t <= 1) if r["provider_id"] == provider_id]


def provider_comparison(tables: Mapping[str, pd.DataFrame], provider_id: str, t: int | None = None) -> list[dict[str, Any]]:
    """One row per service the provider is compared in: its own O, E, O/E, limits, rating,
    funnel position and monitor, beside the service's participants and O/E over the area."""
    threshold = sdc.threshold() if t is None else t
    frame, monitor = tables.get("providers_comparison"), tables.get("providers_monitor")
    rows = []
    for record in provider_records(tables, provider_id, threshold):
        service = record["service_code"]
        assert frame is not None
        area = _area_of_service(frame[frame["service_code"] == service], threshold)
        own = {k: record.get(k) for k in COMPARED} | {"withheld": record["withheld"], "position": funnel_position(record)}
        checks = _monitor_of(monitor, service, provider_id, threshold) if monitor is not None else {}
        rows.append({"service_code": service} | own | area | checks)
    return rows


def _limits(rctx: ReportContext, low: float | None, high: float | None) -> str:
    return sdc.MARKER if low is None or high is None else f"{rctx.num(low, 2)} – {rctx.num(high, 2)}"


def _percent(rctx: ReportContext, value: float | None) -> str:
    return sdc.MARKER if value is None else rctx.num(100 * value, 1)


def _comparison_cells(rctx: ReportContext, service: str, r: Mapping[str, Any]) -> tuple[str, ...]:
    flags = [rctx.t(f"providers.flag.{k}") for k in ("parking", "creaming") if r.get(f"{k}_flag")]
    num = lambda key, digits=0: sdc.MARKER if r[key] is None else rctx.num(r[key], digits)  # noqa: E731
    return (
        service,
        num("participants"),
        num("observed"),
        num("expected", 1),
        num("ratio", 2),
        _limits(rctx, r["lower"], r["upper"]),
        _limits(rctx, r["lower_998"], r["upper_998"]),
        rctx.t(f"providers.rating.{r['rating']}") if r["rating"] else sdc.MARKER,
        rctx.t(f"web.provider.position.{r['position']}") if r["position"] else sdc.MARKER,
        num("area_participants"),
        num("area_ratio", 2),
        _percent(rctx, r.get("never_served_share")),
        _percent(rctx, r.get("refused_share")),
        ", ".join(flags) or "–",
    )


HEADER = (
    "services.service",
    "web.provider.own_participants",
    "providers.col.o",
    "providers.col.e",
    "providers.col.ratio",
    "providers.col.limits",
    "web.provider.limits998",
    "providers.col.rating",
    "web.provider.position",
    "web.provider.area_participants",
    "web.provider.area_ratio",
    "providers.monitor.never",
    "providers.monitor.refused",
    "providers.monitor.flags",
)


def comparison_table(tables: Mapping[str, pd.DataFrame], provider_id: str, rctx: ReportContext) -> Table:
    """The provider's own comparison as a report table (the page's, its downloads' and JSON's)."""
    from polku.reports.sections.services import service_labeler

    service = service_labeler(tables, rctx)
    rows = provider_comparison(tables, provider_id, rctx.threshold)
    return Table(
        id="provider-comparison",
        caption=rctx.t("web.provider.comparison_caption", provider=provider_id),
        header=tuple(rctx.t(key) for key in HEADER),
        rows=tuple(_comparison_cells(rctx, service(r["service_code"]), r) for r in rows),
        note=rctx.t("web.provider.no_comparison") if not rows else None,
    )


def own_table(ctx: Any, run: Any, rctx: ReportContext, table_id: str) -> Table | None:
    """A table of the provider page for `/tables/provider/...` downloads: the user's own
    provider's (an analyst's `?provider=`), never another's for a provider user."""
    from polku.web.access import Reads

    ctx.require(Reads.PROVIDER)
    if table_id != "provider-comparison":
        return None
    return comparison_table(run.tables, _pick(ctx, providers_in_run(run.tables)), rctx)


def providers_in_run(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The providers the run has estimates or a comparison for (the analyst picks one)."""
    found: set[str] = set()
    for name in ("impact_effects", "providers_comparison"):
        if name in tables:
            found |= {str(p) for p in tables[name]["provider_id"].dropna().unique()}
    return sorted(found)


def own_funnel(tables: Mapping[str, pd.DataFrame], provider_id: str, rctx: ReportContext, services: set[str]) -> str | None:
    """The report's funnel plot (`polku.reports.charts.funnel_panels`) with the provider's own
    dots alone, for `services` (those whose area figures may be shown: the target line is the
    service's O/E): the limits are the service's, no other provider is drawn."""
    from polku.reports.charts import funnel_panels
    from polku.reports.sections.providers import comparison_panels
    from polku.reports.sections.services import provider_labeler, service_labeler

    records = [r for r in provider_records(tables, provider_id, rctx.threshold) if r["service_code"] in services]
    if not records:
        return None
    service, provider = service_labeler(tables, rctx), provider_labeler(tables, rctx)
    return funnel_panels(
        "provider-funnel",
        rctx.t("web.provider.funnel_title"),
        comparison_panels(records, service, provider, tables["providers_comparison"]),
        volume_label=rctx.t("providers.funnel_volume"),
        value_label=rctx.t("providers.funnel_value"),
        limit_labels=(rctx.t("providers.limit95"), rctx.t("providers.limit998")),
    )


def _pick(ctx: Any, choices: list[str]) -> str:
    """The provider shown: a provider user's own, whatever the query says; an analyst's choice."""
    if ctx.user.role == "provider":
        return str(ctx.user.provider_id)
    return ctx.request.query_params.get("provider") or (choices[0] if choices else "")


def provider_page(ctx: Any) -> dict[str, Any]:
    """The provider's results beside the area's (an analyst picks the provider with `?provider=`)."""
    from polku.web import results
    from polku.web.access import Reads
    from polku.web.app import wants_json
    from polku.web.area import exact_asked, no_run

    ctx.require(Reads.PROVIDER)
    exact = exact_asked(ctx)
    run = results.latest_run(ctx.state.store_path)
    empty: dict[str, Any] = {"providers": [], "rows": [], "comparison": [], "blocks": [], "funnel": None, "exact": exact}
    if run is None:
        return {"provider_id": ctx.user.provider_id} | empty | no_run(ctx)
    choices = providers_in_run(run.tables)
    provider_id = _pick(ctx, choices)
    t = 1 if exact else None
    rows = provider_results(run.tables, provider_id, t)
    comparison = provider_comparison(run.tables, provider_id, t)
    rctx = results.context(run, ctx.locale.lang, exact)
    own = comparison_table(run.tables, provider_id, rctx)
    table = results.block_data(own, rctx.lang, "provider", for_json=wants_json(ctx.request))
    funnel = None
    if comparison and not wants_json(ctx.request):
        shown = {r["service_code"] for r in comparison if r["area_ratio"] is not None}
        svg = own_funnel(run.tables, provider_id, rctx, shown)
        funnel = results.chart_src(svg) if svg else None
    if exact:
        ctx.audited = {"access": "aggregates", "exact": True, "run": run.run_id, "page": "provider"}
    mine = choices if ctx.user.role == "analyst" else []
    facts = {"run": results.run_facts(run), "threshold": sdc.threshold()}
    page = {"provider_id": provider_id, "providers": mine, "rows": rows, "comparison": comparison, "exact": exact}
    return page | {"blocks": [table], "funnel": funnel, "positions": list(POSITIONS)} | facts
