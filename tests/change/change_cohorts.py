"""Constructed cohorts of the effects on change with a known truth, shared by the tests of
the estimate (test_change_effects.py) and of its interval (test_change_intervals.py).

Each test draws who takes part and who has partial work ability (pwa) in its own way, then
`cohort_frame` draws the rest from the same generator in one fixed order, so a test's
figures depend only on its seed: participants gain 0.6 points, or 0.1 with pwa; the change
regresses on the baseline level (1-5, lower with pwa); pwa people are measured at follow-up
less often. The truth is the participants' mean effect, measured or not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cohort_frame(
    g: np.random.Generator,
    treated: np.ndarray,
    pwa: np.ndarray,
    *,
    measured_chance: tuple[float, float],
    pwa_change: float = 0.0,
    age: np.ndarray | None = None,
) -> tuple[pd.DataFrame, float]:
    """The cohort of `treated` and `pwa` rows and its truth. `measured_chance`: the chance
    of a follow-up (with pwa, without); `pwa_change`: pwa's shift of the change without the
    service; `age`: drawn here (after the follow-ups) when not given."""
    n = len(treated)
    baseline = np.clip(np.round(3.0 - 0.6 * pwa + 0.6 * g.standard_normal(n)), 1, 5)
    effect = np.where(pwa, 0.1, 0.6)
    change = 0.05 - 0.3 * (baseline - 3) + pwa_change * pwa + treated * effect + 0.5 * g.standard_normal(n)
    measured = g.random(n) < np.where(pwa, *measured_chance)
    frame = pd.DataFrame(
        {
            "person_id": [f"p{i}" for i in range(n)],
            "treated": treated,
            "baseline_level": baseline,
            "age": g.uniform(20, 62, n) if age is None else age,
            "sex": np.where(g.random(n) < 0.5, "female", "male"),
            "education_level": np.where(g.random(n) < 0.5, "basic", "upper_secondary"),
            "partial_work_ability": pwa,
            "months_unemployed_prev36": g.integers(0, 36, n),
            "spell_months": g.integers(0, 48, n),
            "measured": measured,
            "change": np.where(measured, change, np.nan),
        }
    )
    return frame, float(effect[treated].mean())
