"""A national inflow frame as `polku.national.expected.entry_rows` gives it, drawn for tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def inflow_frame(g: np.random.Generator, areas: dict[str, int]) -> pd.DataFrame:
    """`areas[a]` people in each area a, with the seed model's covariates at entry (no outcome:
    each test draws its own `worked` after these columns, from the same generator)."""
    n = sum(areas.values())
    return pd.DataFrame(
        {
            "area": np.repeat(list(areas), list(areas.values())),
            "age": g.uniform(18, 64, n),
            "sex": g.choice(["female", "male"], n),
            "mother_tongue_group": "fi",
            "education_level": g.choice(["basic", "tertiary"], n),
            "partial_work_ability": g.random(n) < 0.1,
            "activity_before": "work",
            "months_unemployed_prev36": g.integers(0, 36, n),
            "current_spell_months": 0,
        }
    )
