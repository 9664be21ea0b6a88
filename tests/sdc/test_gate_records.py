"""The record gate on hand-made results: estimate records, cost-benefit rows, survival
curves and notes, each with the figure an attacker would compute."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from polku import sdc
from polku.impact.survival import CENSORED, WORK, cumulative_incidence
from polku.pipeline.store_views import GroupCurves, SurvivalView

T = 10


def _curves(rng: np.random.Generator, n: int) -> GroupCurves:
    duration = rng.integers(0, 730, size=n).astype(float)
    event = np.where(rng.random(n) < 0.6, WORK, CENSORED)
    return GroupCurves("g", cumulative_incidence(duration, event), None, duration, event, float(n))


def _view(rng: np.random.Generator, sizes: tuple[int, int], group: str | None) -> SurvivalView:
    return SurvivalView("S1", date(2025, 12, 31), _curves(rng, sizes[0]), _curves(rng, sizes[1]), 3, 730, group)


def test_client_group_curves_keep_no_small_size_and_no_small_rest() -> None:
    """Groups of 40, 36 and 4 participants under a service of 80: the 4 is hidden, and so
    is its partner, or 80 - 40 - 36 would give it back."""
    rng = np.random.default_rng(7)
    groups = [_view(rng, (40, 200), "high"), _view(rng, (36, 180), "medium"), _view(rng, (4, 20), "low")]
    released = sdc.release_survival(_view(rng, (80, 400), None), groups, t=T)
    sizes = [g["participants"]["n"] for g in released["client_groups"]]
    assert released["participants"]["n"] == 80 and sizes == [40, None, None]
    assert [g["comparison"]["n"] for g in released["client_groups"]] == [200, None, None]
    assert released["n_trimmed"] is None, "3 rows trimmed is a small count"
    low = released["client_groups"][2]["participants"]
    assert low["points"] == {} and set(low["cumulative_incidence"].values()) == {None}
    assert "at_risk" not in released["participants"] and "censored_before" not in released["participants"]


def test_curve_points_and_table_months_agree() -> None:
    rng = np.random.default_rng(3)
    released = sdc.release_survival(_view(rng, (300, 1500), None), t=T)
    part = released["participants"]
    assert part["points"], "300 people give a curve"
    for month, value in part["cumulative_incidence"].items():
        assert value == (part["points"][month][0] if month in part["points"] else None)
    assert released["client_groups"] == []


def _estimate(level: str, n: int, n_control: int, **extra: object) -> dict:
    return {
        "level": level,
        "service_code": "S1",
        "client_group": extra.pop("group", None),
        "provider_id": None,
        "n_treated": n,
        "n_control": n_control,
        "n_trimmed": 0,
        "estimate": 0.05 if n >= 60 else None,
        "ci_low": 0.01,
        "ci_high": 0.09,
        "naive_difference": 0.1,
        "note": "",
        "balance": [],
        "overlap": None,
        **extra,
    }


def test_indicator_means_that_give_a_small_count_are_withheld() -> None:
    balance = [
        {
            "covariate": "mother_tongue_group=sv",
            "mean_treated": 3 / 120,
            "mean_control": 0.05,
            "mean_control_adjusted": 0.03,
            "smd_before": -0.1,
            "smd_after": 0.0,
        },
        {
            "covariate": "age",
            "mean_treated": 41.2,
            "mean_control": 40.0,
            "mean_control_adjusted": 41.0,
            "smd_before": 0.1,
            "smd_after": 0.01,
        },
    ]
    (out,) = sdc.release_estimates(
        [_estimate("service", 120, 600, balance=balance, outcome_mean_treated=0.5, outcome_mean_control=597 / 600)], t=T
    )
    assert out["balance"][0]["mean_treated"] is None and out["balance"][0]["smd_after"] is None
    assert out["balance"][1]["mean_treated"] == 41.2
    assert out["outcome_mean_treated"] == 0.5 and out["outcome_mean_control"] is None, "3 comparison people without work"
    assert out["estimate"] == 0.05


def test_an_estimate_on_few_comparison_people_is_withheld() -> None:
    (out,) = sdc.release_estimates([_estimate("service", 80, 8)], t=T)
    assert out["estimate"] is None and out["ci_low"] is None and out["n_control"] is None and out["n_treated"] == 80


def test_overlap_bins_are_protected_and_small_effective_sizes_hidden() -> None:
    overlap = {"bins": [0.0, 0.5, 1.0], "histogram_treated": [3, 77], "histogram_control": [300, 300], "ess_control": 8.0}
    (out,) = sdc.release_estimates([_estimate("service", 80, 600, overlap=overlap)], t=T)
    assert out["overlap"]["histogram_treated"] == [None, None] and out["overlap"]["histogram_control"] == [300, 300]
    assert out["overlap"]["ess_control"] is None


@pytest.mark.parametrize(
    ("note", "shown", "want"),
    [
        (
            "too few participants for an estimate (7; at least 60 are needed)",
            (),
            "too few participants for an estimate (..; at least 60 are needed)",
        ),
        (
            "the effect estimated on 55 participants is applied to all 60",
            (60,),
            "the effect estimated on .. participants is applied to all 60",
        ),
        ("12 of 40 episodes without a recorded cost", (12, 40), "12 of 40 episodes without a recorded cost"),
        ("employed_12m by 2024-01-01", (), "employed_12m by 2024-01-01"),
    ],
)
def test_notes_keep_only_the_numbers_their_record_shows(note: str, shown: tuple[int, ...], want: str) -> None:
    assert sdc.scrub_text(note, shown) == want


def test_cost_benefit_hides_participants_when_the_trimmed_are_few() -> None:
    """66 of 70 in the estimate: showing both would say 4 participants were trimmed. The
    66 goes (the money per participant gives the 70 back), the money stays."""
    record = {
        "service": "S1",
        "year": 2024,
        "participants": 70,
        "participants_in_estimate": 66,
        "employed": 30,
        "wages_imputed": 12,
        "costs_missing": 0,
        "fallbacks": 0,
        "benefit": 1.0,
        "cost": 2.0,
        "seed": 0,
        "assumptions": None,
        "note": "the effect estimated on 66 participants with comparable comparison people is applied to all 70",
    }
    out = sdc.release_cost_benefit(record, t=T)
    assert (out["participants"], out["participants_in_estimate"]) == (70, None)
    assert out["note"] == "the effect estimated on .. participants with comparable comparison people is applied to all 70"
    assert out["employed"] == 30 and out["wages_imputed"] == 12 and out["benefit"] == 1.0


def test_cost_benefit_shows_no_money_on_few_employed() -> None:
    record = {
        "service": "S1",
        "year": 2024,
        "participants": 60,
        "participants_in_estimate": 60,
        "employed": 7,
        "wages_imputed": 0,
        "costs_missing": 0,
        "fallbacks": 0,
        "benefit": 1.0,
        "cost": 2.0,
        "net": -1.0,
        "seed": 0,
        "assumptions": None,
        "note": None,
    }
    out = sdc.release_cost_benefit(record, t=T)
    assert out["employed"] is None and "benefit" not in out and "net" not in out and out["participants"] == 60


def test_survival_text_prints_the_released_record(capsys: pytest.CaptureFixture[str]) -> None:
    from polku.cli.text import print_survival as _print_survival

    rng = np.random.default_rng(3)
    groups = [_view(rng, (150, 700), "high"), _view(rng, (146, 700), "medium"), _view(rng, (4, 100), "low")]
    record = sdc.release_survival(_view(rng, (300, 1500), None), groups, t=T) | {"suppressed": False}
    _print_survival([record])
    printed = capsys.readouterr().out
    assert "% of participants" in printed and "client group low" in printed
    assert "300" in printed and "146" not in printed, "the partner of the 4 is hidden"
