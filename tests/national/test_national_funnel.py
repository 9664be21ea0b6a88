"""The national section's area funnel plot: O/E per area against its inflow, with the 95 %
and 99.8 % limits of `national_expected` on the O/E scale, drawn by the report's one funnel
chart; an area below the disclosure threshold is not drawn.

Limits: Spiegelhalter (2005), Statistics in Medicine 24:1185-1202, normal limits of a
proportion p0 +/- z sqrt(p0 (1 - p0) / n); over p0 they are limits of O/E = share / p0.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from national_helpers import inflow_frame

from polku.national.expected import observed_expected
from polku.reports.blocks import Chart
from polku.reports.context import ReportContext
from polku.reports.sections.national import area_panel, national_section, ratio_limits


def _inflow(areas: dict[str, int], seed: int = 0) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    frame = inflow_frame(g, areas)
    frame["worked"] = g.random(len(frame)) < 1 / (1 + np.exp(-(0.3 - 0.03 * (frame["age"] - 40))))
    return frame


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return observed_expected(_inflow({"A01": 900, "A02": 400, "A03": 1500, "SMALL": 6}))


def test_the_limits_at_each_areas_inflow_are_the_stored_ones_over_the_national_share(expected: pd.DataFrame) -> None:
    p = float(expected["national_share"].iloc[0])
    lines = ratio_limits(p, list(expected["n"].astype(float)))
    for (l95, u95, l998, u998), row in zip(lines, expected.itertuples(index=False)):
        # the stored limits use z rounded (1.96, 3.09) and are not kept within 0..1; the funnel
        # module uses the exact quantiles and keeps a share within 0..1
        stored = np.clip([row.lower_95, row.upper_95, row.lower_998, row.upper_998], 0, 1)
        assert [l95 * p, u95 * p] == pytest.approx(stored[:2], abs=1e-5)
        assert [l998 * p, u998 * p] == pytest.approx(stored[2:], abs=2e-4)
        assert u95 - 1 == pytest.approx(1.96 * np.sqrt((1 - p) / (p * row.n)), rel=1e-3)  # z = 1.96 at 95 %
        inside = row.lower_95 <= row.adjusted_share <= row.upper_95
        assert inside == (l95 <= row.ratio <= u95), "a dot is outside the O/E limits exactly when its share is"


def test_the_panel_draws_every_shown_area_and_not_the_small_one(expected: pd.DataFrame) -> None:
    panel = area_panel(expected, 10, "Areas")
    assert panel is not None
    title, target, volumes, limits, points = panel
    assert (title, target) == ("Areas", 1.0) and len(volumes) == len(limits) == 60
    shown = expected[expected["area"] != "SMALL"]
    assert points == [(float(r.n), float(r.ratio), r.area) for r in shown.itertuples(index=False)]
    assert max(volumes) >= 1500 and all(lo < 1 < hi for lo, hi, _, _ in limits)
    assert all(l998 <= l95 and u95 <= u998 for l95, u95, l998, u998 in limits)


def test_the_section_shows_the_funnel_chart(expected: pd.DataFrame) -> None:
    indicators = pd.DataFrame({"area": ["A01"]})
    ctx = ReportContext("en", 10, datetime.now(UTC))
    blocks = national_section({"national_indicators": indicators, "national_expected": expected}, ctx)
    (chart,) = [b for b in blocks if isinstance(b, Chart)]
    assert chart.id == "national-funnel" and "A03" in chart.svg and "SMALL" not in chart.svg
    assert "95 % limits" in chart.svg and "99.8 % limits" in chart.svg
