"""Expected versus observed (`expected_observed`): the method of the seed brief (Rovaniemi
model, BRIEF.md seed 000; in the Finnish UI "odotettu ja toteutunut").

A model of the outcome without the service is learned from a reference population (here:
the comparison rows, T = 0) and applied to each participant i, giving p_i, the chance that
i would have found work anyway. Then
    observed O = sum of participants' outcomes,  expected E = sum of p_i,
    additional = O - E,  ratio = O / E,  effect per participant = (O - E) / n.
This is regression imputation of the ATT: it needs no comparison group of similar
people, only that the reference population's outcome model carries over to the
participants (no unmeasured differences, and participants inside the range the model
has seen). Its weak point is exactly that assumption, so the same data should also be run
through a comparison-group estimator (IPW, AIPW, matching).

Two intervals, because two questions are asked of the same numbers:
  - How many additional employments did *this cohort* get? The participants' outcomes
    without the service would have varied around E even with a perfect model (Poisson-
    binomial variance sum p_i (1 - p_i); for a continuous outcome n times the held-out
    residual variance), and the model itself is estimated (variance of E over `bootstrap`
    refits on resampled reference populations):
        Var = sum p_i (1 - p_i) + Var_bootstrap(E),  `extra['additional_ci']` = (O - E) +/- 1.96 sqrt(Var).
    Equivalently, O falling outside E +/- 1.96 sqrt(Var) is unlikely to be chance.
  - What is the service's effect per participant for people like these (the ATT, the same
    estimand as the comparison-group estimators)? The influence function of
    mean(Y - p | T = 1) plus the model variance:
        Var = var(Y_i - p_i) / n + Var_bootstrap(E) / n^2,  `ci_low`, `ci_high`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from polku.impact.base import Z95, Estimator
from polku.impact.design import Design, is_binary, naive_difference, size_note
from polku.impact.expected_model import ModelQuality, held_out_quality, make_model, predict
from polku.impact.propensity import fit_weighted
from polku.impact.results import EffectEstimate


class ExpectedVersusObserved(Estimator):
    """Expected versus observed with the estimator contract: `fit(X, t, y)` sets `result_`,
    `quality_` (held-out model quality), `expected_` (p_i for each participant) and
    `replications_` (bootstrap refits that could be made)."""

    method = "expected_observed"
    label = "expected versus observed (the seed brief's method)"
    estimands = ("att",)  # it predicts what participants would have done; nothing about others
    cluster_robust = False  # the interval takes the participants as independent
    similar_comparison = False  # it rests on an outcome model carried over to the participants
    pseudo_outcome = False  # its logistic model needs the observed 0/1 outcome

    def __init__(self, *, model: str = "logistic", bootstrap: int = 100, **settings: Any) -> None:
        super().__init__(**settings)
        self.model = model
        self.bootstrap = bootstrap

    def fit(
        self,
        X: np.ndarray,
        t: np.ndarray,
        y: np.ndarray,
        covariate_names: tuple[str, ...] | None = None,
        sample_weight: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
    ) -> ExpectedVersusObserved:
        """Learn the no-service model on the comparison rows (weighted by `sample_weight`,
        e.g. inverse probability of censoring; rows with weight 0 are left out) and compare
        participants' observed outcomes with their expected ones. `clusters` is accepted for
        the common contract; the interval takes the participants as independent."""
        design = self._design(X, t, y, covariate_names, sample_weight, clusters)
        note = size_note(design, self.min_participants)
        if note:
            self.result_ = self._suppressed(design, note)
            return self
        binary = is_binary(design.y)
        reference, participants = design.subset(~design.t), design.subset(design.t)
        self.quality_ = held_out_quality(reference.X, reference.y, self.model, self.random_state)
        fitted = fit_weighted(clone(make_model(self.model, binary, self.random_state)), reference.X, reference.y, reference.w)
        self.expected_ = predict(fitted, participants.X, binary)
        self.result_ = self._result(design, participants, binary)
        return self

    def _cohort_variance(self, binary: bool) -> float:
        """Variance of the cohort's outcomes without the service around E (Poisson-binomial)."""
        if binary:
            return float((self.expected_ * (1 - self.expected_)).sum())
        return float(len(self.expected_) * (self.quality_.residual_variance or 0.0))

    def _model_variance(self, reference: Design, participants: Design, binary: bool) -> float:
        self.replications_ = 0
        if self.bootstrap < 2:
            return 0.0
        rng = np.random.default_rng(self.random_state)
        totals = []
        for _ in range(self.bootstrap):
            rows = rng.integers(0, len(reference.y), len(reference.y))
            if binary and len(np.unique(reference.y[rows])) < 2:
                continue
            refit = fit_weighted(
                clone(make_model(self.model, binary, self.random_state)),
                reference.X[rows],
                reference.y[rows],
                None if reference.w is None else reference.w[rows],
            )
            totals.append(predict(refit, participants.X, binary).sum())
        self.replications_ = len(totals)
        return float(np.var(totals, ddof=1)) if len(totals) > 1 else 0.0

    def _result(self, design: Design, participants: Design, binary: bool) -> EffectEstimate:
        n = len(participants.y)
        observed, expected = float(participants.y.sum()), float(self.expected_.sum())
        model_var = self._model_variance(design.subset(~design.t), participants, binary)
        cohort_var = self._cohort_variance(binary) + model_var
        additional = observed - expected
        se = float(np.sqrt((participants.y - self.expected_).var() / n + model_var / n**2))
        return EffectEstimate(
            method=self.method,
            estimand="att",
            estimate=additional / n,
            std_error=se,
            ci_low=additional / n - Z95 * se,
            ci_high=additional / n + Z95 * se,
            n_treated=n,
            n_control=design.n_control,
            outcome_mean_treated=observed / n,
            outcome_mean_control=float(design.y[~design.t].mean()),
            naive_difference=naive_difference(design),
            bootstrap_replications=self.replications_,
            observed=observed,
            expected=expected,
            extra=self._extra(additional, Z95 * np.sqrt(cohort_var), observed, expected, cohort_var - model_var, model_var)
            | ({} if design.clusters is None else {"clusters_ignored": int(len(np.unique(design.clusters)))}),
        )

    def _extra(
        self, additional: float, half: float, observed: float, expected: float, cohort_var: float, model_var: float
    ) -> dict[str, Any]:
        quality: ModelQuality = self.quality_
        return {
            "additional": additional,
            "additional_ci": [additional - half, additional + half],
            "expected_band": [self.expected_.sum() - half, self.expected_.sum() + half],
            "ratio": observed / expected if expected else None,
            "variance_outcome": cohort_var,
            "variance_model": model_var,
            "model": self.model,
            "auc": quality.auc,
            "brier": quality.brier,
            "r2": quality.r2,
            "rmse": quality.rmse,
            "calibration": [vars(b) for b in quality.calibration],
        }
