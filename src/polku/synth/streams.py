"""Named, independent random streams, so that the same seed gives the same area.

Every stream is keyed by (seed, topic, month, purpose). Draws for one purpose never shift
when another purpose draws more or less; that is what lets the two simulated worlds (with
and without a service) share the same random numbers person by person (common random
numbers), so a participant's outcome without the service is well defined.
"""

from __future__ import annotations

import numpy as np

TOPICS = {"population": 1, "month": 2, "services": 3, "benefits": 4, "measurements": 5, "organisation": 6, "contacts": 7}


def _non_negative(seed: int) -> int:
    """Map any integer seed one-to-one onto the non-negative integers SeedSequence needs."""
    return 2 * seed if seed >= 0 else -2 * seed - 1


def rng(seed: int, topic: str, *keys: int) -> np.random.Generator:
    """An independent generator for one topic and key path."""
    return np.random.default_rng([_non_negative(seed), TOPICS[topic], *keys])


class MonthDraws:
    """Uniform (and normal) draws for every person in one month, one array per purpose."""

    PURPOSES = (
        "exit",
        "exit_day",
        "service",
        "service_choice",
        "service_day",
        "provider",
        "service_length",
        "part_time",
        "hours",
        "wage",
        "sector",
        "contract",
        "contract_length",
        "job_end",
        "job_end_day",
        "after_job",
        "reentry",
        "reentry_day",
        "reentry_activity",
        "source",
        "means_test",
        "wage_missing",
        "continue_with_employer",
        "dropout",
        "dropout_day",
        "referral",
        "entry_wage",
        "provider_rural",
        "provider_refusal",  # issue 18: provider behaviour (polku.synth.behaviour)
        "provider_redraw",
        "parking",
    )

    def __init__(self, seed: int, month: int, n: int) -> None:
        self._seed, self._month, self._n = seed, month, n
        self._cache: dict[str, np.ndarray] = {}

    def u(self, purpose: str) -> np.ndarray:
        """Uniforms in [0, 1) for every person, for this month and purpose."""
        if purpose not in self._cache:
            generator = rng(self._seed, "month", self._month, self.PURPOSES.index(purpose))
            if purpose in ("wage", "entry_wage"):
                self._cache[purpose] = generator.standard_normal(self._n, dtype=np.float32)
            else:
                self._cache[purpose] = generator.random(self._n, dtype=np.float32)
        return self._cache[purpose]
