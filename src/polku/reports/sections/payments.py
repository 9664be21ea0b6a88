"""Payments: what each shipped payment model would pay each provider, beside the value added.

Computed once per analysis run (`polku.payments.outcomes`, tables `payments_*`): the counts
a model pays for, per provider, service, month, client group, benefit and decile of the
seed model's expected outcome. Shown from the stored tables alone: for each example model
in `polku/payments/models`, per provider and service over the whole run, the payment,
the value added that the impact and fiscal engines estimate, and for a rate card the
fees for work that would have happened anyway. `polku payments --model FILE` prices an
area's own model from the same tables.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from polku.payments.model import load_model, shipped_models
from polku.payments.record import payment_record, release_payments
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Heading, Note, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.registry import Results, register
from polku.reports.sections.impact import analysis_views
from polku.reports.sections.services import provider_labeler, service_labeler
from polku.store import Store

NEEDED = ("payments_outcomes", "payments_sustained", "impact_effects", "cba_results")


def expected_of(store: Store, analysis: AnalysisContext) -> dict[str, pd.Series]:
    """Each service's participants' p_i under the seed model, fitted once per run for the
    payments and equality sections."""
    if "expected_chances" not in analysis.computed:
        from polku.payments.outcomes import expected_chances  # the estimators load only when a run is computed

        analysis.computed["expected_chances"] = expected_chances(analysis_views(store, analysis), analysis.settings.seed)
    return analysis.computed["expected_chances"]


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The `payments_*` tables from the services' views (fitted once per run)."""
    from polku.payments.outcomes import payment_tables  # the estimators load only when a run is computed

    return payment_tables(store, analysis_views(store, analysis), expected_of(store, analysis))


def _money(ctx: ReportContext, value: float | None) -> str:
    return ".." if value is None else ctx.num(value)


def _model_table(ctx: ReportContext, results: Results, path: str, index: int) -> list[Block]:
    model = dataclasses.replace(load_model(path), period="all")
    record = release_payments(payment_record(results, model), t=ctx.threshold)
    if not record["rows"]:
        return []
    provider, service = provider_labeler(results, ctx), service_labeler(results, ctx)
    body = tuple(
        (
            provider(r["provider_id"]),
            service(r["service_code"]),
            _money(ctx, r["participants"]),
            _money(ctx, r["payment"]),
            _money(ctx, r["value_added"]),
            _money(ctx, r["deadweight_fees"]) if model.kind == "rate_card" else "–",
        )
        for r in record["rows"]
    )
    hidden = any(r["sdc_applied"] for r in record["rows"])
    table = Table(
        id=f"payments-{index}",
        caption=model.name,
        header=(
            ctx.t("payments.provider"),
            ctx.t("services.service"),
            ctx.t("unit.clients"),
            ctx.t("payments.payment"),
            ctx.t("payments.value_added"),
            ctx.t("payments.deadweight"),
        ),
        rows=body,
        note=" ".join(filter(None, [ctx.t("payments.table_note"), sdc_note(ctx, hidden)])),
    )
    return [Heading(model.name, f"payments-model-{index}"), table]


@register("payments", "section.payments", 75, compute=compute)
def payments_section(results: Results, ctx: ReportContext) -> list[Block]:
    """One table per shipped model; nothing when the run has no payments tables."""
    if any(name not in results for name in NEEDED) or results["payments_outcomes"].empty:
        return no_data(ctx)
    blocks: list[Block] = [Note(ctx.t("payments.intro"))]
    for i, path in enumerate(shipped_models()):
        blocks += _model_table(ctx, results, str(path), i)
    return blocks
