"""The seed method: each participant's chance of the outcome without the service, learned
from people without it; observed minus expected is the additional effect.

    from polku.baseline import ExpectedVersusObserved
    result = ExpectedVersusObserved(model="logistic").fit(X, t, y).result_
    result.observed, result.expected, result.extra["additional_ci"]
"""

from polku.baseline.expected import ExpectedVersusObserved
from polku.baseline.model import KINDS, CalibrationBin, ModelQuality

__all__ = ["KINDS", "CalibrationBin", "ExpectedVersusObserved", "ModelQuality"]
