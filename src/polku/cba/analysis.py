"""The cost-benefit calculation, its Monte Carlo and its tornado (see `polku.cba`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from polku.impact.results import Z95
from polku.yamlio import load_yaml

ASSUMPTIONS_FILE = Path(__file__).parent / "assumptions.yaml"


@cache
def _defaults() -> dict[str, Any]:
    return load_yaml(ASSUMPTIONS_FILE.read_text(encoding="utf-8"))


def default(name: str) -> Any:
    return _defaults()[name]["value"]


def default_range(name: str) -> tuple[float, float]:
    low, high = _defaults()[name]["range"]
    return float(low), float(high)


@dataclass(frozen=True)
class Assumptions:
    """The analysis's choices; defaults and their sources in `cba/assumptions.yaml`."""

    horizon_years: int = default("horizon_years")
    persistence: float = default("persistence")
    discount_rate: float = default("discount_rate")
    optimism_bias: float = default("optimism_bias")
    wage_uncertainty: float = default("wage_uncertainty")

    def __post_init__(self) -> None:
        if self.horizon_years < 1:
            raise ValueError("horizon_years must be at least 1")
        for name in ("persistence", "optimism_bias"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must lie in [0, 1]")

    def present_value_factor(self) -> float:
        """Sum over the horizon of the effect's remaining share, discounted (year 1 is not)."""
        return float(present_value(np.asarray(self.persistence), self.discount_rate, self.horizon_years))


def present_value(persistence: np.ndarray, discount_rate: float, horizon_years: int) -> np.ndarray:
    """sum_{t < horizon} persistence^t / (1 + discount)^t, for one persistence or an array of draws."""
    years = np.arange(horizon_years)
    return (np.asarray(persistence, dtype=float)[..., None] ** years / (1 + discount_rate) ** years).sum(axis=-1)


@dataclass(frozen=True)
class Effect:
    """Additional employments of the cohort (above what would have happened anyway)."""

    estimate: float
    ci_low: float
    ci_high: float

    @property
    def se(self) -> float:
        return (self.ci_high - self.ci_low) / (2 * Z95)

    @classmethod
    def from_rate(cls, participants: int, estimate: float, ci_low: float, ci_high: float) -> Effect:
        """From an effect on the employment rate (e.g. an AIPW ATT) and the cohort size."""
        return cls(participants * estimate, participants * ci_low, participants * ci_high)


@dataclass(frozen=True)
class FiscalGain:
    """The annual fiscal gain of one employment (EUR), without pension contributions and the
    pension contributions apart, each with the standard error of its mean."""

    without_pension: float
    pension: float
    se_without_pension: float = 0.0
    se_pension: float = 0.0

    @classmethod
    def from_simulation(cls, simulated: pd.DataFrame) -> FiscalGain:
        """Mean gain over the people of a `polku.fiscal.simulate` result (the employed
        participants, at their own hours and wages)."""
        n = len(simulated)
        if n == 0:
            raise ValueError("no people to average the fiscal gain over")
        a, b = simulated["gain_without_pension"].to_numpy(float), simulated["gain_pension_contributions"].to_numpy(float)
        se = lambda x: float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0  # noqa: E731
        return cls(float(a.mean()), float(b.mean()), se(a), se(b))


@dataclass(frozen=True)
class CostBenefit:
    """The analysis's results, in euros unless said otherwise."""

    participants: int
    cost: float
    additional_employments: float
    gain_per_employment: float
    gain_per_employment_with_pension: float
    present_value_factor: float
    benefit: float
    benefit_with_pension: float
    benefit_per_employment: float = 0.0  # over the horizon, after the optimism haircut, without pensions

    @property
    def net(self) -> float:
        return self.benefit - self.cost

    @property
    def net_with_pension(self) -> float:
        return self.benefit_with_pension - self.cost

    @property
    def ratio(self) -> float:
        return self.benefit / self.cost if self.cost else float("inf")

    @property
    def ratio_with_pension(self) -> float:
        return self.benefit_with_pension / self.cost if self.cost else float("inf")

    @property
    def break_even_employments(self) -> float:
        """Additional employments at which the benefit (without pensions) equals the cost
        (whatever the estimated effect; infinite when an employment gains nothing)."""
        return self.cost / self.benefit_per_employment if self.benefit_per_employment > 0 else float("inf")

    def per_participant(self, amount: float) -> float:
        return amount / self.participants

    def to_dict(self) -> dict[str, float]:
        return {
            "participants": self.participants,
            "cost": self.cost,
            "additional_employments": self.additional_employments,
            "gain_per_employment": self.gain_per_employment,
            "gain_per_employment_with_pension": self.gain_per_employment_with_pension,
            "present_value_factor": self.present_value_factor,
            "benefit": self.benefit,
            "benefit_with_pension": self.benefit_with_pension,
            "net": self.net,
            "net_with_pension": self.net_with_pension,
            "ratio": self.ratio,
            "ratio_with_pension": self.ratio_with_pension,
            "benefit_per_participant": self.per_participant(self.benefit),
            "net_per_participant": self.per_participant(self.net),
            "break_even_employments": self.break_even_employments,
        }


def haircut(benefit: np.ndarray | float, optimism_bias: float) -> np.ndarray | float:
    """The optimism-bias adjustment: a benefit is overstated, so a gain shrinks and a loss
    (a negative effect) grows by the same share."""
    return np.where(np.asarray(benefit) >= 0, 1 - optimism_bias, 1 + optimism_bias) * benefit


def analyse(
    participants: int, effect: Effect, gain: FiscalGain, cost: float, assumptions: Assumptions | None = None
) -> CostBenefit:
    """The point result: the effect's estimate times the mean gain, over the horizon."""
    a = assumptions or Assumptions()
    factor = a.present_value_factor()
    per_employment = float(haircut(gain.without_pension * factor, a.optimism_bias))
    return CostBenefit(
        participants,
        float(cost),
        effect.estimate,
        gain.without_pension,
        gain.without_pension + gain.pension,
        factor,
        float(haircut(effect.estimate * gain.without_pension * factor, a.optimism_bias)),
        float(haircut(effect.estimate * (gain.without_pension + gain.pension) * factor, a.optimism_bias)),
        per_employment,
    )


@dataclass(frozen=True)
class MonteCarlo:
    draws: int
    probability_benefit_exceeds_cost: float
    probability_with_pension: float
    net_percentiles: dict[int, float]
    net_with_pension_percentiles: dict[int, float]


def monte_carlo(
    participants: int,
    effect: Effect,
    gain: FiscalGain,
    cost: float,
    assumptions: Assumptions | None = None,
    draws: int | None = None,
    seed: int = 0,
) -> MonteCarlo:
    """Draws of the net benefit: the effect from its interval (normal), the gain per
    employment from its standard error times a lognormal wage factor, and, over a horizon
    longer than a year, the persistence around the chosen value (`_persistence_draws`)."""
    a = assumptions or Assumptions()
    draws = int(draws or default("draws"))
    rng = np.random.default_rng(seed)
    employments = rng.normal(effect.estimate, effect.se, draws)
    wage = np.exp(rng.normal(-(a.wage_uncertainty**2) / 2, a.wage_uncertainty, draws))  # mean 1
    without = rng.normal(gain.without_pension, gain.se_without_pension, draws) * wage
    pension = rng.normal(gain.pension, gain.se_pension, draws) * wage
    persistence = _persistence_draws(rng, a.persistence, draws) if a.horizon_years > 1 else np.full(draws, a.persistence)
    factor = present_value(persistence, a.discount_rate, a.horizon_years)
    net = haircut(employments * without * factor, a.optimism_bias) - cost
    net_pension = haircut(employments * (without + pension) * factor, a.optimism_bias) - cost
    points = (5, 25, 50, 75, 95)
    return MonteCarlo(
        draws,
        float(np.mean(net > 0)),
        float(np.mean(net_pension > 0)),
        dict(zip(points, np.percentile(net, points).tolist(), strict=True)),
        dict(zip(points, np.percentile(net_pension, points).tolist(), strict=True)),
    )


PERSISTENCE_CONCENTRATION = 10.0
"""Beta(c p, c (1 - p)) draws of the persistence around the chosen p: a standard deviation
of about 0.15 at p = 0.5, an assumption (cba/assumptions.yaml gives the range)."""


def _persistence_draws(rng: np.random.Generator, persistence: float, draws: int) -> np.ndarray:
    if persistence <= 0 or persistence >= 1:
        return np.full(draws, persistence)
    c = PERSISTENCE_CONCENTRATION
    return rng.beta(c * persistence, c * (1 - persistence), draws)


@dataclass(frozen=True)
class TornadoBar:
    key: str
    name: str
    low_input: float
    high_input: float
    net_at_low: float
    net_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.net_at_high - self.net_at_low)


def _varied(a: Assumptions, name: str, value: float) -> Assumptions:
    """`a` with the float assumption `name` set to `value` (a field chosen by name, so typed loosely)."""
    change: dict[str, Any] = {name: value}
    return replace(a, **change)


def tornado(
    participants: int, effect: Effect, gain: FiscalGain, cost: float, assumptions: Assumptions | None = None
) -> list[TornadoBar]:
    """The net benefit (without pensions) with one input at a time at its low and high
    value, the others at their point values; widest swing first."""
    a = assumptions or Assumptions()

    def net(e: Effect = effect, g: FiscalGain = gain, c: float = cost, x: Assumptions = a) -> float:
        return analyse(participants, e, g, c, x).net

    se_gain = max(gain.se_without_pension, a.wage_uncertainty * abs(gain.without_pension))
    bars = [
        TornadoBar(
            "effect",
            "additional employments (95 % interval)",
            effect.ci_low,
            effect.ci_high,
            net(e=replace(effect, estimate=effect.ci_low)),
            net(e=replace(effect, estimate=effect.ci_high)),
        ),
        TornadoBar(
            "gain",
            "fiscal gain per employment (+/- 1.96 SE or the wage uncertainty)",
            gain.without_pension - Z95 * se_gain,
            gain.without_pension + Z95 * se_gain,
            net(g=replace(gain, without_pension=gain.without_pension - Z95 * se_gain)),
            net(g=replace(gain, without_pension=gain.without_pension + Z95 * se_gain)),
        ),
        TornadoBar("cost", "programme cost (+/- 20 %)", 0.8 * cost, 1.2 * cost, net(c=0.8 * cost), net(c=1.2 * cost)),
    ]
    low, high = default_range("optimism_bias")
    bars.append(
        TornadoBar(
            "optimism_bias",
            "optimism bias",
            low,
            high,
            net(x=replace(a, optimism_bias=low)),
            net(x=replace(a, optimism_bias=high)),
        )
    )
    if a.horizon_years > 1:
        for name in ("persistence", "discount_rate"):
            low, high = default_range(name)
            bars.append(
                TornadoBar(name, name.replace("_", " "), low, high, net(x=_varied(a, name, low)), net(x=_varied(a, name, high)))
            )
    return sorted(bars, key=lambda b: b.swing, reverse=True)
