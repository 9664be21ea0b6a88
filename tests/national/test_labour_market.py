"""Observed against expected given each area's clients *and labour market*: the area's
published unemployment rate joins the national model, so that an area in a weak labour
market is not read as one whose services fail (issue 19, point 4, as jobindsats adjusts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from national_helpers import inflow_frame

from polku.errors import UsageError
from polku.national.expected import observed_expected
from polku.synth.national import AreaProfile, labour_market_rows, profiles

RATES = {"A01": 6.0, "A02": 9.0, "A03": 13.5}


def _inflow(seed: int = 0, n_per_area: int = 4000) -> pd.DataFrame:
    """Three areas with the same clients whose chance of work falls with the area's log
    unemployment rate, -1.0 on the log-odds per unit (6 % against 13.5 %: 0.81 apart)."""
    g = np.random.default_rng(seed)
    frame = inflow_frame(g, {area: n_per_area for area in RATES})
    n = len(frame)
    log_rate = np.log(frame["area"].map(RATES).to_numpy(dtype=float))
    logit = 2.0 - 1.0 * log_rate - 0.03 * (frame["age"] - 40)
    frame["worked"] = g.random(n) < 1 / (1 + np.exp(-logit))
    return frame


def test_areas_that_differ_only_in_their_labour_market_come_out_at_one() -> None:
    """The areas' chances lie on one line of log rate, which the model holds: every O/E is 1
    within its noise (binomial SD of O/E about 2.4 % for 4,000 people near p = 0.3; the bound
    is two of them), while the comparison on the clients alone puts the strong labour market
    well above 1 and the weak one well below."""
    rates = pd.DataFrame({"area": list(RATES), "unemployment_rate": list(RATES.values())})
    out = observed_expected(_inflow(), labour_market=rates).set_index("area")
    assert out["labour_market_adjusted"].all()
    assert out["ratio"].to_numpy() == pytest.approx([1.0, 1.0, 1.0], abs=0.05)
    assert out.loc["A01", "ratio_clients"] > 1.15 and out.loc["A03", "ratio_clients"] < 0.85
    assert out["expected_clients"].sum() == pytest.approx(out["observed"].sum(), rel=1e-3)


def test_without_rates_the_comparison_is_on_the_clients_alone() -> None:
    out = observed_expected(_inflow(seed=1)).set_index("area")
    assert not out["labour_market_adjusted"].any()
    assert (out["ratio"] == out["ratio_clients"]).all()


def test_an_area_without_a_rate_is_refused_with_its_name() -> None:
    rates = pd.DataFrame({"area": ["A01", "A02"], "unemployment_rate": [6.0, 9.0]})
    with pytest.raises(UsageError, match="no positive unemployment rate for A03"):
        observed_expected(_inflow(seed=2, n_per_area=300), labour_market=rates)


def test_the_generated_rates_follow_the_latent_labour_market(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A strong labour market (a positive shift of the re-employment log-odds) publishes a
    lower unemployment rate: on 45 areas drawn as `polku generate --areas 45` draws them, the
    log rate falls with the shift (slope near -1.2, the assumption), within 5-15 %."""
    drawn: list[AreaProfile] = list(profiles(45, 45 * 1000, seed=1))
    table = labour_market_rows(drawn, seed=1)
    pq.write_table(table, tmp_path / "lm.parquet")
    rates = pq.read_table(tmp_path / "lm.parquet").to_pandas()
    assert list(rates["area"]) == [p.area for p in drawn]
    shift = np.array([p.labour_market for p in drawn])
    slope = np.polyfit(shift, np.log(rates["unemployment_rate"]), 1)[0]
    assert slope == pytest.approx(-1.2, abs=0.15)
    assert rates["unemployment_rate"].between(5.0, 15.0).all()
