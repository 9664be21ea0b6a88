"""Effects over an imported synthetic area against the generator's truth for the same participants."""

from __future__ import annotations

import pandas as pd
import pytest

from polku.impact.by_service import service_estimates
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
