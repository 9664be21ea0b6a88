"""Clients: who the area serves, and their registration spells as job seekers."""

from __future__ import annotations

from polku.reports import queries
from polku.reports.blocks import Block, Labeler, chart_of, count_text, distribution_table, figure_rows, no_data, share_text
from polku.reports.context import ReportContext
from polku.reports.registry import register
from polku.schema.codelists import codelist
from polku.store import Store

DIMENSIONS = (
    ("sex", "sex"),
    ("mother_tongue_group", "mother_tongue_group"),
    ("education_level", "education_level"),
    ("municipality_code", "municipality"),
    ("partial_work_ability", None),
)


def _yes_no(ctx: ReportContext) -> Labeler:
    words = {"true": ctx.t("common.yes"), "false": ctx.t("common.no")}
    return lambda key: words.get(key, ctx.t("common.not_given"))


def _dimension_tables(store: Store, ctx: ReportContext) -> list[Block]:
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
                queries.person_counts(store, column),
                label,
                order,
            )
        )
    return blocks


def _registrations(store: Store, ctx: ReportContext) -> list[Block]:
    years = distribution_table(
        ctx,
        "registrations-year",
        ctx.t("clients.registrations_by_year"),
        ctx.t("common.year"),
        queries.registration_years(store),
        str,
    )
    outcome_label = lambda key: ctx.t("clients.open") if key == "_open" else ctx.label("registration_end_reason", key)  # noqa: E731
    outcomes = distribution_table(
        ctx,
        "registrations-outcome",
        ctx.t("clients.outcomes"),
        ctx.t("clients.outcome"),
        queries.registration_outcomes(store),
        outcome_label,
        ("_open", *codelist("registration_end_reason").codes),
    )
    return [
        years,
        *chart_of(ctx, years, title=ctx.t("clients.registrations_by_year"), value_label=ctx.t("unit.spells")),
        outcomes,
        *chart_of(ctx, outcomes, title=ctx.t("clients.outcomes"), value_label=ctx.t("unit.spells"), horizontal=True),
    ]


@register("clients", "section.clients", 10)
def clients_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Counts of clients by background and of registration spells by year and outcome."""
    persons = sum(queries.person_counts(store, "sex").values())
    if not persons:
        return no_data(ctx)
    long_term, spells = queries.long_term_at_registration(store)
    outcomes = queries.registration_outcomes(store)
    figures = figure_rows(
        ctx,
        [
            ("clients.figure.persons", count_text(ctx, persons)),
            ("clients.figure.spells", count_text(ctx, spells)),
            ("clients.figure.long_term", share_text(ctx, long_term, spells)),
            ("clients.figure.open", share_text(ctx, outcomes.get("_open", 0), spells)),
        ],
    )
    ages = distribution_table(
        ctx,
        "clients-age",
        ctx.t("clients.by.age"),
        ctx.t("clients.age_group"),
        queries.age_groups(store),
        lambda key: ctx.t(f"age.{key}"),
    )
    return [
        figures,
        ages,
        *chart_of(ctx, ages, title=ctx.t("clients.by.age"), value_label=ctx.t("unit.persons")),
        *_dimension_tables(store, ctx),
        *_registrations(store, ctx),
    ]
