"""Clients: who the area serves, and their registration spells as job seekers."""

from __future__ import annotations

import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, Labeler, chart_of, count_text, distribution_table, figure_rows, no_data, share_text
from polku.reports.context import NONE, ReportContext
from polku.reports.frames import count_frame, counts_of, table
from polku.reports.registry import Results, register
from polku.schema.codelists import codelist
from polku.store import Store

DIMENSIONS = (
    ("sex", "sex"),
    ("mother_tongue_group", "mother_tongue_group"),
    ("education_level", "education_level"),
    ("municipality_code", "municipality"),
    ("partial_work_ability", None),
)
AGE_ORDER = (*(name for _, name in queries.AGE_BANDS), "55_plus", NONE)


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Clients by age band and each background column; registration spells by year of
    start, by outcome, and the long-term unemployed among them (`clients_registrations`)."""
    long_term, spells = queries.long_term_at_registration(store)
    return {
        "clients_age": count_frame(queries.age_groups(store), "age_group"),
        **{f"clients_{column}": count_frame(queries.person_counts(store, column), column) for column, _ in DIMENSIONS},
        "clients_registration_years": count_frame(queries.registration_years(store), "year"),
        "clients_registration_outcomes": count_frame(queries.registration_outcomes(store), "outcome"),
        "clients_registrations": count_frame({"long_term": long_term, "spells": spells}, "figure"),
    }


def _yes_no(ctx: ReportContext) -> Labeler:
    words = {"true": ctx.t("common.yes"), "false": ctx.t("common.no")}
    return lambda key: words.get(key, ctx.t("common.not_given"))


def _dimension_tables(results: Results, ctx: ReportContext) -> list[Block]:
    blocks: list[Block] = []
    for column, codes in DIMENSIONS:
        label = (lambda key, codes=codes: ctx.label(codes, key)) if codes else _yes_no(ctx)
        order = codelist(codes).codes if codes else ("true", "false")
        blocks.append(
            distribution_table(
                ctx,
                f"clients-{column}",
                ctx.t(f"clients.by.{column}"),
                ctx.t(f"clients.head.{column}"),
                counts_of(table(results, f"clients_{column}")),
                label,
                order,
            )
        )
    return blocks


def _registrations(results: Results, ctx: ReportContext) -> list[Block]:
    years = distribution_table(
        ctx,
        "registrations-year",
        ctx.t("clients.registrations_by_year"),
        ctx.t("common.year"),
        counts_of(table(results, "clients_registration_years")),
        str,
    )
    outcome_label = lambda key: ctx.t("clients.open") if key == "_open" else ctx.label("registration_end_reason", key)  # noqa: E731
    outcomes = distribution_table(
        ctx,
        "registrations-outcome",
        ctx.t("clients.outcomes"),
        ctx.t("clients.outcome"),
        counts_of(table(results, "clients_registration_outcomes")),
        outcome_label,
        ("_open", *codelist("registration_end_reason").codes),
    )
    return [
        years,
        *chart_of(ctx, years, title=ctx.t("clients.registrations_by_year"), value_label=ctx.t("unit.spells")),
        outcomes,
        *chart_of(ctx, outcomes, title=ctx.t("clients.outcomes"), value_label=ctx.t("unit.spells"), horizontal=True),
    ]


@register("clients", "section.clients", 10, compute=compute)
def clients_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Counts of clients by background and of registration spells by year and outcome."""
    persons = sum(counts_of(table(results, "clients_sex")).values())
    if not persons:
        return no_data(ctx)
    registrations = counts_of(table(results, "clients_registrations"))
    spells = registrations["spells"]
    outcomes = counts_of(table(results, "clients_registration_outcomes"))
    figures = figure_rows(
        ctx,
        [
            ("clients.figure.persons", count_text(ctx, persons)),
            ("clients.figure.spells", count_text(ctx, spells)),
            ("clients.figure.long_term", share_text(ctx, registrations["long_term"], spells)),
            ("clients.figure.open", share_text(ctx, outcomes.get("_open", 0), spells)),
        ],
    )
    ages = distribution_table(
        ctx,
        "clients-age",
        ctx.t("clients.by.age"),
        ctx.t("clients.age_group"),
        counts_of(table(results, "clients_age")),
        lambda key: ctx.t(f"age.{key}"),
        AGE_ORDER,
    )
    return [
        figures,
        ages,
        *chart_of(ctx, ages, title=ctx.t("clients.by.age"), value_label=ctx.t("unit.persons")),
        *_dimension_tables(results, ctx),
        *_registrations(results, ctx),
    ]
