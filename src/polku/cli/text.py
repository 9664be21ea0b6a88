"""The terminal text of `polku` commands' results: what the disclosure gate released (a
hidden figure prints as `..`), laid out for a person. JSON goes out as the records
themselves; these functions only lay them out, so the command modules keep to options and calls."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

out = Console(soft_wrap=True)
"""Results go to stdout; messages and progress to stderr (`polku.command.console`)."""


def print_audit(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        output = f" -> {row['output_path']}" if row["output_path"] else ""
        pending = " (pending)" if row["pending"] else ""
        out.print(
            f"{row['at_utc']:%Y-%m-%d %H:%M:%S} {row['actor']} [{row['channel']}] {row['action']} {row['outcome']}{pending}: "
            f"{json.loads(row['data']).get('access', '')}{output}",
            highlight=False,
            markup=False,
        )
    out.print(f"{len(rows):,} audit rows", highlight=False)


def number(value: Any, fmt: str = "{:,}") -> str:
    """A figure the gate may have hidden (None): the marker, else formatted."""
    from polku import sdc

    return sdc.MARKER if value is None else fmt.format(value)


def estimate_lines(result: dict[str, Any], sentences: list[str]) -> list[str]:
    """Human-readable summary of one estimate record as the gate released it (the JSON
    carries every field)."""
    if result["estimate"] is None:
        return sentences
    g = lambda v: number(v, "{:,.4g}")  # noqa: E731
    boot = result.get("bootstrap_ci")
    lines = [
        f"method {result['method']}, estimand {result['estimand']}",
        f"estimate {g(result['estimate'])}  95% CI [{g(result['ci_low'])}, {g(result['ci_high'])}]"
        + (f"  bootstrap CI [{g(boot[0])}, {g(boot[1])}]" if boot else ""),
        f"participants {number(result['n_treated'])}, comparison {number(result['n_control'])}, "
        f"trimmed or unmatched {number(result['n_trimmed'])}",
        f"naive difference {g(result['naive_difference'])}",
    ]
    if result.get("observed") is not None:
        low, high = result["extra"]["additional_ci"]
        lines.append(
            f"observed {g(result['observed'])}, expected {g(result['expected'])}, "
            f"additional {g(result['observed'] - result['expected'])} [{g(low)}, {g(high)}]"
        )
    if result.get("max_smd_after") is not None:
        lines.append(f"max |SMD| before {result['max_smd_before']:.3f}, after {result['max_smd_after']:.3f}")
    overlap = result.get("overlap") or {}
    if overlap.get("ess_control") is not None:
        lines.append(
            f"effective comparison size {overlap['ess_control']:,.0f}, top 1 % / 5 % of comparison rows carry "
            f"{overlap['top1_weight_share']:.0%} / {overlap['top5_weight_share']:.0%} of the weight, participants outside "
            f"the comparison's propensity range {number(overlap['outside_support'], '{:.1%}')}"
        )
    return lines + [""] + sentences


def print_survival(records: list[dict[str, Any]]) -> None:
    """Each service's curves, then its client groups' (groups too small for an estimate have none)."""
    for record in records:
        if record["suppressed"]:
            out.print(f"{record['service_code']}: no curves ({record['note']})", highlight=False)
            continue
        for curves in (record, *record.get("client_groups", [])):
            print_curves(curves)


def print_curves(record: dict[str, Any]) -> None:
    from rich.table import Table

    def percent(value: float | None, sign: str = "") -> str:
        return "-" if value is None else f"{100 * value:{sign}.1f}"

    n = number

    months = [str(m) for m in record["months"]]
    who = record["service_code"] + (f", client group {record['client_group']}" if record.get("client_group") else "")
    table = Table(title=f"{who}: in open-market work by months since the start, % (cumulative incidence)")
    table.add_column("group")
    table.add_column("rows", justify="right")
    for m in months:
        table.add_column(f"{m} mo", justify="right")
    for key, name in (("participants", "participants"), ("comparison", "comparison, weighted")):
        group = record[key]
        table.add_row(name, n(group["n"]), *(percent(group["cumulative_incidence"][m]) for m in months))
        table.add_row(
            "  95% CI",
            "",
            *(
                "-" if group["ci_low"][m] is None else f"{percent(group['ci_low'][m])}-{percent(group['ci_high'][m])}"
                for m in months
            ),
        )
    table.add_row("difference", "", *(percent(record["difference"][m], "+") for m in months))
    out.print(table)
    last = months[-1]
    part, comp = record["participants"], record["comparison"]
    censored = (
        f"{n(part['censored_before'][last])} participants, {n(comp['censored_before'][last])} comparison rows"
        if "censored_before" in part
        else f"{n(part['censored_share'], '{:.1f}')} % of participants, "
        f"{n(comp['censored_share'], '{:.1f}')} % of comparison rows"
    )
    out.print(
        f"censored before {last} months: {censored}. Comparison weighted to resemble the participants: "
        f"effective size {n(comp['effective_n'], '{:,.0f}')} of {n(comp['n'])} rows; "
        f"{n(record['n_trimmed'])} rows left out by trimming; data up to {record['as_of']}.",
        highlight=False,
    )


def print_effects(records: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=f"effect on {records[0]['outcome'] if records else ''} (ATT, 95% CI)")
    for column in (
        "service",
        "group",
        "provider",
        "participants",
        "estimate",
        "95% CI",
        "naive",
        "eff. comparison",
        "outside range",
    ):
        table.add_column(column, justify="right" if column not in ("service", "group", "provider") else "left")
    for r in records:
        signed = lambda v: number(v, "{:+.3f}")  # noqa: E731
        missing = "too few to show" if too_few(r) else "no estimate (below)"
        shown = (
            ("-", missing, "")
            if r["estimate"] is None
            else (signed(r["estimate"]), f"[{signed(r['ci_low'])}, {signed(r['ci_high'])}]", signed(r["naive_difference"]))
        )
        table.add_row(
            r["service_code"],
            r["client_group"] or "",
            r["provider_id"] or "",
            number(r["n_treated"]),
            *shown,
            *overlap_cells(r.get("overlap")),
        )
    out.print(table)
    from polku.impact.explain import WARNING

    for sentence, cells in cells_by_sentence(records).items():
        out.print(f"{', '.join(cells)}: {sentence}", highlight=False)
    out.print(WARNING, highlight=False)


def too_few(record: dict[str, Any]) -> bool:
    """No estimate because the cell is too small (or the gate withheld it), not for a reason to print."""
    return bool(record.get("suppressed")) or (record.get("note") or "").startswith("too few")


def cells_by_sentence(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each overlap warning, and each reason for a missing estimate other than size, with the
    cells it applies to (printed once each instead of once per cell)."""
    cells: dict[str, list[str]] = {}
    for r in records:
        sentence = (r.get("overlap") or {}).get("warning") or ""
        if r["estimate"] is None and not too_few(r):
            sentence = f"no estimate: {r['note']}."
        if sentence:
            cells.setdefault(sentence, []).append(
                " ".join(filter(None, (r["service_code"], r["client_group"], r["provider_id"])))
            )
    return cells


def overlap_cells(overlap: dict[str, Any] | None) -> tuple[str, str]:
    """Kish's effective comparison size and the share of participants outside the comparison's
    range, as the gate released them."""
    if not overlap or overlap.get("ess_control") is None:
        return "", ""
    return f"{overlap['ess_control']:,.0f}", number(overlap.get("outside_support"), "{:.1%}")


def print_cba(p: dict[str, Any]) -> None:
    """One cost-benefit record as the gate released it (hidden counts as `..`)."""
    out.print(f"[bold]{p['service']}[/bold] ({p['year']} rules)")
    if "benefit" not in p:
        why = p["note"] or f"figures withheld: fewer than {p['threshold']} participants who found work lie behind them"
        out.print(f"  no analysis: {why}", highlight=False)
        return
    n = number
    out.print(
        f"  {n(p['participants'])} participants, {p['additional_employments']:.1f} additional employments, cost "
        f"{p['cost']:,.0f} EUR ({n(p['employed'])} employed valued, {n(p['wages_imputed'])} wages imputed)",
        highlight=False,
    )
    out.print(
        f"  fiscal gain of one employment: {p['gain_per_employment']:,.0f} EUR a year, "
        f"{p['gain_per_employment_with_pension']:,.0f} with pension contributions",
        highlight=False,
    )
    out.print(
        f"  benefit {p['benefit']:,.0f} EUR, net {p['net']:+,.0f}, ratio {p['ratio']:.2f}; with pension contributions "
        f"{p['benefit_with_pension']:,.0f}, net {p['net_with_pension']:+,.0f}, ratio {p['ratio_with_pension']:.2f}",
        highlight=False,
    )
    out.print(
        f"  per participant: benefit {p['benefit_per_participant']:,.0f} EUR, net {p['net_per_participant']:+,.0f}; "
        f"break-even at {p['break_even_employments']:.1f} additional employments",
        highlight=False,
    )
    mc = p["monte_carlo"]
    out.print(
        f"  Monte Carlo ({mc['draws']:,} draws): P(benefit > cost) = {mc['probability_benefit_exceeds_cost']:.2f} "
        f"({mc['probability_with_pension']:.2f} with pension contributions); net 5-95 %: "
        f"{mc['net_percentiles'][5]:+,.0f} to {mc['net_percentiles'][95]:+,.0f} EUR",
        highlight=False,
    )
    for bar in p["tornado"]:
        out.print(f"    {bar['name']}: net {bar['net_at_low']:+,.0f} to {bar['net_at_high']:+,.0f} EUR", highlight=False)
    if p["note"]:
        out.print(f"  note: {p['note']}", highlight=False)


def print_analysis(summary: dict[str, Any], seconds: float) -> None:
    """`polku analyse`: where the run is, its digest, and each service's effect as the gate released it."""
    out.print(
        f"run {summary['run_id']} stored in {seconds:.1f} s: {summary['tables']} tables in {summary['folder']}",
        highlight=False,
        markup=False,
    )
    out.print(f"results sha256 {summary['results_sha256']}", highlight=False)
    g = lambda v: number(v, "{:,.3f}")  # noqa: E731
    for e in summary["effects"]:
        if e["level"] != "service":
            continue
        out.print(
            f"  {e['service_code']:<8} participants {number(e['participants']):>8}  effect {g(e['estimate'])} "
            f"[{g(e['lower'])}, {g(e['upper'])}]  {e['method']}",
            highlight=False,
            markup=False,
        )


def print_runs(summaries: list[dict[str, Any]], store: Any) -> None:
    """`polku runs`: one line a run, oldest first."""
    if not summaries:
        out.print(f"no analysis run yet: run `polku analyse --store {store}`", highlight=False, markup=False)
        return
    for s in summaries:
        out.print(
            f"{s['run_id']}  finished {s['finished_at']}  seed {s['seed']}  as of {s['as_of'] or 'latest'}  "
            f"Polku {s['polku_version']}  {s['user']}  results {s['results_sha256'][:12]}",
            highlight=False,
            markup=False,
        )
