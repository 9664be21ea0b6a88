"""Labour-market terms the estimators adjust for, beside the cohort's raw covariates.

A logistic propensity or outcome model is linear in what it is given. Age, the length of
the current unemployment spell and months unemployed in the last three years do not act
linearly on who is referred to a service or on finding work, and leaving their shape to
a straight line leaves confounding behind: in replications on the synthetic area, the
AIPW bias of coaching and training fell from about 3.5-4.5 to under 2 percentage points
when these terms were added (benchmarks/impact_replications.py, docs/methods.md).

The terms are the ones Finnish employment services and statistics already use, not
fitted cut points:
  - `log_spell_months`: duration dependence (the chance of work falls steeply in the
    first months of a spell and slowly after; the usual log-duration term of
    unemployment duration models);
  - `long_term_unemployed`: 12 months or more in the current spell, the official
    definition of long-term unemployment (pitkäaikaistyötön) and a referral criterion for
    several services;
  - `recurrently_unemployed`: 24 or more of the last 36 months unemployed, the
    employment-service criterion for long-term unemployment across several spells
    (e.g. for rehabilitative work activity, kuntouttava työtoiminta);
  - age bands of the labour force statistics: under 25 (youth), 25-29 (the youth
    guarantee's upper age), 50-54, 55-59 and 60 or over (30-49 is the reference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cohort.build import COVARIATES, LONG_TERM_MONTHS, RECURRENT_MONTHS_OF_36

AGE_BANDS = {
    "age_under_25": (0, 25),
    "age_25_29": (25, 30),
    "age_50_54": (50, 55),
    "age_55_59": (55, 60),
    "age_60_over": (60, 200),
}

TERMS = ("log_spell_months", "long_term_unemployed", "recurrently_unemployed", *AGE_BANDS)
ADJUSTMENT = (*COVARIATES, *TERMS)
"""Everything an estimator over the store adjusts for."""


def with_labour_market_terms(cohort: pd.DataFrame) -> pd.DataFrame:
    """The cohort with the `TERMS` columns added (computed from its covariate columns)."""
    age = cohort["age"].to_numpy(dtype=float)
    spell = cohort["spell_months"].to_numpy(dtype=float)
    terms = {
        "log_spell_months": np.log1p(spell),
        "long_term_unemployed": (spell >= LONG_TERM_MONTHS).astype(float),
        "recurrently_unemployed": (cohort["months_unemployed_prev36"].to_numpy(dtype=float) >= RECURRENT_MONTHS_OF_36).astype(
            float
        ),
    }
    terms |= {name: ((age >= lo) & (age < hi)).astype(float) for name, (lo, hi) in AGE_BANDS.items()}
    return cohort.assign(**terms)
