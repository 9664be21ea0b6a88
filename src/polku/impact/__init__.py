"""Effect estimators, pure: arrays in, an `EffectEstimate` out; no store, no cohort.

    from polku.impact import AIPW
    result = AIPW(estimand="att").fit(X, t, y, covariate_names).result_

Every estimator follows one contract (`polku.impact.base.Estimator`) and is registered by
its one name in `polku.impact.registry`: expected versus observed (`expected_observed`,
no similar comparison group needed), IPW, AIPW and matching. Each reports its estimate
with a 95 % interval and its diagnostics (see docs/methods.md). The estimates over the
store (cohorts, client groups, curves) are in `polku.pipeline`.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "Estimator": "base",
    "ImpactEstimator": "base",
    "EntropyBalancing": "calibration",
    "MIN_PARTICIPANTS": "design",
    "Design": "design",
    "design_from_frame": "design",
    "ExpectedVersusObserved": "expected",
    "Matching": "matching",
    "DEFAULT_METHOD": "registry",
    "ESTIMATORS": "registry",
    "estimator_class": "registry",
    "make_estimator": "registry",
    "BalanceRow": "results",
    "EffectEstimate": "results",
    "Overlap": "results",
    "AIPW": "weighting",
    "IPW": "weighting",
}
"""Where each public name lives. Loaded on first use: reading a run's results (the report,
the web) needs `polku.impact.results` but never the estimators and scikit-learn."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'polku.impact' has no attribute {name!r}")
    return getattr(import_module(f"polku.impact.{_HOMES[name]}"), name)


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
