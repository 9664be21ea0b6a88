"""Data quality: what was imported, what was refused and why, and what to fix.

The numbers come from `polku.quality` (exact, for `polku status`): `compute` stores the
quarantine by reason and the findings in the run, the imports are the header's
`report_imports`; here they pass disclosure control like every other count in the report.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.quality import Finding, ImportEntry, QualitySummary, QuarantineGroup, all_imports, findings, quarantine_groups
from polku.reports.blocks import Block, Note, Table, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table, typed_frame
from polku.reports.registry import Results, register
from polku.store import Store

QUARANTINE = {"table": "object", "reason_code": "object", "reason": "object", "rows": "int64"}
FINDINGS = {"code": "object", "table": "object", "severity": "object", "count": "int64"}


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Quarantined rows by table and reason (`quality_quarantine`) and the findings, most
    serious first (`quality_findings`), exact."""
    return {
        "quality_quarantine": typed_frame((asdict(q) for q in quarantine_groups(store)), QUARANTINE),
        "quality_findings": typed_frame((asdict(f) for f in findings(store, all_imports(store))), FINDINGS),
    }


def _summary(results: Results) -> QualitySummary:
    """The run's quality tables as the summary `polku status` prints (without row counts)."""
    rows = lambda name: table(results, name).to_dict("records")  # noqa: E731
    return QualitySummary(
        tables={},
        imports=tuple(ImportEntry(**r) for r in rows("report_imports")),
        quarantine=tuple(QuarantineGroup(**r) for r in rows("quality_quarantine")),
        findings=tuple(Finding(**r) for r in rows("quality_findings")),
    )


def _import_table(summary: QualitySummary, ctx: ReportContext) -> Table:
    """Each import as a line read = accepted + quarantined, protected as a whole by the gate
    (`sdc.import_counts`; organisation tables exact)."""
    rows, applied = [], False
    for e in summary.imports:
        shown = sdc.import_counts(
            e.rows_read, e.rows_accepted, e.rows_quarantined, about_people=sdc.about_people(e.table), t=ctx.threshold
        )
        applied = applied or None in shown
        rows.append((e.table, e.file.rsplit("/", 1)[-1], e.sha256[:12], e.status, *(ctx.num(v) for v in shown)))
    header = tuple(ctx.t(f"status.col.{c}") for c in ("table", "file", "sha256", "status", "read", "accepted", "quarantined"))
    return Table("quality-imports", ctx.t("quality.imports"), header, tuple(rows), note=sdc_note(ctx, applied))


def _quarantine_table(summary: QualitySummary, ctx: ReportContext) -> Table:
    """Quarantined rows by table and reason; no total is shown, so the primary rule suffices."""
    people = {str(i): q.rows for i, q in enumerate(summary.quarantine) if sdc.about_people(q.table)}
    shown, applied = sdc.separate_counts(people, t=ctx.threshold)
    counts = [
        shown[str(i)] if str(i) in shown else sdc.organisation_counts([q.rows])[0] for i, q in enumerate(summary.quarantine)
    ]
    rows = tuple((q.table, q.reason_code, q.reason, ctx.num(n)) for q, n in zip(summary.quarantine, counts))
    header = (ctx.t("status.col.table"), ctx.t("quality.reason_code"), ctx.t("quality.reason"), ctx.t("unit.rows"))
    return Table("quality-quarantine", ctx.t("quality.quarantine"), header, rows, note=sdc_note(ctx, applied))


def _findings_table(summary: QualitySummary, ctx: ReportContext) -> Table:
    shown, applied = sdc.separate_counts({str(i): f.count for i, f in enumerate(summary.findings)}, t=ctx.threshold)
    rows = tuple(
        (ctx.t(f"quality.severity.{f.severity}"), f.table, ctx.num(shown[str(i)]), f.explanation(ctx.lang))
        for i, f in enumerate(summary.findings)
    )
    header = (ctx.t("quality.severity"), ctx.t("status.col.table"), ctx.t("unit.rows"), ctx.t("quality.explanation"))
    return Table("quality-findings", ctx.t("quality.findings"), header, rows, note=sdc_note(ctx, applied))


@register("quality", "section.quality", 90, compute=compute)
def quality_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Imports, quarantine by reason and the findings a manager should act on."""
    summary = _summary(results)
    blocks: list[Block] = [Note(ctx.t("quality.status_hint"))]
    blocks.append(_import_table(summary, ctx) if summary.imports else Note(ctx.t("quality.no_imports")))
    blocks.append(_quarantine_table(summary, ctx) if summary.quarantine else Note(ctx.t("quality.no_quarantine")))
    blocks.append(_findings_table(summary, ctx) if summary.findings else Note(ctx.t("quality.no_findings")))
    if not summary.invariant_holds:
        blocks.append(Note(ctx.t("status.invariant_broken"), tone="warning"))
    return blocks
