"""The ground truth is coherent: two worlds agree before the start, zero effects give zero
differences, the effects file is the mean of the episodes file, and selection biases the
naive comparison in the documented direction."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import EXTRACTION, read
from polku.synth import params, services
from polku.synth.naive import naive_differences
from polku.synth.paths import simulate
from polku.synth.population import draw_population
from polku.synth.timeline import Timeline
from polku.synth.truth import OUTCOMES


def _episodes(directory: Path) -> pd.DataFrame:
    frame = pd.read_csv(directory / "ground_truth_episodes.csv")
    return frame


def test_one_row_per_exported_episode_linked_without_hetu(clean_dir: Path) -> None:
    truth = _episodes(clean_dir)
    episodes = read(clean_dir / "service_episode.csv")
    assert list(truth["episode_id"]) == list(episodes["episode_id"])
    assert "hetu" not in truth.columns and truth["person_seq"].is_unique
    assert set(truth["client_group"]) == {"high", "medium", "low"}


def test_effects_are_the_mean_differences_of_the_episodes(clean_dir: Path) -> None:
    truth = _episodes(clean_dir)
    effects = pd.read_csv(clean_dir / "ground_truth_effects.csv")
    for outcome in OUTCOMES:
        diff = truth[f"{outcome}_with"].astype(float) - truth[f"{outcome}_without"].astype(float)
        by_service = diff.groupby(truth["service_code"]).mean()
        rows = effects[(effects["level"] == "service") & (effects["outcome"] == outcome)].set_index("service_code")
        assert np.allclose(rows.loc[by_service.index, "att"], by_service, atol=1e-5)
    assert set(effects["level"]) == {"service", "service_group", "provider", "service_provider"}


def test_outcomes_are_nested_and_bounded(clean_dir: Path) -> None:
    t = _episodes(clean_dir)
    for world in ("with", "without"):
        for short, long in ((3, 6), (6, 12), (12, 24)):
            assert (t[f"employed_{short}m_{world}"] <= t[f"employed_{long}m_{world}"]).all()
        assert t[f"days_employed_12m_{world}"].between(0, 366).all()
        assert (t[f"days_employed_24m_{world}"] >= t[f"days_employed_12m_{world}"]).all()
        assert ((t[f"days_employed_12m_{world}"] > 0) == t[f"employed_12m_{world}"]).all()


def test_true_effects_differ_by_service_and_group(clean_dir: Path) -> None:
    effects = pd.read_csv(clean_dir / "ground_truth_effects.csv")
    att = effects[(effects["level"] == "service") & (effects["outcome"] == "employed_12m")].set_index("service_code")["att"]
    assert att["IPS"] > 0.2 and att["COACH"] > 0.0 and att["TRAIN"] < 0.0 and abs(att["REHAB"]) < 0.03


@pytest.fixture(scope="module")
def small_simulation():
    timeline = Timeline.from_assumptions()
    population = draw_population(2500, 4, timeline)
    return simulate(population, timeline, 4)


def test_worlds_agree_before_the_start_and_only_participants_split(small_simulation) -> None:
    sim = small_simulation
    served = np.flatnonzero(sim.services.service >= 0)
    for p in served[:300]:
        m = sim.services.start_month[p]
        assert (sim.counterfactual.history[p, : m + 1] == sim.observed.history[p, : m + 1]).all()
    persons = set(sim.counterfactual.log.regs.frame()["person"].tolist()) | set(
        sim.counterfactual.log.jobs.frame()["person"].tolist()
    )
    assert persons <= set(served.tolist())
    never = np.flatnonzero(sim.services.service < 0)
    assert (sim.counterfactual.history[never] == 0).all()


def test_zero_effect_gives_identical_worlds_with_common_random_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    data = copy.deepcopy(params.assumptions())
    data["services"]["effects"]["value"]["COACH"].update(during=[0.0] * 3, after=[0.0] * 3)
    monkeypatch.setattr(params, "assumptions", lambda: data)
    services._effect_tables.cache_clear()
    try:
        timeline = Timeline.from_assumptions()
        sim = simulate(draw_population(2000, 9, timeline), timeline, 9)
    finally:
        services._effect_tables.cache_clear()
    coach = np.flatnonzero(sim.services.service == services.codes.SERVICES.index("COACH"))
    assert len(coach) > 50
    assert (sim.observed.history[coach] == sim.counterfactual.history[coach]).all()


def test_naive_comparison_is_biased_in_the_documented_directions(clean_dir: Path) -> None:
    """Coaching and training select the more employable (naive > ATT); IPS, wage subsidy
    and rehabilitative work the less employable (naive < ATT). At 4 000 clients the
    sampling noise is a few points, so at least four of the five must show it."""
    naive = naive_differences(clean_dir, EXTRACTION)
    effects = pd.read_csv(clean_dir / "ground_truth_effects.csv")
    att = effects[(effects["level"] == "service") & (effects["outcome"] == "employed_12m")].set_index("service_code")["att"]
    upward = [s for s in ("COACH", "TRAIN") if naive[s] > att[s] + 0.02]
    downward = [s for s in ("IPS", "WSUB", "REHAB") if naive[s] < att[s] - 0.02]
    assert len(upward) + len(downward) >= 4 and upward and downward, (naive, att.to_dict())
