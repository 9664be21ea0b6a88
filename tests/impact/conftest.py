"""Fixtures with real benchmark data for the impact estimators."""

from __future__ import annotations

import pandas as pd
import pytest
from impact_data import NSW_COVARIATES

from polku.impact import Design, design_from_frame


@pytest.fixture(scope="session")
def nsw_cps() -> pd.DataFrame:
    """Dehejia-Wahba NSW participants with the CPS-1 comparison group (causaldata).

    The experimental benchmark for the participants is 1,794 USD (Dehejia and Wahba 1999:
    treated minus randomised controls in 1978 earnings).
    """
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw.treat == 1], cps]).reset_index(drop=True)
    frame["u74"] = (frame.re74 == 0).astype(int)
    frame["u75"] = (frame.re75 == 0).astype(int)
    for column in ("age", "educ", "re74", "re75"):
        frame[f"{column}_sq"] = frame[column].astype(float) ** 2  # causaldata stores age and educ as int8
    return frame


@pytest.fixture(scope="session")
def nsw_design(nsw_cps: pd.DataFrame) -> Design:
    squares = [f"{c}_sq" for c in ("age", "educ", "re74", "re75")]
    return design_from_frame(nsw_cps, "treat", "re78", NSW_COVARIATES + squares)


@pytest.fixture(scope="session")
def nsw_experiment() -> pd.DataFrame:
    from causaldata import nsw_mixtape

    return nsw_mixtape.load_pandas().data
