"""Balance and overlap diagnostics: does the comparison group look like the participants?

A weighting or matching estimate is only as good as the balance it achieves on the
covariates it was given (it can say nothing about those it was not given). The balance
table is the data of a love plot: each covariate's standardised mean difference before
adjustment and after.
"""

from __future__ import annotations

import numpy as np

from polku.impact.results import BalanceRow, Overlap

BINS = tuple(float(b) for b in np.linspace(0.0, 1.0, 21))
SUPPORT_LIMIT = 0.05
"""Above this share of participants outside the comparison's propensity range, warn."""
ESS_MINIMUM = 50
ESS_SHARE_OF_PARTICIPANTS = 0.25
"""Warn when the comparison group is worth fewer than max(50, a quarter of the participants)
people: its noise then outweighs the participants' own (Var ~ 1/ESS against 1/n1)."""

SUPPORT_WARNING = (
    "More than {limit:.0%} of the participants have a propensity score outside the comparison group's range: nobody in "
    "the comparison group is like them, so for them the estimate rests on extrapolation by the outcome model (for entropy "
    "balancing, the linear form in the covariates that the weights balance), or trimming leaves them out."
)
ESS_WARNING = (
    "The weighted comparison group is worth fewer people (Kish's effective size) than {minimum} or a quarter of the "
    "participants: the estimate rests on a few comparison people, and its interval may be too narrow."
)


def _smd(mean_t: float, mean_c: float, var_t: float, var_c: float) -> float:
    pooled = np.sqrt((var_t + var_c) / 2.0)
    if pooled == 0:
        return 0.0 if mean_t == mean_c else float(np.sign(mean_t - mean_c) * np.inf)
    return float((mean_t - mean_c) / pooled)


def balance_table(
    X: np.ndarray, t: np.ndarray, names: tuple[str, ...], treated_weights: np.ndarray, control_weights: np.ndarray
) -> tuple[BalanceRow, ...]:
    """SMD of every covariate before (unweighted) and after (weighted) adjustment.

    `treated_weights` and `control_weights` are the weights each group carries in the
    estimate (all ones for the treated under the ATT; matching counts for matched controls).
    """
    rows = []
    xt, xc = X[t], X[~t]
    wt, wc = treated_weights[t], control_weights[~t]
    for j, name in enumerate(names):
        var_t, var_c = float(xt[:, j].var()), float(xc[:, j].var())
        mean_t, mean_c = float(xt[:, j].mean()), float(xc[:, j].mean())
        adj_t = float(np.average(xt[:, j], weights=wt)) if wt.sum() > 0 else np.nan
        adj_c = float(np.average(xc[:, j], weights=wc)) if wc.sum() > 0 else np.nan
        rows.append(BalanceRow(name, mean_t, mean_c, adj_c, _smd(mean_t, mean_c, var_t, var_c), _smd(adj_t, adj_c, var_t, var_c)))
    return tuple(rows)


def kish_ess(weights: np.ndarray) -> float:
    """(sum w)^2 / sum w^2: how many equally weighted units the weights are worth."""
    total = float(weights.sum())
    squares = float((weights**2).sum())
    return total * total / squares if squares > 0 else 0.0


def top_weight_share(weights: np.ndarray, share: float) -> float:
    """Share of the total weight carried by the `share` most heavily weighted rows (at least one)."""
    total = float(weights.sum())
    if total <= 0:
        return float("nan")
    count = max(1, int(np.ceil(share * len(weights))))
    return float(np.sort(weights)[-count:].sum() / total)


def outside_support(scores: np.ndarray, t: np.ndarray) -> float:
    """Share of participants whose score lies outside the comparison scores' [min, max]."""
    treated, control = scores[t], scores[~t]
    if len(treated) == 0 or len(control) == 0:
        return float("nan")
    return float(((treated < control.min()) | (treated > control.max())).mean())


def overlap_problems(outside: float, ess: float | None, n_treated: int) -> tuple[str, ...]:
    """Which warning rules fire: 'support' (participants outside the comparison's range) and
    'effective_size' (a few comparison people carry the estimate). A report in another
    language translates these keys; `overlap_warning` gives the English sentences."""
    problems = []
    if outside > SUPPORT_LIMIT:
        problems.append("support")
    if ess is not None and ess < max(ESS_MINIMUM, ESS_SHARE_OF_PARTICIPANTS * n_treated):
        problems.append("effective_size")
    return tuple(problems)


def overlap_warning(outside: float, ess: float | None, n_treated: int) -> str:
    """The plain-language warning of `Overlap.warning` ('' when overlap and size are fine)."""
    sentences = {
        "support": SUPPORT_WARNING.format(limit=SUPPORT_LIMIT),
        "effective_size": ESS_WARNING.format(minimum=ESS_MINIMUM),
    }
    return " ".join(sentences[problem] for problem in overlap_problems(outside, ess, n_treated))


def overlap(scores: np.ndarray, t: np.ndarray, control_weights: np.ndarray | None = None) -> Overlap:
    """Propensity ranges and histograms by group (the data of an overlap plot), the
    weights' concentration and the share of participants outside the comparison's range."""
    treated, control = scores[t], scores[~t]
    hist_t, _ = np.histogram(treated, bins=BINS)
    hist_c, _ = np.histogram(control, bins=BINS)
    weights = control_weights[~t] if control_weights is not None else None
    ess = kish_ess(weights) if weights is not None else None
    outside = outside_support(scores, t)
    return Overlap(
        propensity_min_treated=float(treated.min()) if len(treated) else np.nan,
        propensity_max_treated=float(treated.max()) if len(treated) else np.nan,
        propensity_min_control=float(control.min()) if len(control) else np.nan,
        propensity_max_control=float(control.max()) if len(control) else np.nan,
        bins=BINS,
        histogram_treated=tuple(int(v) for v in hist_t),
        histogram_control=tuple(int(v) for v in hist_c),
        ess_control=ess,
        top1_weight_share=top_weight_share(weights, 0.01) if weights is not None else None,
        top5_weight_share=top_weight_share(weights, 0.05) if weights is not None else None,
        outside_support=outside,
        warning=overlap_warning(outside, ess, int(t.sum())),
    )
