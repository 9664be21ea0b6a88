"""The gate for records: estimates, time-to-work curves, cost-benefit rows and the store
summary as they leave Polku in JSON, in the terminal, in the report and (later) in the web
and its API.

Why records: every channel starts from the same plain values (`to_dict()` of a result),
so protecting those values once, here, gives every channel the same figures. A record's
counts are protected together with the lines that tie them: a client group's participants
add up to the service's, the comparison people are drawn in a fixed ratio to the
participants, the participants in an estimate and the participants trimmed from it add up
to all participants. Complements that are never shown (the participants trimmed, the rest
of a service that no group shows) are entries of their lines that a reader is taken to
know, so a small one is protected like a small cell. Hidden counts are `None` (`..` when printed), the estimates that rest on too
few people are withheld, and numbers in a record's note that are not shown elsewhere in
the record are replaced by `..` (`scrub_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from polku.sdc.tables import MARKER, Line, count_table, distribution, is_sensitive, organisation_counts, protect, share, threshold

Record = dict[str, Any]

ESTIMATE_FIELDS = (
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "naive_difference",
    "bootstrap_ci",
    "outcome_mean_treated",
    "outcome_mean_control",
    "observed",
    "expected",
    "max_smd_before",
    "max_smd_after",
)
"""An estimate's values that rest on its participants and comparison people."""

_NUMBER = re.compile(r"(?<![\w.\-/])\d[\d,\u202f]*(?![\w.\-/%])")


def scrub_text(text: str | None, shown: Iterable[int | float | None] = ()) -> str | None:
    """A note or message with every whole number that is not a `shown` figure replaced by `..`.

    Why so strict: a note such as "estimated on 55 of 60 participants" carries two counts
    whose difference is a third; only numbers the reader sees anyway may stay (and the
    participants an estimate needs, a rule rather than a count)."""
    if text is None:
        return None
    allowed = {int(v) for v in shown if v is not None and float(v).is_integer()} | {_rule_constant()}

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"[,\u202f]", "", match.group(0))
        return match.group(0) if int(digits) in allowed else MARKER

    return _NUMBER.sub(replace, text)


def _levels(records: Sequence[Mapping[str, Any]], level: str, service: str) -> tuple[int, ...]:
    return tuple(i for i, r in enumerate(records) if r.get("level") == level and r.get("service_code") == service)


def estimate_lines(records: Sequence[Mapping[str, Any]]) -> tuple[list[Line], list[Line]]:
    """Lines among estimate records: per service, its client groups and its providers add up to it.

    Returned as (group lines, provider lines): the comparison people of a provider's estimate
    are the service's, so only group lines hold for them."""
    groups, providers = [], []
    for i, r in enumerate(records):
        if r.get("level") == "service":
            groups.append(Line(_levels(records, "service_group", r["service_code"]), i))
            providers.append(Line(_levels(records, "service_provider", r["service_code"]), i))
    return [g for g in groups if g.parts], [p for p in providers if p.parts]


def _count(record: Mapping[str, Any], key: str) -> int:
    return int(record.get(key) or 0)


def _with_rest(values: list[int], lines: list[Line]) -> tuple[list[int], list[Line]]:
    """Each line gets one more part, the people of the total that no part shows (service
    minus its groups or providers: participants without a provider, or trimmed apart),
    so that a small rest is protected like a small part."""
    values, out = list(values), []
    for line in lines:
        values.append(max(values[line.total] - sum(values[m] for m in line.parts), 0))
        out.append(Line((*line.parts, len(values) - 1), line.total))
    return values, out


def _protected(values: list[int], lines: list[Line], primary: AbstractSet[int], t: int) -> set[int]:
    full, with_rest = _with_rest(values, lines)
    primary = set(primary) | {k for k in range(len(values), len(full)) if is_sensitive(full[k], t)}
    return {k for k in protect(full, with_rest, primary, t=t) if k < len(values)}


def _hidden_counts(records: Sequence[Mapping[str, Any]], t: int) -> tuple[set[int], set[int]]:
    """Records whose participants, and whose comparison people, are hidden.

    Comparison people are hidden with the participants: they are drawn in a fixed ratio per
    participant, so their number would give the participants back."""
    group_lines, provider_lines = estimate_lines(records)
    treated = [_count(r, "n_treated") for r in records]
    hidden_t = _protected(treated, group_lines + provider_lines, {i for i, n in enumerate(treated) if is_sensitive(n, t)}, t)
    control = [_count(r, "n_control") for r in records]
    primary = hidden_t | {i for i, n in enumerate(control) if is_sensitive(n, t)}
    return hidden_t, _protected(control, group_lines, primary, t)


def _share_withheld(mean: float | None, n: int, t: int, extra: int = 0) -> bool:
    """Whether a mean of a 0/1 variable over n to n + `extra` people (the estimate's rows
    before trimming) gives a small count, or leaves one: a mean that times some such n is a
    whole number is read as a share of people."""
    if mean is None or not 0.0 <= mean <= 1.0:
        return False
    for size in range(n, n + extra + 1):
        count = mean * size
        if abs(count - round(count)) < 1e-6 and share(round(count), size, t=t).sdc_applied:
            return True
    return False


def _protected_balance(rows: Sequence[Mapping[str, Any]], n_treated: int, n_control: int, trimmed: int, t: int) -> list[Record]:
    """Balance rows; the means and SMDs of a row are withheld when a mean gives a small count.
    The largest |SMD| stays the largest over every covariate: alone it gives no count, and
    a smaller one would hide the imbalance a reader must see."""
    out = []
    for row in rows:
        small = _share_withheld(row.get("mean_treated"), n_treated, t, trimmed) or _share_withheld(
            row.get("mean_control"), n_control, t, trimmed
        )
        keys = ("mean_treated", "mean_control", "mean_control_adjusted", "smd_before", "smd_after")
        out.append(dict(row) | ({k: None for k in keys} if small else {}))
    return out


def _protected_overlap(overlap: Mapping[str, Any] | None, n_treated: int, t: int) -> Record | None:
    """Propensity histograms with small bins (and their partners) hidden; the effective
    comparison size only from T up; the share of participants outside the comparison's
    range only when neither those outside nor those inside are a small count."""
    if overlap is None:
        return None
    out = dict(overlap)
    outside = overlap.get("outside_support")
    if outside is not None and share(round(outside * n_treated), n_treated, t=t).sdc_applied:
        out["outside_support"] = None
    for key in ("histogram_treated", "histogram_control"):
        column = distribution({str(i): int(c) for i, c in enumerate(overlap[key])}, t=t).column()
        out[key] = list(column.values())
    ess = overlap.get("ess_control")
    out["ess_control"] = None if ess is None or ess < t else ess
    return out


def _withheld_estimate(record: Record) -> Record:
    return record | {k: None for k in ESTIMATE_FIELDS} | {"balance": [], "overlap": None, "extra": {}, "suppressed": True}


def _released_estimate(record: Mapping[str, Any], shown_t: bool, shown_c: bool, t: int) -> Record:
    n_t, n_c = _count(record, "n_treated"), _count(record, "n_control")
    out = dict(record) | {"n_treated": n_t if shown_t else None, "n_control": n_c if shown_c else None}
    trimmed = _count(record, "n_trimmed")
    out["n_trimmed"] = None if not shown_t or is_sensitive(trimmed, t) else trimmed
    if n_t < t or n_c < t or record.get("estimate") is None:  # a partner's hidden count does not hide its estimate
        out = _withheld_estimate(out)
    else:
        out["balance"] = _protected_balance(record.get("balance") or (), n_t, n_c, trimmed, t)
        out["overlap"] = _protected_overlap(record.get("overlap"), n_t, t)
        if _share_withheld(record.get("outcome_mean_treated"), n_t, t, trimmed):
            out |= {"outcome_mean_treated": None, "naive_difference": None}
        if _share_withheld(record.get("outcome_mean_control"), n_c, t, trimmed):
            out |= {"outcome_mean_control": None, "naive_difference": None}
        if record.get("observed") is not None and share(round(record["observed"]), n_t, t=t).sdc_applied:
            out |= {"observed": None, "expected": None, "extra": {}}
    out["note"] = scrub_text(record.get("note"), (out["n_treated"], out["n_control"], out["n_trimmed"]))
    changed = any(out.get(k) != record.get(k) for k in ("n_treated", "n_control", "n_trimmed", "note", "estimate"))
    return out | {"sdc_applied": changed, "threshold": t}


def _rule_constant() -> int:
    """The participants an estimate needs (a rule, not a count), which notes may quote."""
    from polku.impact.design import MIN_PARTICIPANTS

    return MIN_PARTICIPANTS


def release_estimates(records: Sequence[Mapping[str, Any]], *, t: int | None = None) -> list[Record]:
    """Estimate records (`ServiceEstimate.to_dict()`, or one `EffectEstimate.to_dict()`) as
    they may be shown: small counts and their partners hidden across every margin, the
    comparison people with their participants, and estimates on hidden or too few people
    withheld."""
    t = threshold() if t is None else t
    hidden_t, hidden_c = _hidden_counts(records, t)
    return [_released_estimate(r, i not in hidden_t, i not in hidden_c, t) for i, r in enumerate(records)]


# --- time to work ---------------------------------------------------------------------------

CURVE_MONTHS = 24
TABLE_MONTHS = (3, 6, 12, 24)


def _month_day(month: int) -> int:
    from polku.pipeline.views import month_day

    return month_day(month)


def curve_points(
    group: Any, t: int, months: int = CURVE_MONTHS, anchors: tuple[int, ...] = TABLE_MONTHS
) -> dict[int, tuple[float, float, float]]:
    """Month -> (share in work, band low, band high) at the months a curve may show.

    `group` answers at_risk(day), events_by(day) and read(day) (`GroupCurves`). The curve
    runs up to the month before fewer than `t` people are still followed. The table's months
    (`anchors`) are placed first, each at least `t` first jobs after the previous one;
    months between them are added where they keep that distance on both sides, so every two
    neighbouring points differ by `t` people or more."""
    last = 0
    while last < months and group.at_risk(_month_day(last + 1)) >= t:
        last += 1
    events = {m: group.events_by(_month_day(m)) for m in range(1, last + 1)}
    chosen, counted = [], 0
    for anchor in anchors:
        if anchor <= last and events[anchor] - counted >= t:
            chosen.append(anchor)
            counted = events[anchor]
    kept, counted, start = [], 0, 1
    for following in [*chosen, None]:
        end = last if following is None else following - 1
        for month in range(start, end + 1):
            enough_after = following is None or events[following] - events[month] >= t
            if events[month] - counted >= t and enough_after:
                kept.append(month)
                counted = events[month]
        if following is not None:
            kept.append(following)
            counted, start = events[following], following + 1
    return {month: group.read(_month_day(month)) for month in kept}


def _released_group(group: Any, n: int | None, t: int) -> Record:
    """One group's curve: its points, the table's months where a point is, the censored
    share by the last month (a share of n, with the share rule)."""
    points = curve_points(group, t)
    censored = share(group.censored_before(_month_day(TABLE_MONTHS[-1])), group.n, t=t)
    ess = group.effective_n
    return {
        "n": n,
        "effective_n": None if n is None or ess < t else ess,
        "points": {str(m): list(v) for m, v in points.items()},
        "cumulative_incidence": {str(m): points[m][0] if m in points else None for m in TABLE_MONTHS},
        "ci_low": {str(m): points[m][1] if m in points else None for m in TABLE_MONTHS},
        "ci_high": {str(m): points[m][2] if m in points else None for m in TABLE_MONTHS},
        "censored_share": censored.value,
    }


def _group_sizes(views: Sequence[Any], side: str, t: int, also: AbstractSet[int] = frozenset()) -> list[int | None]:
    """The n of the service's curve and of each group's (and `also` hidden), protected as
    one line; the rows no group shows are one more part (service minus the groups)."""
    sizes = [getattr(v, side).n for v in views]
    lines = [Line(tuple(range(1, len(sizes))), 0)] if len(sizes) > 1 else []
    primary = {k for k, v in enumerate(sizes) if is_sensitive(v, t)} | set(also)
    hidden = _protected(sizes, lines, primary, t)
    return [None if k in hidden else v for k, v in enumerate(sizes)]


def release_survival(
    view: Any, groups: Sequence[Any] = (), *, t: int | None = None, hide: AbstractSet[int] = frozenset()
) -> Record:
    """A service's time-to-work curves (`SurvivalView`) and its client groups' as they may be
    shown: points only where `curve_points` allows them, group sizes protected as a line
    with the service's, counts of trimmed rows and the effective size only from T up.
    `hide` names curves (0 the service's, k the k-th group's) whose participants must be
    hidden whatever their number: beside a count shown in another table it would give a small one."""
    t = threshold() if t is None else t
    views = [view, *groups]
    sizes = {"participants": _group_sizes(views, "participants", t, hide)}
    hidden = {k for k, n in enumerate(sizes["participants"]) if n is None}  # comparison rows are drawn per participant
    sizes["comparison"] = _group_sizes(views, "comparison", t, hidden)
    out = []
    for k, v in enumerate(views):
        part = _released_group(v.participants, sizes["participants"][k], t)
        comp = _released_group(v.comparison, sizes["comparison"][k], t)
        pc, cc = part["cumulative_incidence"], comp["cumulative_incidence"]
        difference = {m: None if pc[m] is None or cc[m] is None else pc[m] - cc[m] for m in pc}
        out.append(
            {
                "service_code": v.service_code,
                "client_group": v.client_group,
                "as_of": v.as_of.isoformat(),
                "months": list(TABLE_MONTHS),
                "horizon_days": v.horizon_days,
                "n_trimmed": None if is_sensitive(v.n_trimmed, t) else v.n_trimmed,
                "participants": part,
                "comparison": comp,
                "difference": difference,
                "threshold": t,
            }
        )
    return out[0] | {"client_groups": out[1:]}


# --- cost-benefit -------------------------------------------------------------------------

_CBA_COUNTS = ("participants", "participants_in_estimate", "employed", "costs_missing", "wages_imputed", "fallbacks")
_CBA_KEEP = ("service", "year", "seed", "assumptions", "note", "reason", *_CBA_COUNTS)


def _cba_entries(record: Mapping[str, Any]) -> tuple[list[int], list[Line]]:
    """The counts of a cost-benefit row with the complements that tie them, as entries and lines:
    participants = in the estimate + trimmed = employed + not = with a cost + without;
    employed = wage imputed + recorded = valued as basic + as paid. The complements (even
    positions after the first) are never shown, and taken as known unless small."""
    p = _count(record, "participants") or _count(record, "participants_in_estimate")
    i, e, m = _count(record, "participants_in_estimate"), _count(record, "employed"), _count(record, "costs_missing")
    w, f = _count(record, "wages_imputed"), _count(record, "fallbacks")
    values = [p, i, max(p - i, 0), e, max(p - e, 0), m, max(p - m, 0), w, max(e - w, 0), f, max(e - f, 0)]
    lines = [Line((1, 2), 0), Line((3, 4), 0), Line((5, 6), 0), Line((7, 8), 3), Line((9, 10), 3)]
    return values, lines


_CBA_POSITIONS = {
    "participants": 0,
    "participants_in_estimate": 1,
    "employed": 3,
    "costs_missing": 5,
    "wages_imputed": 7,
    "fallbacks": 9,
}


def release_cost_benefit(record: Mapping[str, Any], *, t: int | None = None, hide: AbstractSet[str] = frozenset()) -> Record:
    """One cost-benefit row (`ServiceCostBenefit.to_dict()`) as it may be shown: its counts
    protected with their complements; money only when at least T participants who found
    work lie behind it (their mean gain describes them). `hide` names counts to hide
    whatever their size: with a count shown in another table they would give a small one
    (e.g. all participants, beside the impact table's participants in the estimate)."""
    t = threshold() if t is None else t
    values, lines = _cba_entries(record)
    primary = {k for k, v in enumerate(values) if is_sensitive(v, t)} | {_CBA_POSITIONS[key] for key in hide}
    hidden = protect(values, lines, primary, t=t)
    positions = _CBA_POSITIONS
    out = dict(record)
    for key, k in positions.items():
        if key in record:
            out[key] = None if k in hidden else record[key]
    money = record.get("participants") is not None and 0 not in hidden and 3 not in hidden and values[3] >= t
    if not money:
        out = {k: v for k, v in out.items() if k in _CBA_KEEP}
    out["note"] = scrub_text(record.get("note"), [out.get(k) for k in _CBA_COUNTS])
    return out | {"sdc_applied": bool(hidden) or not money and record.get("participants") is not None, "threshold": t}


# --- the store summary (`polku status`) -------------------------------------------------


def import_counts(
    read: int, accepted: int, quarantined: int, *, about_people: bool, t: int | None = None
) -> tuple[int | None, ...]:
    """An import's (read, accepted, quarantined) as one line read = accepted + quarantined;
    tables that hold no people (organisation data) are exact."""
    if not about_people:
        return organisation_counts([read, accepted, quarantined])
    line = count_table([[accepted, quarantined]], ["r"], ["a", "q"], t=threshold() if t is None else t)
    return (line.row_totals[0], *line.cells[0])


def about_people(table: str) -> bool:
    """Rows of this table describe people (it has an identity field), so its counts are
    protected; the organisation tables (service catalogue, providers, teams, case workers)
    are not, and unknown names count as people."""
    from polku.schema.tables import TABLES

    return table not in TABLES or TABLES[table].identity_field is not None


def release_status(summary: Mapping[str, Any], *, t: int | None = None) -> Record:
    """`QualitySummary.to_dict()` as it may be shown: row counts of tables about people,
    quarantined rows and findings under the primary rule (none of them has a shown total),
    and each import as its line read = accepted + quarantined."""
    t = threshold() if t is None else t
    small = lambda n, table: None if about_people(table) and is_sensitive(n, t) else n  # noqa: E731
    imports = []
    for e in summary["imports"]:
        read, accepted, quarantined = import_counts(
            e["rows_read"], e["rows_accepted"], e["rows_quarantined"], about_people=about_people(e["table"]), t=t
        )
        imports.append(dict(e) | {"rows_read": read, "rows_accepted": accepted, "rows_quarantined": quarantined})
    return dict(summary) | {
        "tables": {name: small(n, name) for name, n in summary["tables"].items()},
        "imports": imports,
        "quarantine": [dict(q) | {"rows": small(q["rows"], q["table"])} for q in summary["quarantine"]],
        "findings": [dict(f) | {"count": small(f["count"], f["table"])} for f in summary["findings"]],
        "threshold": t,
    }
