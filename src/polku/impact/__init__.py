"""Comparison-group estimates of what a service changed: IPW, AIPW, matching and entropy balancing.

    from polku.impact import AIPW
    result = AIPW("att").fit(X, t, y, covariate_names).result_

Each estimator reports its estimate with a 95 % interval, balance before and after
adjustment, overlap, and how many units the trimming rule dropped (see docs/methods.md).
The expected-versus-observed method of the seed (no comparison group needed) is in
`polku.baseline`.
"""

from polku.impact.base import ImpactEstimator
from polku.impact.calibration import EntropyBalancing
from polku.impact.design import MIN_PARTICIPANTS, Design, design_from_frame
from polku.impact.matching import Matching
from polku.impact.results import BalanceRow, EffectEstimate, Overlap
from polku.impact.weighting import AIPW, IPW

ESTIMATORS: dict[str, type[ImpactEstimator]] = {"ipw": IPW, "aipw": AIPW, "match": Matching, "entropy": EntropyBalancing}

__all__ = [
    "AIPW",
    "ESTIMATORS",
    "IPW",
    "MIN_PARTICIPANTS",
    "BalanceRow",
    "Design",
    "EffectEstimate",
    "EntropyBalancing",
    "ImpactEstimator",
    "Matching",
    "Overlap",
    "design_from_frame",
]
