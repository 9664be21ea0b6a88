"""What the impact section shows beside the effects: time to work, expected versus observed, and checks.

Blocks built from a run's stored views (`impact_tables.StoredView`, one per service; services
without an estimate are left out, the effects table already says why). Disclosure control:

- Curves are read at whole months. A curve ends before the first month in which fewer
  than T people of the group are still followed without an event, and two neighbouring
  points are drawn only when at least T people found work between them (`sdc.curve_points`;
  the months of the table are placed first). The table of 3, 6, 12 and 24 months shows a
  value only where the curve has a point, so no difference of two shown values rests on
  fewer than T people. The client groups' sizes are protected as one line with the
  service's (`sdc.release_survival`, which the JSON of `estimate --survival` shows too).
- Overlap histograms draw each group's share per bin from `sdc.distribution` of the bin
  counts (small bins and their partners hidden, not drawn).
- Observed employments per client group are protected as a line (groups add up to the
  service's total), so a hidden group's count cannot be found by subtraction; the same
  for participants per group. O − E, its interval and O/E are hidden with O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from polku import sdc
from polku.i18n import catalog
from polku.pipeline.views import MONTHS, ExpectedRow
from polku.reports.blocks import Block, Chart, Heading, Labeler, Note, Table, sdc_note
from polku.reports.charts import curve_panels, expected_panels, love_plot, overlap_plot
from polku.reports.context import ReportContext
from polku.reports.sections.impact_consistency import CrossTable, Key, shown_curves
from polku.reports.sections.impact_tables import StoredView
from polku.sdc.records import CURVE_MONTHS

CODELISTS = {
    "sex": "sex",
    "mother_tongue_group": "mother_tongue_group",
    "education_level": "education_level",
    "municipality_code": "municipality",
    "activity_before": "activity_before",
    "benefit": "benefit_type",
    "benefit_at_spell_start": "benefit_type",
}
"""Covariates whose indicator levels are codes of a code list (labelled in the report language)."""

SMD_THRESHOLD = 0.1


def _has(ctx: ReportContext, key: str) -> bool:
    return key in catalog(ctx.lang)


def covariate_labeler(ctx: ReportContext) -> Labeler:
    """'sex=male' -> 'Sex: male' in the report language; unknown names stay as they are."""

    def label(name: str) -> str:
        base, _, level = name.partition("=")
        head = ctx.t(f"impact.covariate.{base}") if _has(ctx, f"impact.covariate.{base}") else base
        if not level:
            return head
        if level == "none":
            return f"{head}: {ctx.t('impact.covariate.none')}"
        return f"{head}: {ctx.label(CODELISTS[base], level) if base in CODELISTS else level}"

    return label


def percent_points(ctx: ReportContext, value: float | None) -> str:
    """A share difference in percentage points, signed; a dash when there is none."""
    if value is None:
        return "–"
    text = ctx.num(100 * value, 1)
    return ("+" + text) if value > 0 else text


def percent_points_interval(ctx: ReportContext, low: float | None, high: float | None) -> str:
    return "–" if low is None else f"{percent_points(ctx, low)} … {percent_points(ctx, high)}"


# --- time to employment --------------------------------------------------------------------


def _series(label: str, points: dict[int, tuple[float, float, float]]) -> tuple:
    months = sorted(points)
    return (
        label,
        months,
        [100 * points[m][0] for m in months],
        [100 * points[m][1] for m in months],
        [100 * points[m][2] for m in months],
    )


def survival_blocks(
    ctx: ReportContext, views: Sequence[StoredView], service: Labeler, hide: AbstractSet[Key] = frozenset()
) -> list[Block]:
    """Curves and the table at 3, 6, 12 and 24 months; participants of the curves in `hide`
    hidden whatever their number (`impact_consistency`)."""
    shown = [v for v in views if v.survival is not None]
    if not shown:
        return []
    participants, comparison = ctx.t("impact.survival.participants"), ctx.t("impact.survival.comparison")
    panels, rows, applied = [], [], False
    for view in shown:
        # groups only when all have curves (shown_curves): the gate then protects their sizes as one line with the service's
        curves = shown_curves(view)
        hidden = {k for k, curve in enumerate(curves) if (view.service_code, curve.client_group) in hide}
        released = sdc.release_survival(curves[0], curves[1:], t=ctx.threshold, hide=hidden)
        for record in (released, *released["client_groups"]):
            overall = record["client_group"] is None  # the chart shows each service once; groups are in the table
            name = (
                service(view.service_code)
                if overall
                else f"{service(view.service_code)}: {ctx.t('impact.group.' + record['client_group'])}"
            )
            series = []
            for label, key in ((participants, "participants"), (comparison, "comparison")):
                group = record[key]
                if overall:
                    series.append(_series(label, {int(m): tuple(v) for m, v in group["points"].items()}))
                values = [ctx.num(None if v is None else 100 * v, 1) for v in group["cumulative_incidence"].values()]
                applied = applied or sdc.MARKER in values or group["censored_share"] is None or group["n"] is None
                rows.append((name, label, ctx.num(group["n"]), *values, ctx.num(group["censored_share"], 1)))
            if overall:
                panels.append((name, series))
    title = ctx.t("impact.survival.chart_title")
    svg = curve_panels(
        "impact-survival-chart",
        title,
        panels,
        x_label=ctx.t("impact.survival.x"),
        y_label=ctx.t("impact.survival.y"),
        x_max=CURVE_MONTHS,
        x_ticks=(0, *MONTHS),
    )
    table = Table(
        id="impact-survival",
        caption=ctx.t("impact.survival.table"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.survival.group"),
            ctx.t("impact.survival.rows"),
            *(ctx.t("impact.survival.month", months=m) for m in MONTHS),
            ctx.t("impact.survival.censored"),
        ),
        rows=tuple(rows),
        note=" ".join(filter(None, [ctx.t("impact.survival.table_note"), sdc_note(ctx, applied)])),
    )
    blocks: list[Block] = [Heading(ctx.t("impact.h.survival"), "impact-h-survival"), Note(ctx.t("impact.survival.intro"))]
    if svg is not None:
        blocks.append(Chart(svg, ctx.t("impact.survival.chart_caption", threshold=ctx.threshold), id="impact-survival-chart"))
    return [*blocks, table]


# --- observed versus expected ---------------------------------------------------------------


def protect_groups(
    rows: list[ExpectedRow], threshold: int, hide: AbstractSet[str | None] = frozenset()
) -> tuple[dict[str | None, int | None], dict[str | None, int | None], bool]:
    """Participants and observed employments per group (None: all), protected as lines;
    the participants of the groups in `hide` hidden whatever their number.

    A group's O is hidden when it, or the number of its participants who did not find work,
    is a small count, or when the group has too few participants for an estimate; then
    partners are hidden until none can be worked out from the total."""
    keys = [r.client_group for r in rows]
    total = keys.index(None)
    parts = tuple(i for i in range(len(keys)) if i != total)
    line = [sdc.Line(parts, total)]
    sizes = [r.n for r in rows]
    observed = [int(round(r.observed or 0)) for r in rows]
    forced = {i for i, key in enumerate(keys) if key in hide and sizes[i] > 0}
    hidden_n = sdc.protect(sizes, line, {i for i, n in enumerate(sizes) if sdc.is_sensitive(n, threshold)} | forced, t=threshold)
    primary = {
        i
        for i, r in enumerate(rows)
        if sdc.is_sensitive(observed[i], threshold)
        or sdc.is_sensitive(r.n - observed[i], threshold)
        or (r.suppressed and r.n > 0)
    }
    primary |= {i for i in hidden_n if rows[i].n > 0}
    hidden_o = sdc.protect(observed, line, primary, t=threshold)
    shown_n = {k: (None if i in hidden_n else sizes[i]) for i, k in enumerate(keys)}
    shown_o = {k: (None if i in hidden_o else observed[i]) for i, k in enumerate(keys)}
    return shown_n, shown_o, bool(hidden_n or hidden_o)


def expected_blocks(
    ctx: ReportContext, views: Sequence[StoredView], service: Labeler, hide: AbstractSet[Key] = frozenset()
) -> list[Block]:
    """Observed and expected employment by client group; participants of the groups in
    `hide` hidden whatever their number (`impact_consistency`)."""
    shown = [v for v in views if v.expected]
    if not shown:
        return []
    group_label = lambda key: ctx.t("impact.expected.all") if key is None else ctx.t(f"impact.group.{key}")  # noqa: E731
    body, panels, applied = [], [], False
    for view in shown:
        mine = {group for code, group in hide if code == view.service_code}
        sizes, observed, hidden = protect_groups(view.expected, ctx.threshold, mine)
        applied = applied or hidden
        labels, obs_pct, exp_pct, bands = [], [], [], []
        for row in view.expected:
            o = observed[row.client_group]
            n = sizes[row.client_group]
            cells: tuple[str, ...]
            if row.suppressed:
                cells = (ctx.t("impact.too_few"), "", "", "", "")
            else:
                # a hidden group size hides E too: E with its share of n would give n back
                visible = o is not None and n is not None
                interval = f"{ctx.num(row.ci_low, 1)} … {ctx.num(row.ci_high, 1)}" if visible else sdc.MARKER
                cells = (
                    ctx.num(o),
                    ctx.num(row.expected, 1) if n is not None else sdc.MARKER,
                    ctx.num(row.additional, 1) if visible else sdc.MARKER,
                    interval,
                    ctx.num(row.ratio, 2) if visible else sdc.MARKER,
                )
            body.append((service(view.service_code), group_label(row.client_group), ctx.num(n), *cells))
            if row.expected is not None and row.ci_low is not None and row.ci_high is not None and row.n and n is not None:
                half = (row.ci_high - row.ci_low) / 2
                labels.append(group_label(row.client_group))
                obs_pct.append(None if o is None else 100 * o / row.n)
                exp_pct.append(100 * row.expected / row.n)
                bands.append((100 * (row.expected - half) / row.n, 100 * (row.expected + half) / row.n))
        if labels:
            panels.append((service(view.service_code), labels, obs_pct, exp_pct, bands))
    table = Table(
        id="impact-expected",
        caption=ctx.t("impact.expected.table"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.group"),
            ctx.t("impact.participants"),
            ctx.t("impact.expected.observed"),
            ctx.t("impact.expected.expected"),
            ctx.t("impact.expected.additional"),
            ctx.t("impact.interval"),
            ctx.t("impact.expected.ratio"),
        ),
        rows=tuple(body),
        note=" ".join(filter(None, [ctx.t("impact.expected.note"), sdc_note(ctx, applied)])),
    )
    title = ctx.t("impact.expected.chart_title")
    svg = expected_panels(
        "impact-expected-chart",
        title,
        panels,
        observed_label=ctx.t("impact.expected.observed"),
        expected_label=ctx.t("impact.expected.expected"),
        axis_label=ctx.t("impact.expected.axis"),
    )
    blocks: list[Block] = [Heading(ctx.t("impact.h.expected"), "impact-h-expected"), Note(ctx.t("impact.expected.intro")), table]
    if svg is not None:
        blocks.append(Chart(svg, ctx.t("impact.expected.chart_caption"), id="impact-expected-chart"))
    return blocks


# --- balance, overlap and refutation -----------------------------------------------------------


def _balance_table(ctx: ReportContext, shown: Sequence[StoredView], service: Labeler) -> Table:
    rows, applied = [], False
    for view in shown:
        r = view.overall.result
        over = sum(1 for b in r.balance if abs(b.smd_after) >= SMD_THRESHOLD)
        ess = r.overlap.ess_control if r.overlap is not None else None
        ess_shown = None if ess is None or ess < ctx.threshold else round(ess)
        trimmed, hidden = sdc.separate_counts({"n": r.n_trimmed}, t=ctx.threshold)
        applied = applied or hidden or (ess is not None and ess_shown is None)
        rows.append(
            (
                service(view.service_code),
                ctx.num(r.max_smd_before, 2),
                ctx.num(r.max_smd_after, 2),
                f"{over} / {len(r.balance)}",
                ctx.num(ess_shown),
                ctx.num(trimmed["n"]),
            )
        )
    return Table(
        id="impact-balance",
        caption=ctx.t("impact.balance.table"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.balance.before"),
            ctx.t("impact.balance.after"),
            ctx.t("impact.balance.over"),
            ctx.t("impact.balance.ess"),
            ctx.t("impact.balance.trimmed"),
        ),
        rows=tuple(rows),
        note=" ".join(filter(None, [ctx.t("impact.balance.note"), sdc_note(ctx, applied)])),
    )


def _love(ctx: ReportContext, shown: Sequence[StoredView], service: Labeler) -> Chart | None:
    """SMDs before and after weighting, as the gate releases them: an indicator whose means
    would give a small count of participants or comparison people is not drawn."""
    balance = {
        view.service_code: sdc.release_estimates([view.overall.to_dict()], t=ctx.threshold)[0]["balance"] for view in shown
    }
    names: list[str] = []
    for view in shown:
        names += [b["covariate"] for b in balance[view.service_code] if b["covariate"] not in names]
    panels = []
    for view in shown:
        by_name = {b["covariate"]: b for b in balance[view.service_code]}
        panels.append(
            (
                service(view.service_code),
                [by_name[n]["smd_before"] if n in by_name else None for n in names],
                [by_name[n]["smd_after"] if n in by_name else None for n in names],
            )
        )
    label = covariate_labeler(ctx)
    title = ctx.t("impact.balance.chart_title")
    svg = love_plot(
        "impact-balance-chart",
        title,
        [label(n) for n in names],
        panels,
        before_label=ctx.t("impact.balance.legend_before"),
        after_label=ctx.t("impact.balance.legend_after"),
        axis_label=ctx.t("impact.balance.axis"),
        threshold=SMD_THRESHOLD,
    )
    return None if svg is None else Chart(svg, ctx.t("impact.balance.chart_caption"), id="impact-balance-chart")


def overlap_shares(counts: tuple[int, ...], threshold: int) -> tuple[list[float | None], bool]:
    """Each bin's share (%) of the group, None where disclosure control hides the bin."""
    protected = sdc.distribution({str(i): c for i, c in enumerate(counts)}, t=threshold)
    total = sum(counts)
    shares = [None if v is None or not total else 100 * v / total for v in protected.column().values()]
    return shares, protected.sdc_applied


def _overlap(ctx: ReportContext, shown: Sequence[StoredView], service: Labeler, trim: float) -> Chart | None:
    panels, bins = [], None
    for view in shown:
        overlap = view.overall.result.overlap
        if overlap is None:
            continue
        bins = overlap.bins
        treated, _ = overlap_shares(overlap.histogram_treated, ctx.threshold)
        control, _ = overlap_shares(overlap.histogram_control, ctx.threshold)
        panels.append((service(view.service_code), treated, control))
    if not panels or bins is None:
        return None
    title = ctx.t("impact.overlap.chart_title")
    svg = overlap_plot(
        "impact-overlap-chart",
        title,
        bins,
        panels,
        treated_label=ctx.t("impact.overlap.participants"),
        control_label=ctx.t("impact.overlap.comparison"),
        axis_label=ctx.t("impact.overlap.axis"),
        share_label=ctx.t("impact.overlap.share"),
        trim=trim,
    )
    return (
        None
        if svg is None
        else Chart(svg, ctx.t("impact.overlap.chart_caption", threshold=ctx.threshold), id="impact-overlap-chart")
    )


def _verdict(ctx: ReportContext, passed: bool) -> str:
    return ctx.t("impact.refute.passed") if passed else ctx.t("impact.refute.failed")


def refutation_table(ctx: ReportContext, shown: Sequence[StoredView], service: Labeler) -> Table:
    rows = []
    for view in shown:
        checks = view.checks
        if checks is None:  # check_blocks shows checked services only
            continue
        cells: list[str] = []
        for check in (checks.negative_control, checks.placebo):
            interval = percent_points_interval(ctx, check.ci_low, check.ci_high)
            cells += [percent_points(ctx, check.new), interval, _verdict(ctx, check.passed)]
        evalue = checks.e_value
        e_text = "–" if not evalue else f"{ctx.num(evalue['estimate'], 2)} ({ctx.num(evalue['ci'], 2)})"
        rows.append((service(view.service_code), percent_points(ctx, view.overall.result.estimate), *cells, e_text))
    return Table(
        id="impact-refutation",
        caption=ctx.t("impact.refute.table"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.effect"),
            ctx.t("impact.refute.negative"),
            ctx.t("impact.interval"),
            ctx.t("impact.refute.result"),
            ctx.t("impact.refute.placebo"),
            ctx.t("impact.interval"),
            ctx.t("impact.refute.result"),
            ctx.t("impact.refute.evalue"),
        ),
        rows=tuple(rows),
        note=ctx.t("impact.refute.note"),
    )


def check_blocks(ctx: ReportContext, views: Sequence[StoredView], service: Labeler, trim: float = 0.01) -> list[Block]:
    shown = [v for v in views if v.checks is not None and not v.overall.result.suppressed]
    if not shown:
        return []
    blocks: list[Block] = [
        Heading(ctx.t("impact.h.checks"), "impact-h-checks"),
        Note(ctx.t("impact.checks.intro")),
        _balance_table(ctx, shown, service),
    ]
    for chart in (_love(ctx, shown, service), _overlap(ctx, shown, service, trim)):
        if chart is not None:
            blocks.append(chart)
    blocks.append(refutation_table(ctx, shown, service))
    return blocks


NOTHING_HIDDEN = CrossTable()


def view_blocks(
    ctx: ReportContext, views: Sequence[StoredView], service: Callable[[str], str], cross: CrossTable = NOTHING_HIDDEN
) -> list[Block]:
    """Every block of this module, in the order the section shows them (`cross`: the counts
    to hide beside the effects table's, `impact_consistency.cross_table`)."""
    return [
        *survival_blocks(ctx, views, service, cross.survival),
        *expected_blocks(ctx, views, service, cross.expected),
        *check_blocks(ctx, views, service),
    ]
