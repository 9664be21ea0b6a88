"""Effect estimators, pure: arrays in, an `EffectEstimate` out; no store, no cohort.

    from polku.impact import AIPW
    result = AIPW(estimand="att").fit(X, t, y, covariate_names).result_

Every estimator follows one contract (`polku.impact.base.Estimator`) and is registered by
its one name in `polku.impact.registry`: expected versus observed (`expected_observed`,
no similar comparison group needed), IPW, AIPW and matching. Each reports its estimate
with a 95 % interval and its diagnostics (see docs/methods.md). The estimates over the
store (cohorts, client groups, curves) are in `polku.pipeline`.
"""

from polku.impact.base import Estimator, ImpactEstimator
from polku.impact.calibration import EntropyBalancing
from polku.impact.design import MIN_PARTICIPANTS, Design, design_from_frame
from polku.impact.expected import ExpectedVersusObserved
from polku.impact.matching import Matching
from polku.impact.registry import DEFAULT_METHOD, ESTIMATORS, estimator_class, make_estimator
from polku.impact.results import BalanceRow, EffectEstimate, Overlap
from polku.impact.weighting import AIPW, IPW

__all__ = [
    "AIPW",
    "DEFAULT_METHOD",
    "ESTIMATORS",
    "IPW",
    "MIN_PARTICIPANTS",
    "BalanceRow",
    "Design",
    "EffectEstimate",
    "EntropyBalancing",
    "Estimator",
    "ExpectedVersusObserved",
    "ImpactEstimator",
    "Matching",
    "Overlap",
    "design_from_frame",
    "estimator_class",
    "make_estimator",
]
