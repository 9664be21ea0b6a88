"""The building blocks a section returns: key figures, tables, charts and notes.

Sections return data, not HTML: the template renders each kind the same way everywhere,
and tests can read a section's numbers without parsing markup. Helpers here turn protected
`sdc` results into tables so no section formats a raw count itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from polku import sdc
from polku.reports.context import ReportContext


@dataclass(frozen=True)
class Figures:
    """Headline numbers: (label, value text) pairs."""

    items: tuple[tuple[str, str], ...]
    kind: str = "figures"


@dataclass(frozen=True)
class Table:
    """A table: first column row labels, the rest values; `foot` is the totals row."""

    id: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    foot: tuple[str, ...] | None = None
    note: str | None = None
    values: tuple[int | None, ...] = ()
    kind: str = "table"

    def chart_data(self) -> tuple[list[str], list[int | None]]:
        """Row labels and protected counts (row totals of a cross table) for a chart."""
        return [row[0] for row in self.rows], list(self.values)


@dataclass(frozen=True)
class Chart:
    svg: str
    caption: str
    id: str | None = None
    kind: str = "chart"


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (an `<h3>` with an id to link to)."""

    text: str
    id: str
    kind: str = "heading"


@dataclass(frozen=True)
class Note:
    text: str
    tone: str = "info"
    kind: str = "note"


Block = Figures | Table | Chart | Note | Heading
Labeler = Callable[[str], str]


def no_data(ctx: ReportContext) -> list[Block]:
    return [Note(ctx.t("common.no_data"))]


def sdc_note(ctx: ReportContext, applied: bool) -> str | None:
    """The explanation under a table in which something was hidden."""
    return ctx.t("sdc.note", threshold=ctx.threshold) if applied else None


def ordered(keys: Iterable[str], order: Sequence[str] | None) -> list[str]:
    """Keys in code-list order when one is given (unknown codes after, sorted), else sorted."""
    rank = {k: i for i, k in enumerate(order or ())}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def distribution_table(
    ctx: ReportContext,
    id: str,
    caption: str,
    head: str,
    counts: dict[str, int],
    label: Labeler,
    order: Sequence[str] | None = None,
) -> Table:
    """One-way distribution of people with shares and a protected total.

    Rows keep the order of `counts` unless a code-list `order` is given.
    """
    if order is not None:
        counts = {k: counts[k] for k in ordered(counts, order)}
    protected = sdc.distribution(counts, t=ctx.threshold)
    total = sum(counts.values())
    rows = []
    for key, value in protected.column().items():
        pct = sdc.share(counts[key], total, t=ctx.threshold) if value is not None else sdc.Statistic(None, total, True)
        rows.append((label(key), ctx.num(value), ctx.stat(pct)))
    return Table(
        id=id,
        caption=caption,
        header=(head, ctx.t("common.count"), ctx.t("common.percent")),
        rows=tuple(rows),
        foot=(ctx.t("common.total"), ctx.num(protected.total), ctx.num(100.0 if protected.total else None, 1)),
        note=sdc_note(ctx, protected.sdc_applied),
        values=tuple(protected.column().values()),
    )


def cross_table(
    ctx: ReportContext,
    id: str,
    caption: str,
    head: str,
    counts: dict[tuple[str, str], int],
    labels: tuple[Labeler, Labeler],
    orders: tuple[Sequence[str] | None, Sequence[str] | None] = (None, None),
) -> Table:
    """Two-way table of counts with protected row and column totals."""
    row_keys = ordered({r for r, _ in counts}, orders[0])
    col_keys = ordered({c for _, c in counts}, orders[1])
    grid = [[counts.get((r, c), 0) for c in col_keys] for r in row_keys]
    protected = sdc.count_table(grid, row_keys, col_keys, t=ctx.threshold)
    rows = tuple(
        (labels[0](r), *(ctx.num(v) for v in cells), ctx.num(total))
        for r, cells, total in zip(row_keys, protected.cells, protected.row_totals)
    )
    return Table(
        id=id,
        caption=caption,
        header=(head, *(labels[1](c) for c in col_keys), ctx.t("common.total")),
        rows=rows,
        foot=(ctx.t("common.total"), *(ctx.num(v) for v in protected.col_totals), ctx.num(protected.total)),
        note=sdc_note(ctx, protected.sdc_applied),
        values=protected.row_totals,
    )


def figure_rows(ctx: ReportContext, pairs: Sequence[tuple[str, str]]) -> Figures:
    """Key figures from (message key, already protected value text) pairs."""
    return Figures(tuple((ctx.t(key), value) for key, value in pairs))


def count_text(ctx: ReportContext, n: int) -> str:
    """A single count of people, hidden when it is small (no margin can reveal it)."""
    shown, _ = sdc.separate_counts({"n": n}, t=ctx.threshold)
    return ctx.num(shown["n"])


def share_text(ctx: ReportContext, numerator: int, denominator: int) -> str:
    """A percentage with one decimal, withheld by the disclosure rules when needed."""
    return ctx.stat(sdc.share(numerator, denominator, t=ctx.threshold)) + (" %" if ctx.lang != "en" else "%")


def chart_of(ctx: ReportContext, table: Table, *, title: str, value_label: str, horizontal: bool = False) -> list[Block]:
    """A bar chart of a table's protected counts (hidden values are not drawn)."""
    from polku.reports.charts import bar_chart

    labels, values = table.chart_data()
    svg = bar_chart(
        f"chart-{table.id}", title, labels, values, value_label=value_label, category_label=table.header[0], horizontal=horizontal
    )
    if svg is None:
        return []
    hidden = any(v is None for v in values)
    return [Chart(svg, ctx.t("chart.hidden_not_drawn") if hidden else title)]
