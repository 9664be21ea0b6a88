"""Progress before employment: instruments as data, reliable change and goal attainment.

Public: `reliable_change(before, after, sd, reliability)` (Jacobson-Truax RCI) and
`gas_t_score(levels, weights=None, rho=0.3)` (Kiresuk-Sherman T), the instrument files
(`instruments()`), and the change summaries of a store (`polku.change.measures`), which the
report section `change` and `polku change` show; the effects of services on change
(`polku.change.effects`) and the hazard ratios of later work per point of change
(`polku.change.work`), which the section `change_effects` computes into the run. See
docs/change.md.
"""

from polku.change.formulas import RELIABLE, change_class, clinical_cutoff, gas_t_score, reliable_change, s_diff
from polku.change.instrument import Instrument, Item, instruments, load_instrument

__all__ = [
    "RELIABLE",
    "Instrument",
    "Item",
    "change_class",
    "clinical_cutoff",
    "gas_t_score",
    "instruments",
    "load_instrument",
    "reliable_change",
    "s_diff",
]
