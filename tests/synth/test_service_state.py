"""Episode bookkeeping: one end per episode, interruptions shorten the effect received."""

from __future__ import annotations

import numpy as np
import pytest

from polku.synth.service_state import COMPLETED, INTERRUPTED, NOT_ENDED, ServiceState


def _state() -> ServiceState:
    s = ServiceState.empty(4)
    s.service[:] = [0, 1, 2, -1]
    s.start_month[:] = 10
    s.planned[:] = s.effect_months[:] = 6
    s.quality[:] = s.strength[:] = 1.2
    return s


def test_empty_state_has_no_episodes() -> None:
    s = ServiceState.empty(3)
    assert (s.service == -1).all() and (s.end_day == NOT_ENDED).all() and len(s.active()) == 0


def test_finish_ends_an_episode_once() -> None:
    s = _state()
    s.finish(np.array([0]), np.array([100]), True)
    s.finish(np.array([0]), np.array([200]), False)
    assert s.end_day[0] == 100 and s.completed[0] == COMPLETED
    assert list(s.active()) == [1, 2]


def test_interruption_scales_the_effect_by_the_months_received() -> None:
    s = _state()
    s.finish(np.array([1, 2]), np.array([50, 60]), np.array([False, True]), month=11)
    assert s.completed[1] == INTERRUPTED and s.effect_months[1] == 2
    assert s.strength[1] == pytest.approx(1.2 * 2 / 6)
    assert s.strength[2] == pytest.approx(1.2) and s.effect_months[2] == 6
