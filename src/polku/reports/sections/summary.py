"""A one-page summary for a council or a board, before the detail analysts need.

Per service, from the run's stored tables (no fitting): the effect in plain words with its
interval (`plain_words`), whether the service is shown to work (`verdict`: only where the
95 % interval excludes zero), the net fiscal value and the Monte Carlo's probability that
benefits exceed costs (the cost-benefit tables), and how far the comparison can be trusted
(`trust`: balance, overlap, refutations, graded with its reason). Every figure passes the
same gate as in the sections that show it in detail: the impact table's released estimates
and the cost-benefit rows released beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.pipeline.views import Checks
from polku.reports.blocks import Block, Note, Table, no_data
from polku.reports.context import ReportContext
from polku.reports.plain import months_of, plain_words
from polku.reports.registry import register
from polku.reports.sections.cba_tables import stored_cost_benefit
from polku.reports.sections.cost_benefit import released_cost_benefit
from polku.reports.sections.impact import released_estimates
from polku.reports.sections.impact_tables import stored_checks, stored_views
from polku.reports.sections.services import service_labeler
from polku.store import Store

SMD_GOOD, SMD_FAIR = 0.1, 0.2
"""Largest |SMD| after weighting below which balance counts as good, and as fair."""


def verdict(estimate: float | None, low: float | None, high: float | None) -> str:
    """'working' or 'not_working' only where the interval excludes zero; 'unclear' where it
    holds zero; 'hidden' where no estimate is shown."""
    if estimate is None or low is None or high is None:
        return "hidden"
    if low > 0:
        return "working"
    if high < 0:
        return "not_working"
    return "unclear"


@dataclass(frozen=True)
class Trust:
    """How far a comparison can be trusted: 'good', 'fair' or 'weak', and why (message keys
    with their values)."""

    grade: str
    reasons: tuple[tuple[str, dict[str, Any]], ...]


def trust(record: Mapping[str, Any], checks: Checks | None) -> Trust:
    """The grade of a released estimate `record`: weak when balance is poor (largest |SMD|
    0.2 or more) or a refutation check failed; fair when balance is only fair (0.1 to 0.2),
    overlap is poor (the estimate's overlap warning) or the checks could not be run; good
    otherwise."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    smd = record.get("max_smd_after")
    if smd is not None and smd >= SMD_GOOD:
        found.append(("weak" if smd >= SMD_FAIR else "fair", "balance", {"smd": smd}))
    overlap = record.get("overlap") or {}
    if overlap.get("warning"):
        found.append(("fair", "overlap", {}))
    if checks is None:
        found.append(("fair", "unchecked", {}))
    elif not (checks.negative_control.passed and checks.placebo.passed):
        found.append(("weak", "refutation", {}))
    if not found:
        return Trust("good", (("passed", {}),))
    grade = "weak" if any(level == "weak" for level, _, _ in found) else "fair"
    return Trust(grade, tuple((key, values) for _, key, values in found))


@dataclass(frozen=True)
class SummaryRow:
    """One service's line of the summary, as the gate lets it out (None: not shown)."""

    service_code: str
    verdict: str
    rate: float | None = None
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    net: float | None = None
    probability: float | None = None
    trust: Trust | None = None


def summary_rows(results: Mapping[str, pd.DataFrame], threshold: int) -> list[SummaryRow]:
    """Each service's summary from the run's tables, through the disclosure gate."""
    estimates = released_estimates(results, threshold)
    services = [r for r in estimates if r["level"] == "service"]
    costs = stored_cost_benefit(results) if "cba_results" in results else []
    money = {
        row.service_code: (row, p)
        for row, p in zip(costs, released_cost_benefit(costs, estimates, stored_views(results), threshold), strict=True)
    }
    checks = stored_checks(results)
    out = []
    for r in services:
        code = r["service_code"]
        shown = verdict(r["estimate"], r["ci_low"], r["ci_high"])
        if shown == "hidden":
            out.append(SummaryRow(code, shown))
            continue
        row, p = money.get(code, (None, {}))
        has_money = row is not None and "benefit" in p and row.result is not None and row.monte_carlo is not None
        out.append(
            SummaryRow(
                code,
                shown,
                r["outcome_mean_treated"],
                r["estimate"],
                r["ci_low"],
                r["ci_high"],
                row.result.net if has_money and row is not None and row.result is not None else None,
                row.monte_carlo.probability_benefit_exceeds_cost if has_money and row is not None and row.monte_carlo else None,
                trust(r, checks.get(code)),
            )
        )
    return out


def _trust_text(ctx: ReportContext, value: Trust | None) -> str:
    if value is None:
        return ""
    reasons = "; ".join(
        ctx.t(f"summary.reason.{key}", **{k: ctx.num(v, 2) for k, v in values.items()}) for key, values in value.reasons
    )
    return f"{ctx.t(f'summary.grade.{value.grade}')}: {reasons}"


def _probability(ctx: ReportContext, p: float | None) -> str:
    if p is None:
        return sdc.MARKER
    return "> 99 %" if p > 0.99 else "< 1 %" if p < 0.01 else f"{ctx.num(100 * p)} %"


def _cells(ctx: ReportContext, row: SummaryRow, months: int) -> tuple[str, ...]:
    if row.verdict == "hidden" or row.estimate is None or row.low is None or row.high is None:
        return ("", ctx.t("summary.verdict.hidden"), "", "", "")
    words = "" if row.rate is None else plain_words(ctx.lang, row.rate, row.estimate, row.low, row.high, months)
    return (
        words,
        ctx.t(f"summary.verdict.{row.verdict}"),
        ctx.num(row.net),
        _probability(ctx, row.probability),
        _trust_text(ctx, row.trust),
    )


def compute_summary(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Nothing of its own: the summary reads the impact and cost-benefit tables."""
    return {}


@register("summary", "section.summary", 1, compute=compute_summary)
def summary_section(results: Mapping[str, pd.DataFrame], ctx: ReportContext) -> list[Block]:
    """One line per service: effect in plain words, verdict, net value, probability, trust."""
    if "impact_effects" not in results or results["impact_effects"].empty:
        return no_data(ctx)
    rows = summary_rows(results, ctx.threshold)
    if all(row.verdict == "hidden" for row in rows):
        return [Note(ctx.t("summary.none"))]
    service = service_labeler(results, ctx)
    outcome = str(results["impact_effects"]["outcome"].iloc[0])
    body: Sequence[tuple[str, ...]] = tuple((service(row.service_code), *_cells(ctx, row, months_of(outcome))) for row in rows)
    table = Table(
        id="summary-services",
        caption=ctx.t("summary.table"),
        header=(
            ctx.t("services.service"),
            ctx.t("summary.effect"),
            ctx.t("summary.verdict"),
            ctx.t("summary.net"),
            ctx.t("summary.probability"),
            ctx.t("summary.trust"),
        ),
        rows=tuple(body),
        note=ctx.t("summary.note"),
    )
    return [Note(ctx.t("summary.intro")), table]
