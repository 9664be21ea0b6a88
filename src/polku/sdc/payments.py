"""The gate for payment and equality figures: rows about a provider's or a group's people.

Why here: every figure about people leaves Polku through `polku.sdc`. A payment row counts
a provider's participants in a period and sums euros over them; an equality row counts a
group's clients. The rules are the project's (docs/report.md): a count from 1 to T-1 is
hidden, and a sum, mean or share resting on such a count is withheld with it. Rows are
shown without totals over hidden rows, so no hidden count can be found by subtraction;
the counts within a row that are parts of its participants (in work, improved) are
hidden when they or their complement are small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from polku.sdc.tables import is_sensitive, threshold

Record = dict[str, Any]


def _hidden(record: Mapping[str, Any], n_key: str, t: int) -> bool:
    n = record.get(n_key)
    return n is not None and is_sensitive(int(n), t)


def release_rows(
    records: Sequence[Mapping[str, Any]],
    *,
    n_key: str,
    parts: Iterable[str] = (),
    derived: Iterable[str] = (),
    t: int | None = None,
) -> list[Record]:
    """Each record with its count `n_key` hidden (None) when small, its `parts` (counts of
    some of those people) hidden when they or their complement are small, and its
    `derived` figures (sums, means, shares, effects over those people) withheld with a
    hidden count. `sdc_applied` says whether anything was hidden."""
    t = threshold() if t is None else t
    parts, derived = tuple(parts), tuple(derived)
    out = []
    for record in records:
        r = dict(record)
        whole = _hidden(record, n_key, t)
        applied = whole
        n = int(record.get(n_key) or 0)
        for key in parts:
            value = record.get(key)
            small = value is not None and (is_sensitive(int(value), t) or is_sensitive(n - int(value), t))
            if whole or small:
                r[key] = None
                applied = applied or small
        if whole:
            r[n_key] = None
            for key in derived:
                r[key] = None
        out.append(r | {"sdc_applied": applied})
    return out
