"""The disclosure gate: the one package that decides which figures about people leave Polku.

Every channel calls it: the HTML report (`reports/blocks.py` and the sections), the JSON
and text of `polku estimate`, `polku cba` and `polku status`, and later the web pages,
their downloads (CSV, XLSX) and the API. Nothing else formats a count of people.

- `tables`: the engine. Primary suppression (a count from 1 to T-1 is hidden), secondary
  suppression across every margin (no hidden entry can be solved, and the hidden parts of
  no line add up to a small count), shares, means and sums with their rules, the marker.
- `records`: the same rules applied to the records results turn into (estimates,
  cost-benefit rows, the store summary), with the lines that tie their counts, and to the
  numbers inside notes.
- `change`: the change figures of `polku change` and the report's change section.
- `exact`: the analyst's explicit way past the gate (`--exact`), and its log.

T is `settings.min_cell_size()` (default 10, never below 3); see docs/report.md.
"""

from polku.sdc.change import release_change, release_change_effects
from polku.sdc.exact import log_exact_use
from polku.sdc.records import (
    about_people,
    curve_points,
    import_counts,
    release_cost_benefit,
    release_estimates,
    release_status,
    release_survival,
    scrub_text,
)
from polku.sdc.tables import (
    MARKER,
    CountTable,
    Line,
    Statistic,
    amount,
    count_table,
    determined,
    distribution,
    is_sensitive,
    mean,
    organisation_counts,
    protect,
    separate_counts,
    share,
    show,
    threshold,
)

__all__ = [
    "MARKER",
    "about_people",
    "curve_points",
    "CountTable",
    "Line",
    "Statistic",
    "amount",
    "count_table",
    "determined",
    "distribution",
    "import_counts",
    "is_sensitive",
    "log_exact_use",
    "mean",
    "organisation_counts",
    "protect",
    "release_change",
    "release_change_effects",
    "release_cost_benefit",
    "release_estimates",
    "release_status",
    "release_survival",
    "scrub_text",
    "separate_counts",
    "share",
    "show",
    "threshold",
]
