"""Imputed wages: the Structure of Earnings tables applied to one person by hand."""

from __future__ import annotations

import numpy as np
import pytest

from polku.fiscal.wages import annual_wage, full_time_monthly_wage, median_level


def test_a_person_by_hand() -> None:
    """A 42-year-old woman with a master's degree (ISCED 7), 2025: the 2024 median 3 611
    x 4 042 / 2 963 (master, 2015 table) x 3 267 / 3 001 (40-44, 2016 table) x 3 373 /
    3 611 (women, 2024) = 5 009.15 EUR a month full time."""
    wage = full_time_monthly_wage(2025, np.array(["tertiary"]), np.array([7.0]), np.array([42]), np.array(["female"]))
    assert wage[0] == pytest.approx(3611 * 4042 / 2963 * 3267 / 3001 * 3373 / 3611, rel=1e-12)
    assert wage[0] == pytest.approx(5009.15, abs=0.01)


def test_coarse_levels_ages_and_unknown_sex() -> None:
    """Without an ISCED level tertiary counts as bachelor's and an unknown level as basic;
    under 20 takes the 20-24 group; an unknown sex the median of all."""
    wage = full_time_monthly_wage(
        2024,
        np.array(["tertiary", "unknown", "basic"]),
        np.array([np.nan, np.nan, 2.0]),
        np.array([30, 18, 70]),
        np.array(["male", "other", "female"]),
    )
    assert wage[0] == pytest.approx(3611 * 3126 / 2963 * 2931 / 3001 * 3884 / 3611)
    assert wage[1] == pytest.approx(3611 * 2569 / 2963 * 2279 / 3001)
    assert wage[2] == pytest.approx(3611 * 2569 / 2963 * 3024 / 3001 * 3373 / 3611)


def test_part_time_scales_with_hours_and_years_use_the_latest_table() -> None:
    assert annual_wage(np.array([3000.0]), np.array([18.75]))[0] == pytest.approx(18000.0)
    assert median_level(2023) == 3411 and median_level(2026) == 3611 and median_level(2019) == 3411
