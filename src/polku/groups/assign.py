"""Each person-date's two groups: the rule-based group of the configuration, and the
employment-potential band of the seed model.

The seed model is the expected-versus-observed method's no-service model
(`polku.impact.expected`, `polku.groups.potential`): a logistic model of open-market work
within 12 months on the covariates the impact estimates adjust for, learned from the
person-dates with no service begun before or within the 12 months (the seed brief's
"what would have happened anyway") and applied to every row, out of fold by person, so that
nobody's own outcome decides their band. Bands: high at 0.55 or more, low below 0.30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cohort.features import ADJUSTMENT
from polku.cohort.measures import window_days
from polku.groups.config import GroupConfig, assign
from polku.groups.rows import EPISODE, variables

RULE, SEED_MODEL = "rule", "seed_model"
GROUPINGS = (RULE, SEED_MODEL)
"""The two ways of grouping, as the tables name them."""


def reference_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows the seed model learns from: registered person-dates (not service starts) with no
    service begun before the date nor within the 12 months after it."""
    later = pd.to_datetime(frame["first_service_after"])
    limit = pd.to_datetime(frame["ref_date"]) + pd.Timedelta(days=window_days(12))
    unserved = (later.isna() | (later > limit)).to_numpy()
    return (frame["kind"] != EPISODE).to_numpy() & (frame["prior_episodes"].to_numpy(dtype=float) == 0) & unserved


def employed_12m(frame: pd.DataFrame) -> np.ndarray:
    """Work within 12 months, NaN where the window is not over yet."""
    followed = frame["followed_12m"].to_numpy(dtype=bool)
    employed = frame["employed_12m"].astype("float64").to_numpy(dtype=float, na_value=np.nan)
    return np.where(followed, employed, np.nan)


def seed_model_bands(frame: pd.DataFrame, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(chance of work within 12 months without a service, band) for every row."""
    if frame.empty:
        return np.zeros(0), np.zeros(0, dtype=object)
    from polku.groups.potential import potential_groups  # the model's libraries, only when it is fitted
    from polku.impact.design import covariate_matrix

    X, _ = covariate_matrix(frame, list(ADJUSTMENT), "client groups")
    people = frame["person_id"].astype(str).to_numpy()
    return potential_groups(X, ~reference_rows(frame), employed_12m(frame), seed=seed, clusters=people)


def with_groups(frame: pd.DataFrame, config: GroupConfig, seed: int = 0) -> pd.DataFrame:
    """The rows with `rule_group`, `seed_chance` and `seed_model_group` added."""
    chance, band = seed_model_bands(frame, seed)
    rule = assign(config, variables(frame), len(frame))
    return frame.assign(rule_group=rule, seed_chance=chance, seed_model_group=band)
