"""Effects over an imported synthetic area against the generator's truth for the same participants."""

from __future__ import annotations

import pandas as pd
import pytest

from polku.pipeline.by_service import service_estimates
from polku.store import Store


def test_coaching_effect_by_service_group_and_provider(store: Store, truth: pd.DataFrame) -> None:
    """Coaching picks the more employable: the naive difference overstates its effect."""
    rows, frame = service_estimates(store, "COACH", outcome="employed_12m")
    participants = frame[frame.treated].merge(truth, on="episode_id")
    ite = participants.employed_12m_with.astype(float) - participants.employed_12m_without.astype(float)
    overall = rows[0]
    assert (overall.level, overall.service_code, overall.outcome) == ("service", "COACH", "employed_12m")
    result = overall.result
    assert result.ci_low <= ite.mean() <= result.ci_high
    assert abs(result.naive_difference - ite.mean()) > abs(result.estimate - ite.mean())
    levels = [r.level for r in rows]
    assert levels.count("service_group") == 3 and "service_provider" in levels
    small = [r for r in rows if r.result.suppressed]
    assert all("too few" in r.result.note for r in small)
    assert set(frame.client_group) <= {"high", "medium", "low"}
    assert frame.loc[frame.treated, "weight"].eq(1).all() and (frame.weight >= 0).all()


def test_unknown_outcome_is_refused(store: Store) -> None:
    from polku.errors import UsageError

    with pytest.raises(UsageError, match="unknown outcome 'happiness_12m'"):
        service_estimates(store, "COACH", outcome="happiness_12m")


def test_cli_over_the_store_prints_a_json_row_per_estimate(area) -> None:
    import json

    from click.testing import CliRunner

    from polku.cli import main

    result = CliRunner().invoke(
        main, ["estimate", "--store", str(area.store_path), "--service", "WTRIAL", "--outcome", "employed_6m", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["level"] for r in rows[:4]] == ["service", "service_group", "service_group", "service_group"]
    assert {r["service_code"] for r in rows} == {"WTRIAL"} and {r["outcome"] for r in rows} == {"employed_6m"}
    assert rows[0]["estimate"] is not None and rows[0]["ci_low"] < rows[0]["estimate"] < rows[0]["ci_high"]
    human = CliRunner().invoke(main, ["estimate", "--store", str(area.store_path), "--service", "WTRIAL"])
    assert human.exit_code == 0 and "WTRIAL" in human.output and "observational estimate" in human.output


def test_time_to_work_curves_on_the_area_agree_with_the_window_outcome(store: Store) -> None:
    """Participants fully followed for a year: the share in work by day 365 on the
    Aalen-Johansen curve is at most the share employed within 12 months (a job after an
    exit to education counts in the window outcome, not on the curve), and close to it."""
    from polku.cohort.build import CohortSpec, build_cohort, data_end
    from polku.impact.survival import cumulative_incidence, kaplan_meier
    from polku.pipeline.store_views import time_to_work

    cohort = build_cohort(store, CohortSpec("COACH"))
    followed = cohort[cohort.treated & cohort.followed_12m]
    events = time_to_work(followed, data_end(store))
    incidence = cumulative_incidence(events.duration.to_numpy(), events.event.to_numpy())
    share = followed.employed_12m.astype(float).mean()
    assert share - 0.05 <= incidence.at(365) <= share + 1e-9
    still_without = kaplan_meier(events.duration.to_numpy(), events.event.to_numpy())
    assert 1 - still_without.at(365) >= incidence.at(365) - 1e-9


def test_negative_control_outcome_shows_no_effect_after_adjustment(store: Store) -> None:
    """Work in the year before the start: coaching's participants differ from the comparison
    people before adjustment (they are picked for being employable), not after."""
    from polku.cohort.build import CohortSpec, build_cohort
    from polku.cohort.features import ADJUSTMENT, with_labour_market_terms
    from polku.impact import AIPW, design_from_frame
    from polku.impact.refute import negative_control

    cohort = with_labour_market_terms(build_cohort(store, CohortSpec("COACH")))
    design = design_from_frame(cohort, "treated", "employed_before_12m", list(ADJUSTMENT))
    followed = cohort["followed_12m"].fillna(False).to_numpy(bool)  # the estimate checked: employed_12m where followed
    estimator = AIPW(random_state=0)
    estimate = estimator.fit(design.X[followed], design.t[followed], cohort["employed_12m"].to_numpy(float)[followed]).result_
    check = negative_control(design, estimate, estimator, design.y)
    assert check.passed, check
    assert abs(check.new) < 0.05
