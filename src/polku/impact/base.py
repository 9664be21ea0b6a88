"""One contract for every effect estimator, and what the comparison-group estimators share.

`Estimator` is the contract (scikit-learn's conventions, as in its `BaseEstimator`, which
it extends, and EconML's abstract `BaseCateEstimator`):
  - `__init__` takes keyword-only settings and stores them unchanged; `get_params`,
    `set_params` and `sklearn.base.clone` work on every estimator. A subclass's `__init__`
    names its own settings and passes the rest on with `**settings` to `super().__init__`:
    `get_params` collects the settings of every `__init__` along the class's MRO.
  - validation happens in `fit`, never in `__init__`; `fit(X, t, y, covariate_names,
    sample_weight, clusters)` returns the estimator itself, with the estimate (an
    `EffectEstimate`) in `result_`; everything learned ends in `_`.
  - `random_state` is an int; every random step of a fit (folds, bootstrap, held-out
    split, boosting) draws from it, so the same int gives the same result.
  - traits are class attributes (the registry, the CLI and the pipeline read them and never
    branch on a method's name): `method`, `label`, `estimands`, `default`,
    `supports_weights`, `cluster_robust`, `similar_comparison`, `pseudo_outcome`.
A new estimator sets `method` and `label` (and the traits that differ from the defaults),
implements `fit` (calling `self._design(...)` first for the checked inputs), and is added
to `polku.impact.registry`; the contract suite (tests/impact/test_contract.py) then runs
over it.

`ImpactEstimator` is the base of the estimators that compare participants with a weighted
or matched comparison group (IPW, AIPW, matching): checks, trimming, diagnostics and the
bootstrap. A subclass supplies two steps: `_scores` (propensity scores, in-sample or
cross-fitted) and `_estimate` (the effect among the units kept, with its standard error and
the weights each unit carries, which the balance table reuses).
"""

from __future__ import annotations

import inspect
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from polku.errors import UsageError
from polku.impact.balance import balance_table, overlap
from polku.impact.design import MIN_PARTICIPANTS, Design, design_from_arrays, naive_difference, size_note
from polku.impact.propensity import trimming_mask
from polku.impact.results import Z95, EffectEstimate

ESTIMANDS = ("att", "ate")


class Estimator(BaseEstimator, ABC):
    """The contract every effect estimator follows; see the module docstring."""

    method: ClassVar[str] = ""
    """The estimator's one name: registry key, `--method` choice, `EffectEstimate.method`."""
    label: ClassVar[str] = ""
    """What it is, in a few plain English words (the CLI's help)."""
    estimands: ClassVar[tuple[str, ...]] = ESTIMANDS
    """The estimands it can estimate ('att': effect on participants, 'ate': on everybody)."""
    default: ClassVar[bool] = False
    """True for the one estimator used when none is named (CLI, pipeline, report)."""
    supports_weights: ClassVar[bool] = True
    """Whether `fit` takes case weights (`sample_weight`)."""
    cluster_robust: ClassVar[bool] = True
    """Whether the standard error uses `clusters` (else the rows are taken as independent)."""
    similar_comparison: ClassVar[bool] = True
    """True: the estimate rests on comparison people made to resemble the participants (by
    weights or matches), so it reports balance and overlap. False: on an outcome model
    carried over to the participants."""
    pseudo_outcome: ClassVar[bool] = True
    """Whether it may be fitted on a continuous pseudo-outcome in place of a 0/1 outcome
    (the doubly robust censoring correction, `polku.cohort.augmented`)."""

    def __init__(self, *, estimand: str = "att", min_participants: int = MIN_PARTICIPANTS, random_state: int = 0) -> None:
        self.estimand = estimand
        self.min_participants = min_participants
        self.random_state = random_state

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The keyword-only settings of every `__init__` along the MRO (sorted, as scikit-learn's)."""
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass in (BaseEstimator, ABC, object):
                continue
            for parameter in inspect.signature(init).parameters.values():
                if parameter.kind == parameter.KEYWORD_ONLY:
                    names.add(parameter.name)
        return sorted(names)

    @abstractmethod
    def fit(
        self,
        X: np.ndarray,
        t: np.ndarray,
        y: np.ndarray,
        covariate_names: tuple[str, ...] | None = None,
        sample_weight: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
    ) -> Estimator:
        """Estimate the effect of `t` on `y` adjusting for `X`; sets `result_`, returns self."""

    def _design(
        self,
        X: np.ndarray,
        t: np.ndarray,
        y: np.ndarray,
        covariate_names: tuple[str, ...] | None,
        sample_weight: np.ndarray | None,
        clusters: np.ndarray | None,
    ) -> Design:
        """The checked inputs of `fit` (rows with weight 0 left out) after the settings' checks."""
        self._check_settings()
        return design_from_arrays(X, t, y, covariate_names, sample_weight, clusters)

    def _check_settings(self) -> None:
        if self.estimand not in self.estimands:
            raise UsageError(
                f"{self.method} does not estimate '{self.estimand}'",
                why="att is the effect on participants, ate the effect on everybody."
                if self.estimand in ESTIMANDS
                else "unknown estimand.",
                fix=f"use {' or '.join(self.estimands)}.",
            )
        if not isinstance(self.random_state, numbers.Integral) or isinstance(self.random_state, bool):
            raise UsageError(
                f"random_state must be a whole number, not {self.random_state!r}",
                why="the same number gives the same result; Polku does not draw fresh randomness.",
            )

    def _suppressed(self, design: Design, note: str) -> EffectEstimate:
        return EffectEstimate(self.method, self.estimand, None, None, None, None, design.n_treated, design.n_control, note=note)


@dataclass(frozen=True)
class Fitted:
    """One estimator's numbers among the kept units (before diagnostics are attached)."""

    estimate: float
    std_error: float
    treated_weights: np.ndarray  # weight of each kept unit in the treated mean (0 for controls)
    control_weights: np.ndarray  # weight of each kept unit in the comparison mean (0 for treated)
    extra: dict[str, Any] = field(default_factory=dict)
    unmatched: np.ndarray | None = None  # kept units that still found no counterpart (matching)


class ImpactEstimator(Estimator):
    """Base of the comparison-group estimators; see the module docstring."""

    def __init__(self, *, trim: float = 0.01, bootstrap: int = 0, propensity_model: Any | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self.trim = trim
        self.bootstrap = bootstrap
        self.propensity_model = propensity_model

    # -- to be supplied by subclasses -------------------------------------------------
    def _scores(self, design: Design) -> np.ndarray:
        raise NotImplementedError

    def _estimate(self, design: Design, scores: np.ndarray) -> Fitted:
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        t: np.ndarray,
        y: np.ndarray,
        covariate_names: tuple[str, ...] | None = None,
        sample_weight: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
    ) -> ImpactEstimator:
        """Estimate the effect of `t` on `y` adjusting for `X`; the result is in `result_`.

        `sample_weight` (case weights, e.g. inverse probability of censoring) multiplies
        every unit's weight in the models and the estimate; rows with weight 0 are left out.
        `clusters` (e.g. person ids) makes influence-function intervals cluster-robust;
        an estimator whose variance cannot use them says so in `result_.extra`.
        """
        design = self._design(X, t, y, covariate_names, sample_weight, clusters)
        too_small = size_note(design, self.min_participants)
        if too_small:
            self.result_ = self._suppressed(design, too_small)
            return self
        self.propensity_ = self._scores(design)
        self.kept_ = trimming_mask(self.propensity_, self.estimand, self.trim)
        kept = design.subset(self.kept_)
        if size_note(kept, 1):
            self.result_ = self._suppressed(design, "no participants or no comparison units are left after trimming")
            return self
        fitted = self._estimate(kept, self.propensity_[self.kept_])
        self.result_ = self._result(design, fitted)
        if self.bootstrap > 0 and self.result_.estimate is not None:
            self.result_ = replace(self.result_, **self._bootstrap(design))
        return self

    def _check_settings(self) -> None:
        super()._check_settings()
        if not 0 <= self.trim < 0.5:
            raise UsageError(f"trim must be at least 0 and below 0.5, not {self.trim}")

    def _result(self, design: Design, fitted: Fitted) -> EffectEstimate:
        kept = self.kept_.copy()
        if fitted.unmatched is not None:
            kept[np.flatnonzero(kept)[fitted.unmatched]] = False
        treated_w = np.zeros(len(design.t))
        control_w = np.zeros(len(design.t))
        treated_w[self.kept_] = fitted.treated_weights
        control_w[self.kept_] = fitted.control_weights
        half = Z95 * fitted.std_error
        return EffectEstimate(
            method=self.method,
            estimand=self.estimand,
            estimate=fitted.estimate,
            std_error=fitted.std_error,
            ci_low=fitted.estimate - half,
            ci_high=fitted.estimate + half,
            n_treated=int((design.t & kept).sum()),
            n_control=int((~design.t & kept).sum()),
            n_trimmed=int((~kept).sum()),
            outcome_mean_treated=float(design.y[design.t].mean()),
            outcome_mean_control=float(design.y[~design.t].mean()),
            naive_difference=naive_difference(design),
            balance=balance_table(design.X, design.t, design.covariates, treated_w, control_w),
            overlap=overlap(self.propensity_, design.t, control_w),
            extra=fitted.extra | self._cluster_note(design.subset(kept)),
        )

    def _cluster_note(self, design: Design) -> dict[str, int]:
        """How many clusters the interval rests on (among the units kept)."""
        if design.clusters is None:
            return {}
        count = int(len(np.unique(design.clusters)))
        return {"clusters": count} if self.cluster_robust else {"clusters_ignored": count}

    def _bootstrap(self, design: Design) -> dict[str, Any]:
        """Percentile interval from refitting everything (propensity, trimming, outcome models)
        on resamples drawn within each group, so each replicate keeps the group sizes; with
        clusters, whole persons are drawn (all their rows), since a person's rows are not
        independent draws (Cameron, Gelbach and Miller 2008)."""
        rng = np.random.default_rng(self.random_state)
        draw = _person_draws(design.clusters, rng) if design.clusters is not None and self.cluster_robust else None
        treated, control = np.flatnonzero(design.t), np.flatnonzero(~design.t)
        estimates = []
        for _ in range(self.bootstrap):
            if draw is not None:
                rows = draw()
                sample = design.subset(rows)
            else:
                rows = np.concatenate(
                    [rng.choice(treated, len(treated)), rng.choice(control, len(control))]
                )  # weights travel with rows
                # copies of one row are one unit: cross-fitting keeps them in one fold
                sample = replace(design.subset(rows), clusters=rows)
            scores = self._scores(sample)
            keep = trimming_mask(scores, self.estimand, self.trim)
            if size_note(sample.subset(keep), 1):
                continue
            estimates.append(self._estimate(sample.subset(keep), scores[keep]).estimate)
        if len(estimates) < 2:
            return {"bootstrap_replications": len(estimates)}
        low, high = np.percentile(estimates, [2.5, 97.5])
        return {"bootstrap_ci": (float(low), float(high)), "bootstrap_replications": len(estimates)}


def _person_draws(clusters: np.ndarray, rng: np.random.Generator) -> Callable[[], np.ndarray]:
    """A function giving the rows of as many persons as there are, drawn with replacement
    (each row repeated as often as its person was drawn)."""
    _, person = np.unique(clusters, return_inverse=True)
    persons = int(person.max()) + 1

    def draw() -> np.ndarray:
        times = np.bincount(rng.integers(0, persons, persons), minlength=persons)
        return np.repeat(np.arange(len(person)), times[person])

    return draw
