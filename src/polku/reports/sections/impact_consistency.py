"""Participant counts that two tables of the report give for the same people.

Why: the effects table shows the participants an estimate rests on (after trimming);
observed versus expected shows all the service's participants with a censoring weight; the
time-to-work table those the curves' own trimming keeps; the cost-benefit table all
followed participants. Each table's gate protects its own lines, but the difference of two
tables' counts for the same service or client group is a count of people too (mostly
those trimmed), and can be small (issue 14, point 5). One rule, applied by every section
from the same stored tables: the effects table's count stands; each later table's count
(observed versus expected, then time to work, then cost-benefit) is hidden where it
differs by 1 to T-1 from a count already let out for the same service and client group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polku import sdc
from polku.cba.store import ServiceCostBenefit
from polku.groups import GROUPS
from polku.reports.sections.impact_tables import StoredSurvival, StoredView

Key = tuple[str, str | None]
"""(service code, client group; None for all the service's participants)."""


@dataclass(frozen=True)
class CrossTable:
    """Which tables must hide which participant counts, beside what the others show."""

    expected: frozenset[Key] = frozenset()
    survival: frozenset[Key] = frozenset()
    cost_benefit: frozenset[str] = frozenset()


def shown_curves(view: StoredView) -> list[StoredSurvival]:
    """The curves the time-to-work table shows: the service's, and its client groups' only
    when every group has curves (their sizes are then protected as one line)."""
    if view.survival is None:
        return []
    return [view.survival, *(view.group_survival if len(view.group_survival) == len(GROUPS) else [])]


class _Shown:
    """Counts already let out per key; `clashes` says whether a new one must be hidden."""

    def __init__(self, released: Iterable[Mapping[str, Any]], threshold: int) -> None:
        self.threshold = threshold
        self.values: dict[Key, set[int]] = {}
        for r in released:
            if r["level"] in ("service", "service_group") and r["n_treated"] is not None:
                self.values.setdefault((r["service_code"], r.get("client_group")), set()).add(int(r["n_treated"]))

    def clashes(self, key: Key, n: int) -> bool:
        """True (hide it) when `n` differs from a shown count of `key` by 1 to T-1; otherwise
        `n` counts as shown from now on."""
        values = self.values.setdefault(key, set())
        if any(sdc.is_sensitive(abs(n - v), self.threshold) for v in values):
            return True
        values.add(n)
        return False


def cross_table(
    views: Sequence[StoredView],
    released: Iterable[Mapping[str, Any]],
    threshold: int,
    cost_benefit: Sequence[ServiceCostBenefit] = (),
) -> CrossTable:
    """The counts to hide, from the released estimates (`sdc.release_estimates` of every
    row), the views and the cost-benefit rows, in the tables' order of precedence."""
    shown = _Shown(released, threshold)
    expected = {
        (view.service_code, row.client_group)
        for view in views
        for row in view.expected
        if shown.clashes((view.service_code, row.client_group), row.n)
    }
    survival = {
        (view.service_code, curve.client_group)
        for view in views
        for curve in shown_curves(view)
        if shown.clashes((view.service_code, curve.client_group), curve.participants.n)
    }
    money = {
        row.service_code
        for row in cost_benefit
        if row.result is not None and shown.clashes((row.service_code, None), row.result.participants)
    }
    return CrossTable(frozenset(expected), frozenset(survival), frozenset(money))
