"""Every effect estimator by its one name: the only list the CLI's choices, the pipeline and
the report read. An estimator's traits are its class attributes (`polku.impact.base`), so
nothing outside the estimators branches on a method's name.

A new estimator is added to `_CLASSES`; the contract suite (tests/impact/test_contract.py)
then runs over it.
"""

from __future__ import annotations

from typing import Any

from polku.errors import UsageError
from polku.impact.base import Estimator
from polku.impact.calibration import EntropyBalancing
from polku.impact.expected import ExpectedVersusObserved
from polku.impact.matching import Matching
from polku.impact.weighting import AIPW, IPW

_CLASSES: tuple[type[Estimator], ...] = (ExpectedVersusObserved, IPW, AIPW, Matching, EntropyBalancing)

ESTIMATORS: dict[str, type[Estimator]] = {cls.method: cls for cls in _CLASSES}
"""Name -> estimator class, in the order the CLI lists them."""

DEFAULT_METHOD: str = next(cls.method for cls in _CLASSES if cls.default)
"""The estimator used when none is named."""


def estimator_class(method: str) -> type[Estimator]:
    """The class registered as `method`; an unknown name is a usage error naming the choices."""
    if method not in ESTIMATORS:
        raise UsageError(f"unknown method '{method}'", fix=f"use one of: {', '.join(ESTIMATORS)}.")
    return ESTIMATORS[method]


def make_estimator(method: str, **settings: Any) -> Estimator:
    """An unfitted estimator of `method` with `settings` (its keyword-only parameters)."""
    return estimator_class(method)(**settings)


def takes_setting(method: str, name: str) -> bool:
    """Whether `method`'s estimator has the setting `name` (e.g. `trim`)."""
    return name in estimator_class(method)._get_param_names()
