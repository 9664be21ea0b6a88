"""Every effect estimator by the name the CLI and the reports use.

Kept outside `polku.impact` and `polku.baseline` because it joins the two (the baseline
reuses the impact package's design and results, so `polku.impact` cannot import it back).
"""

from __future__ import annotations

from typing import Any

from polku.baseline import ExpectedVersusObserved
from polku.impact import AIPW, IPW, EntropyBalancing, Matching

METHODS: dict[str, Any] = {"baseline": ExpectedVersusObserved, "ipw": IPW, "aipw": AIPW, "match": Matching, "entropy": EntropyBalancing}
"""Name -> estimator class; each has `fit(X, t, y, names)` and `result_` (an EffectEstimate)."""
